// vigil status: the latest result of every check, read from the store.

import { existsSync } from 'node:fs';
import { loadProject } from '../config/loader.js';
import { summarize } from '../run/run.js';
import { DuckDBStore } from '../store/duckdb-store.js';
import { resultsTable, summaryLine, writeJson } from './output.js';

export async function statusCommand(opts: { config?: string; json?: boolean }): Promise<number> {
  const { project } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  if (!existsSync(project.storePath)) {
    if (opts.json) writeJson({ last_run: null, summary: summarize([]), results: [] });
    else process.stdout.write(`no results yet: the store ${project.storePath} does not exist — run vigil run first\n`);
    return 0;
  }
  const store = await DuckDBStore.open(project.storePath);
  try {
    const [results, runs] = [await store.latestResults(), await store.runs(1)];
    const summary = summarize(results);
    if (opts.json) {
      writeJson({ last_run: runs[0] ?? null, summary, results });
    } else {
      if (results.length) process.stdout.write(`${resultsTable(results)}\n\n`);
      const last = runs[0];
      process.stdout.write(`${summaryLine(summary)}${last ? ` · last run ${last.started_at} (${last.status})` : ''}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
