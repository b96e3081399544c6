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

/** latest_results' upsert of candidate rows: a check's row is replaced by a run that started no earlier (evaluated_at follows --now, which may go backwards). */
export const LATEST_UPSERT = `ON CONFLICT (check_id) DO UPDATE SET run_id = excluded.run_id, dataset = excluded.dataset, kind = excluded.kind, name = excluded.name,
      status = excluded.status, value = excluded.value, unit = excluded.unit, message = excluded.message, runbook = excluded.runbook,
      owner = excluded.owner, tags = excluded.tags, thresholds = excluded.thresholds, details = excluded.details,
      evaluated_at = excluded.evaluated_at, duration_ms = excluded.duration_ms, run_started_at = excluded.run_started_at, recorded_at = excluded.recorded_at
    WHERE excluded.run_started_at >= latest_results.run_started_at`;

/** A rollup table's upsert of one result per row into its bucket (the same SQL in both dialects). */
export const rollupUpsert = (table: string) => `ON CONFLICT (check_id, bucket) DO UPDATE SET
        last_value = CASE WHEN excluded.last_at >= ${table}.last_at THEN excluded.last_value ELSE ${table}.last_value END,
        last_at = greatest(${table}.last_at, excluded.last_at),
        min_value = least(${table}.min_value, excluded.min_value),
        max_value = greatest(${table}.max_value, excluded.max_value),
        worst = greatest(${table}.worst, excluded.worst),
        runs = ${table}.runs + excluded.runs,
        failing_runs = ${table}.failing_runs + excluded.failing_runs`;
