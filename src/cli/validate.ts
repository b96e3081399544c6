// vigil validate: every problem in vigil.yaml and every check file, as
// file:line:col: message — the columns and queries of a file with other
// problems included. Exit 0 (valid, maybe with warnings) or 3.

import { sortDiagnostics } from '../config/diagnostics.js';
import { loadProject } from '../config/loader.js';
import { createEngines, defaultConcurrency } from '../run/runtime.js';
import { validateAgainstData } from '../run/validate-data.js';
import { createLogger } from '../util/log.js';
import { colors, diagnosticsJson, printDiagnostics, writeJson } from './output.js';

export interface ValidateOptions {
  config?: string;
  json?: boolean;
  data?: boolean;
}

export async function validateCommand(opts: ValidateOptions): Promise<number> {
  const { project, diagnostics, partialDatasets } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  // Datasets of invalid files too, with what of them parsed: one round of validate shows every problem.
  const datasets = [...project.datasets, ...partialDatasets];
  if (opts.data !== false && datasets.length > 0) {
    // Datasets are checked `concurrency` at a time, each on a session of its engine.
    const concurrency = defaultConcurrency(project);
    const engines = createEngines(project, { log: createLogger(), concurrency, datasets });
    try {
      diagnostics.push(...(await validateAgainstData(datasets, engines, concurrency)));
    } finally {
      await engines.close();
    }
  }
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (opts.json) {
    writeJson({ ...diagnosticsJson(diagnostics), warnings: sortDiagnostics(diagnostics).filter((d) => d.severity === 'warning')
      .map((d) => ({ file: d.file, line: d.line, col: d.col, message: d.message })) });
  } else {
    printDiagnostics(diagnostics);
    const checks = project.datasets.reduce((n, d) => n + d.checks.length, 0);
    if (errors.length === 0) {
      process.stdout.write(`${colors.green('valid')}: ${project.datasets.length} dataset${project.datasets.length === 1 ? '' : 's'}, ${checks} check${checks === 1 ? '' : 's'}${diagnostics.length ? `, ${diagnostics.length} warning${diagnostics.length === 1 ? '' : 's'}` : ''}\n`);
    } else {
      process.stderr.write(`${errors.length} problem${errors.length === 1 ? '' : 's'} found\n`);
    }
  }
  return errors.length === 0 ? 0 : 3;
}
