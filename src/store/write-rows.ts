// The rows a dataset's write puts in each table, as parameter values in the
// tables' column order: one definition for both stores, whose SQL differs
// only in its dialect.

import { STATUS_RANK, worstStatus } from '../checks/kind.js';
import { doubleParam } from './rows.js';
import type { CheckResult, DatasetRun } from './store.js';

export interface DatasetWrite {
  runId: string;
  run: DatasetRun;
}

export const durationMs = (run: DatasetRun) => String(Date.parse(run.finishedAt) - Date.parse(run.startedAt));

/** dataset_runs: run_id, dataset, started_at, finished_at, duration_ms, error, queries (JSON). */
export const datasetRunValues = ({ runId, run }: DatasetWrite): unknown[] =>
  [runId, run.dataset, run.startedAt, run.finishedAt, durationMs(run), run.error, JSON.stringify(run.queries)];

/** dataset_run_summaries: run_id, dataset, started_at, finished_at, duration_ms, worst status, error. */
export const summaryValues = ({ runId, run }: DatasetWrite): unknown[] =>
  [runId, run.dataset, run.startedAt, run.finishedAt, durationMs(run), run.results.length ? worstStatus(run.results.map((r) => r.status)) : 'unknown', run.error];

/** check_results: run_id, check_id, dataset, kind, name, status, value, unit, message, runbook, owner, tags, thresholds, details, evaluated_at, duration_ms. */
export const resultValues = (runId: string, r: CheckResult): unknown[] =>
  [runId, r.check, r.dataset, r.kind, r.name, r.status, doubleParam(r.value), r.unit, r.message, r.runbook, r.owner,
    JSON.stringify(r.tags), JSON.stringify(r.thresholds), JSON.stringify(r.details), r.evaluated_at, String(r.duration_ms)];

/** latest_results' candidate row: check_id … duration_ms as in check_results (without run_id first), then the run's id again and when the dataset was recorded. */
export const latestValues = (runId: string, finishedAt: string, r: CheckResult): unknown[] =>
  [r.check, runId, r.dataset, r.kind, r.name, r.status, doubleParam(r.value), r.unit, r.message, r.runbook, r.owner,
    JSON.stringify(r.tags), JSON.stringify(r.thresholds), JSON.stringify(r.details), r.evaluated_at, String(r.duration_ms), runId, finishedAt];

/** A result as a rollup contribution: check_id, evaluated_at, value, status rank, failing (0/1). */
export const rollupValues = (r: CheckResult): unknown[] =>
  [r.check, r.evaluated_at, doubleParam(r.value), STATUS_RANK[r.status], r.status === 'fail' || r.status === 'error' ? 1 : 0];

/** Every result of the group with its run id and when its dataset was recorded. */
export const groupResults = (group: DatasetWrite[]) => group.flatMap(({ runId, run }) => run.results.map((r) => ({ runId, finishedAt: run.finishedAt, r })));
