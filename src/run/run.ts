// The one run path, shared by `vigil run` and (later) the scheduler: run the
// selected datasets concurrently, record each dataset's results in its own
// transaction, and report.

import { randomUUID } from 'node:crypto';
import type { Status } from '../checks/kind.js';
import type { DatasetDef, Project } from '../config/model.js';
import type { Strategy } from '../engine/compile.js';
import type { CheckResult, DatasetRun, IncidentPlanner, Store } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { runDataset } from './dataset-run.js';
import { createEngines, defaultConcurrency, type Engines } from './runtime.js';

export interface RunReport {
  run_id: string;
  started_at: string;
  finished_at: string;
  summary: Record<Status, number>;
  results: CheckResult[];
  datasets: DatasetRun[];
  /** Datasets whose results could not be recorded (the run is then recorded as aborted). */
  record_errors: string[];
}

export interface RunOptions {
  project: Project;
  datasets: DatasetDef[];
  store: Store;
  log: Logger;
  /** Fixed clock (--now); default: the real time when each check is evaluated. */
  now?: Date;
  trigger?: string;
  /** The tick a scheduled run is for (ISO-8601). */
  scheduledFor?: string;
  selectors?: string[];
  /** The engines to run on (default: made for this run and closed after it). */
  engines?: Engines;
  strategy?: Strategy;
  /** Aborting interrupts the datasets in flight; the run is then recorded as aborted. */
  signal?: AbortSignal;
  /** Called as each dataset finishes (before the whole run does). */
  onDataset?: (outcome: DatasetRun) => void;
  /** What alerting writes with each dataset's results, in the same transaction (incidents, outbox). */
  incidents?: (dataset: DatasetDef, outcome: DatasetRun, runId: string) => IncidentPlanner | undefined;
}

export function summarize(results: CheckResult[]): Record<Status, number> {
  const summary: Record<Status, number> = { pass: 0, warn: 0, fail: 0, error: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

export async function runChecks(opts: RunOptions): Promise<RunReport> {
  const { project, store, log } = opts;
  const runId = randomUUID();
  const startedAt = new Date().toISOString();
  const now = opts.now ? () => opts.now as Date : () => new Date();
  const concurrency = Math.min(defaultConcurrency(project), Math.max(1, opts.datasets.length));
  const engines = opts.engines ?? createEngines(project, { datasets: opts.datasets, log });

  // Planning needs the last schemas; the run's row is written while the first datasets start
  // (the store serializes it before any of their results).
  const schemas = await store.lastSchemas();
  const begun = store.beginRun({
    runId, startedAt, trigger: opts.trigger ?? 'cli', selectors: opts.selectors ?? [], datasets: opts.datasets.map((d) => d.name), scheduledFor: opts.scheduledFor ?? null,
  });
  // Awaited below; until then a failure only stops the datasets not yet started.
  let notBegun = false;
  begun.catch(() => { notBegun = true; });
  const outcomes: DatasetRun[] = new Array(opts.datasets.length);
  // Writes queue in the store (one transaction per dataset) while the next dataset runs.
  const writes: Array<Promise<void>> = [];
  const writeErrors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < opts.datasets.length && !opts.signal?.aborted && !notBegun) {
      const i = next++;
      const ds = opts.datasets[i] as DatasetDef;
      const outcome = await runDataset(ds, {
        engines, now, previousSchema: schemas.get(ds.name) ?? null, log,
        ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
      });
      outcomes[i] = outcome;
      opts.onDataset?.(outcome);
      // Interrupted by a shutdown: its 'interrupted' errors are not results. Not recording them keeps
      // the run aborted and lets the restart catch the dataset up.
      if (opts.signal?.aborted) continue;
      // Never results without their run's row: a run that could not begin records nothing.
      writes.push(begun.then(() => store.recordDataset(runId, outcome, opts.incidents?.(ds, outcome, runId))).catch((err: unknown) => {
        if (notBegun) return; // the run's own error is thrown below
        writeErrors.push(`${ds.name}: ${errorMessage(err)}`);
        log.error({ run_id: runId, dataset: ds.name, err: errorMessage(err) }, 'could not record results');
      }));
      const counts = summarize(outcome.results);
      log.info({ run_id: runId, dataset: ds.name, duration_ms: Date.parse(outcome.finishedAt) - Date.parse(outcome.startedAt), ...counts }, 'dataset run');
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    await begun;
    await Promise.all(writes);
  } catch (err) {
    await Promise.all(writes);
    if (!notBegun) {
      await store.finishRun(runId, new Date().toISOString(), summarize(outcomes.filter(Boolean).flatMap((o) => o.results)), 'aborted').catch(() => undefined);
    }
    throw err;
  } finally {
    if (!opts.engines) await engines.close();
  }
  const results = outcomes.filter(Boolean).flatMap((o) => o.results);
  const summary = summarize(results);
  const finishedAt = new Date().toISOString();
  // Results that could not be recorded are still reported to the caller; the run is marked aborted.
  await store.finishRun(runId, finishedAt, summary, opts.signal?.aborted || writeErrors.length ? 'aborted' : 'completed');
  return { run_id: runId, started_at: startedAt, finished_at: finishedAt, summary, results, datasets: outcomes.filter(Boolean), record_errors: writeErrors };
}
