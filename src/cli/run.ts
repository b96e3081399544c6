// vigil run [SELECTOR...]: run the selected checks once, record the results,
// print a table (or --json). Exit 3 invalid config, 2 any error, 1 any fail, else 0.

import { blockingDiagnostics, loadProject } from '../config/loader.js';
import { STRATEGIES, type Strategy } from '../engine/compile.js';
import { createEngine, runChecks } from '../run/run.js';
import { selectDatasets } from '../run/select.js';
import { DuckDBStore } from '../store/duckdb-store.js';
import { createLogger } from '../util/log.js';
import { diagnosticsJson, printDiagnostics, resultsTable, summaryLine, writeJson } from './output.js';

export interface RunCommandOptions {
  config?: string;
  json?: boolean;
  now?: string;
  alerts?: boolean;
  plan?: string;
}

export function exitCodeFor(summary: { error: number; fail: number }): number {
  if (summary.error > 0) return 2;
  if (summary.fail > 0) return 1;
  return 0;
}

function usageError(json: boolean | undefined, message: string): number {
  if (json) writeJson({ errors: [{ file: '', line: 0, col: 0, message }] });
  else process.stderr.write(`vigil run: ${message}\n`);
  return 3;
}

export async function runCommand(selectors: string[], opts: RunCommandOptions): Promise<number> {
  const nowText = opts.now ?? process.env.VIGIL_NOW;
  let now: Date | undefined;
  if (nowText !== undefined && nowText !== '') {
    now = new Date(nowText);
    if (Number.isNaN(now.getTime())) return usageError(opts.json, `--now ${nowText} is not an ISO-8601 time, e.g. 2026-01-01T00:00:00Z`);
  }
  const { project, diagnostics } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const blocking = blockingDiagnostics(diagnostics, 'run', project);
  if (blocking.length > 0) {
    if (opts.json) writeJson(diagnosticsJson(blocking));
    else {
      printDiagnostics(blocking);
      process.stderr.write(`configuration invalid: nothing ran (${blocking.length} problem${blocking.length === 1 ? '' : 's'}; vigil validate shows them all)\n`);
    }
    return 3;
  }
  const { selected, unmatched } = selectDatasets(project.datasets, selectors);
  if (unmatched.length > 0) {
    const names = project.datasets.map((d) => d.name).join(', ') || '(none)';
    return usageError(opts.json, `nothing matches ${unmatched.map((u) => `'${u}'`).join(', ')} — selectors are a dataset name, tag:NAME or owner:NAME; datasets: ${names}`);
  }
  if (opts.plan !== undefined && !(STRATEGIES as readonly string[]).includes(opts.plan)) return usageError(opts.json, `--plan must be one of ${STRATEGIES.join(', ')}`);

  const log = createLogger();
  // Opening the store and starting the engine overlap: both are native work off the main thread.
  const [store, engine] = await Promise.all([DuckDBStore.open(project.storePath), createEngine(project, selected.length)]);
  try {
    const report = await runChecks({
      project, datasets: selected, store, engine, log, selectors, trigger: 'cli',
      ...(now ? { now } : {}), ...(opts.plan ? { strategy: opts.plan as Strategy } : {}),
    });
    if (opts.json) {
      writeJson({
        run_id: report.run_id, started_at: report.started_at, finished_at: report.finished_at, summary: report.summary,
        results: report.results.map((r) => ({
          check: r.check, dataset: r.dataset, kind: r.kind, name: r.name, status: r.status, value: r.value, unit: r.unit,
          message: r.message, runbook: r.runbook, owner: r.owner, tags: r.tags, thresholds: r.thresholds, details: r.details,
          duration_ms: r.duration_ms,
        })),
      });
    } else {
      if (report.results.length) process.stdout.write(`${resultsTable(report.results)}\n\n`);
      const secs = ((Date.parse(report.finished_at) - Date.parse(report.started_at)) / 1000).toFixed(2);
      process.stdout.write(`${summaryLine(report.summary)} · ${selected.length} dataset${selected.length === 1 ? '' : 's'} in ${secs}s · run ${report.run_id}\n`);
    }
    return exitCodeFor(report.summary);
  } finally {
    await Promise.all([store.close(), engine.close()]);
  }
}
