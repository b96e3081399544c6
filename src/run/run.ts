// The one run path, shared by `vigil run` and (later) the scheduler: run the
// selected datasets concurrently, record each dataset's results in its own
// transaction, and report.

import { randomUUID } from 'node:crypto';
import { makeRedactor } from '../alerts/redact.js';
import { projectSecrets } from '../config/secrets.js';
import type { Status } from '../checks/kind.js';
import type { DatasetDef, Project } from '../config/model.js';
import type { Strategy } from '../engine/compile.js';
import { ancestorsOf, buildLineage } from '../lineage/graph.js';
import type { CheckResult, DatasetRun, IncidentPlanner, IncidentRow, RunStatus, Store, StoredSilence } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { runDataset } from './dataset-run.js';
import { readTraining } from '../anomaly/history.js';
import { replayOf, type Replay } from './replay.js';
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
  /** False for a replay (nothing was written: no run, results, incidents or outbox rows). */
  recorded: boolean;
  /** Why the run was a replay; null when it recorded. */
  replay: Replay | null;
}

export interface RunOptions {
  project: Project;
  datasets: DatasetDef[];
  store: Store;
  log: Logger;
  /**
   * Fixed clock (--now); default: the real time when each check is evaluated. A clock before the newest
   * recorded result of a selected dataset makes the run a replay (run/replay.ts): evaluated, not recorded.
   */
  now?: Date;
  /** Record even a run whose clock is before recorded results (tests of the store's out-of-order writes). */
  recordPast?: boolean;
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
  /**
   * What alerting writes with each dataset's results, in the same transaction (incidents, outbox). With it,
   * a dataset is recorded once the datasets of this run up- and downstream of it (by `upstream:`) have run,
   * so its planner sees their outcomes (root causes: src/alerts/root-cause.ts).
   */
  incidents?: (dataset: DatasetDef, outcome: DatasetRun, runId: string, run: RunSoFar) => IncidentPlanner | undefined | Promise<IncidentPlanner | undefined>;
  /**
   * The run's row could not be finished (the store failing): it would stay `running`. The caller
   * may finish it later, when writes work again (vigil serve does).
   */
  onUnfinished?: (run: UnfinishedRun) => void;
}

/** A run whose finishing write failed: what store.finishRun would have written. */
export interface UnfinishedRun {
  runId: string;
  finishedAt: string;
  summary: Record<Status, number>;
  status: RunStatus;
}

/** What a dataset's incident planner knows of the rest of its run. */
export interface RunSoFar {
  /** Outcomes of this run's datasets that have finished, by dataset (every related one among them). */
  outcomes: ReadonlyMap<string, DatasetRun>;
  /** Open incidents of every dataset as the run began. */
  openIncidents: readonly IncidentRow[];
  /** Silences kept in the store (vigil silence add, the page, the API) not ended as the run began. */
  silences?: readonly StoredSilence[];
}

/** For each dataset, the other datasets of `datasets` linked to it through `upstream:` either way, transitively. */
export function relatedInRun(datasets: readonly DatasetDef[]): Map<string, string[]> {
  const graph = buildLineage(datasets);
  const inRun = new Set(datasets.map((d) => d.name));
  const out = new Map<string, string[]>();
  for (const d of datasets) {
    const related = new Set([...graph.atRisk(d.name), ...ancestorsOf(d.name, graph.upstreamOf)]);
    out.set(d.name, [...related].filter((n) => n !== d.name && inRun.has(n)));
  }
  return out;
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
  const redact = makeRedactor(projectSecrets(project));

  // Planning needs the last schemas; the run's row is written while the first datasets start
  // (the store serializes it before any of their results). A replay reads what a recorded run reads
  // (its checks evaluate the same) and writes nothing.
  const [schemas, replay] = await Promise.all([
    store.lastSchemas(),
    opts.now && !opts.recordPast ? replayOf(store, opts.datasets, opts.now) : Promise.resolve(null),
  ]);
  const recording = replay === null;
  if (replay) log.info({ run_id: runId, ...replay }, 'replay: nothing recorded');
  const begun = recording ? store.beginRun({
    runId, startedAt, trigger: opts.trigger ?? 'cli', selectors: opts.selectors ?? [], datasets: opts.datasets.map((d) => d.name), scheduledFor: opts.scheduledFor ?? null,
  }) : Promise.resolve();
  // Awaited below; until then a failure only stops the datasets not yet started.
  let notBegun = false;
  begun.catch(() => { notBegun = true; });
  const outcomes: DatasetRun[] = new Array(opts.datasets.length);
  // Alerting: each dataset waits for its related datasets of this run to have run (not to be recorded).
  const finished = new Map<string, DatasetRun>();
  const ran = new Map(opts.datasets.map((d) => { let done!: () => void; const p = new Promise<void>((r) => { done = r; }); return [d.name, { p, done }]; }));
  const planning = recording && opts.incidents !== undefined;
  const related = planning ? relatedInRun(opts.datasets) : new Map<string, string[]>();
  const openIncidents: Promise<IncidentRow[]> = planning ? store.incidents({ state: 'open', limit: 1000 }) : Promise.resolve([]);
  openIncidents.catch(() => undefined); // awaited (and its failure reported) with the first record
  const silences: Promise<StoredSilence[]> = opts.incidents ? store.silences({ now: new Date().toISOString() }) : Promise.resolve([]);
  silences.catch(() => undefined);
  // Writes queue in the store (one transaction per dataset) while the next dataset runs.
  const writes: Array<Promise<void>> = [];
  const writeErrors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < opts.datasets.length && !opts.signal?.aborted && !notBegun) {
      const i = next++;
      const ds = opts.datasets[i] as DatasetDef;
      const history = await readTraining(store, ds, now());
      const outcome = await runDataset(ds, {
        engines, now, previousSchema: schemas.get(ds.name) ?? null, history, log, redact,
        ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
      });
      outcomes[i] = outcome;
      finished.set(ds.name, outcome);
      ran.get(ds.name)?.done();
      opts.onDataset?.(outcome);
      // Interrupted by a shutdown: its 'interrupted' errors are not results. Not recording them keeps
      // the run aborted and lets the restart catch the dataset up.
      if (opts.signal?.aborted || !recording) continue;
      // Never results without their run's row: a run that could not begin records nothing.
      const record = async () => {
        await begun;
        if (!opts.incidents) return store.recordDataset(runId, outcome);
        await Promise.all((related.get(ds.name) ?? []).map((n) => ran.get(n)?.p));
        return store.recordDataset(runId, outcome, await opts.incidents(ds, outcome, runId, { outcomes: finished, openIncidents: await openIncidents, silences: await silences }));
      };
      writes.push(record().catch((err: unknown) => {
        if (notBegun) return; // the run's own error is thrown below
        writeErrors.push(`${ds.name}: ${errorMessage(err)}`);
        log.error({ run_id: runId, dataset: ds.name, err: errorMessage(err) }, 'could not record results');
      }));
      const counts = summarize(outcome.results);
      log.info({ run_id: runId, dataset: ds.name, duration_ms: Date.parse(outcome.finishedAt) - Date.parse(outcome.startedAt), ...counts }, 'dataset run');
    }
  };
  try {
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      // Datasets that never ran (an abort, a failed begin) hold up no one.
      for (const r of ran.values()) r.done();
    }
    await begun;
    await Promise.all(writes);
  } catch (err) {
    await Promise.all(writes);
    if (!notBegun && recording) {
      const unfinished: UnfinishedRun = { runId, finishedAt: new Date().toISOString(), summary: summarize(outcomes.filter(Boolean).flatMap((o) => o.results)), status: 'aborted' };
      await store.finishRun(unfinished.runId, unfinished.finishedAt, unfinished.summary, unfinished.status).catch(() => opts.onUnfinished?.(unfinished));
    }
    throw err;
  } finally {
    if (!opts.engines) await engines.close();
  }
  const results = outcomes.filter(Boolean).flatMap((o) => o.results);
  const summary = summarize(results);
  const finishedAt = new Date().toISOString();
  // Results that could not be recorded are still reported to the caller; the run is marked aborted.
  const status: RunStatus = opts.signal?.aborted || writeErrors.length ? 'aborted' : 'completed';
  if (recording) {
    try {
      await store.finishRun(runId, finishedAt, summary, status);
    } catch (err) {
      writeErrors.push(`the run itself (it is left running until the store can be written): ${errorMessage(err)}`);
      log.error({ run_id: runId, err: errorMessage(err) }, 'could not finish the run');
      opts.onUnfinished?.({ runId, finishedAt, summary, status });
    }
  }
  return {
    run_id: runId, started_at: startedAt, finished_at: finishedAt, summary, results, datasets: outcomes.filter(Boolean), record_errors: writeErrors,
    recorded: recording, replay,
  };
}
