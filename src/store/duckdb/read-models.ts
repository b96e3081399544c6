// The dashboard's read models, kept in step with check_results inside the same
// transaction: the latest result per check, hourly and daily rollups, each
// dataset run's summary, and each check's recent hours (check_history_window).
// Written from the runs' own values and the rows they upsert, never a scan of the history.

import { blobValue, type DuckDBValue } from '@duckdb/node-api';
import { HistoryPoints } from '../history-points.js';
import { needsEarlier, windowWrites, type WindowHead } from '../history-window.js';
import { rollupPoint } from '../migrations.js';
import { groupResults, latestValues, rollupValues, summaryValues, type DatasetWrite } from '../write-rows.js';
import { asBuffer, placeholders, type DuckDBSession } from './session.js';

export async function recordReadModels(db: DuckDBSession, group: DatasetWrite[]): Promise<void> {
  await db.run(`INSERT INTO dataset_run_summaries VALUES ${placeholders(group.length, '(?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE, ?, ?)')}`,
    group.flatMap(summaryValues) as DuckDBValue[]);
  const results = groupResults(group);
  if (results.length === 0) return;
  const latest = results.flatMap(({ runId, finishedAt, r }) => latestValues(runId, finishedAt, r)) as DuckDBValue[];
  const rollup = results.flatMap(({ r }) => rollupValues(r)) as DuckDBValue[];
  // Latest by when the run started (evaluated_at follows --now, which may go backwards).
  await db.run(`INSERT INTO latest_results
    SELECT v.check_id, v.run_id, v.dataset, v.kind, v.name, v.status, v.value::DOUBLE, v.unit, v.message, v.runbook, v.owner,
      v.tags::JSON, v.thresholds::JSON, v.details::JSON, v.evaluated_at::TIMESTAMPTZ, v.duration_ms::DOUBLE, coalesce(r.started_at, v.recorded_at::TIMESTAMPTZ), v.recorded_at::TIMESTAMPTZ
    FROM (VALUES ${placeholders(results.length, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')})
      AS v(check_id, run_id, dataset, kind, name, status, value, unit, message, runbook, owner, tags, thresholds, details, evaluated_at, duration_ms, run_key, recorded_at)
    LEFT JOIN runs r ON r.run_id = v.run_key
    ON CONFLICT (check_id) DO UPDATE SET run_id = excluded.run_id, dataset = excluded.dataset, kind = excluded.kind, name = excluded.name,
      status = excluded.status, value = excluded.value, unit = excluded.unit, message = excluded.message, runbook = excluded.runbook,
      owner = excluded.owner, tags = excluded.tags, thresholds = excluded.thresholds, details = excluded.details,
      evaluated_at = excluded.evaluated_at, duration_ms = excluded.duration_ms, run_started_at = excluded.run_started_at, recorded_at = excluded.recorded_at
    WHERE excluded.run_started_at >= latest_results.run_started_at`, latest);
  for (const [table, unit] of [['check_rollups_hour', 'hour'], ['check_rollups_day', 'day']] as const) {
    await db.run(`INSERT INTO ${table}
      SELECT check_id, date_trunc('${unit}', ts::TIMESTAMPTZ AT TIME ZONE 'UTC'), ts::TIMESTAMPTZ, value::DOUBLE, value::DOUBLE, value::DOUBLE, rank, 1, failing
      FROM (VALUES ${placeholders(results.length, '(?, ?, ?, ?::SMALLINT, ?::INTEGER)')}) AS v(check_id, ts, value, rank, failing)
      ON CONFLICT (check_id, bucket) DO UPDATE SET
        last_value = CASE WHEN excluded.last_at >= ${table}.last_at THEN excluded.last_value ELSE ${table}.last_value END,
        last_at = greatest(${table}.last_at, excluded.last_at),
        min_value = least(${table}.min_value, excluded.min_value),
        max_value = greatest(${table}.max_value, excluded.max_value),
        worst = greatest(${table}.worst, excluded.worst),
        runs = ${table}.runs + excluded.runs,
        failing_runs = ${table}.failing_runs + excluded.failing_runs`, rollup);
  }
  await recordHistoryWindows(db, results.map(({ r }) => ({ check: r.check, at: r.evaluated_at })));
}

/**
 * check_history_window after the hourly rollups of `written` were upserted: each check's bucket as
 * it now is, merged into its window (history-window.ts decides how: the newest day's points alone,
 * or the row whole). A check has one result per write, so one bucket.
 */
async function recordHistoryWindows(db: DuckDBSession, written: Array<{ check: string; at: string }>): Promise<void> {
  const times = written.map((w) => Date.parse(w.at));
  // The range prunes the time-ordered rollups to their newest row groups.
  const [lo, hi] = [new Date(Math.min(...times)).toISOString(), new Date(Math.max(...times)).toISOString()];
  const buckets = new Map((await db.rows(`SELECT r.check_id, epoch_ms(r.bucket) AS at, r.last_value, r.min_value, r.max_value, r.worst, r.runs, r.failing_runs
    FROM (VALUES ${placeholders(written.length, '(?, ?::TIMESTAMPTZ)')}) AS v(check_id, ts)
    JOIN check_rollups_hour r ON r.check_id = v.check_id AND r.bucket = date_trunc('hour', v.ts AT TIME ZONE 'UTC')
    WHERE r.bucket >= date_trunc('hour', ?::TIMESTAMPTZ AT TIME ZONE 'UTC') AND r.bucket <= ?::TIMESTAMPTZ AT TIME ZONE 'UTC'`,
  [...written.flatMap((w) => [w.check, w.at]), lo, hi])).map((r) => [String(r.check_id), rollupPoint(r)]));
  const checks = [...buckets.keys()];
  if (checks.length === 0) return;
  // The newest day's points of every check; the earlier days' only where the row is rewritten whole.
  const heads = new Map<string, WindowHead>((await db.rows(`SELECT check_id, newest_day, latest FROM check_history_window
    WHERE check_id IN (${placeholders(checks.length, '?')})`, checks)).map((r) => [String(r.check_id), { newestDay: Number(r.newest_day), latest: blobPoints(r.latest) }]));
  const more = needsEarlier(buckets, heads);
  const earlier = new Map<string, HistoryPoints>(more.length === 0 ? [] : (await db.rows(`SELECT check_id, earlier FROM check_history_window
    WHERE check_id IN (${placeholders(more.length, '?')})`, more)).map((r) => [String(r.check_id), blobPoints(r.earlier)]));
  const writes = windowWrites(buckets, heads, earlier);
  const latestOnly = writes.latest.flatMap((w) => [w.check, blobValue(w.latest.bytes), w.version]);
  const whole = writes.whole.flatMap(({ check, window: w, version }) => [check, w.newestDay, blobValue(w.earlier.bytes), blobValue(w.latest.bytes), version]);
  // DuckDB updates column by column: the usual write leaves `earlier` (most of the row) untouched.
  if (latestOnly.length > 0) {
    await db.run(`UPDATE check_history_window SET latest = v.latest, version = v.version
      FROM (VALUES ${placeholders(latestOnly.length / 3, '(?, ?::BLOB, ?)')}) AS v(check_id, latest, version)
      WHERE check_history_window.check_id = v.check_id`, latestOnly);
  }
  if (whole.length > 0) {
    await db.run(`INSERT OR REPLACE INTO check_history_window VALUES ${placeholders(whole.length / 5, '(?, ?, ?::BLOB, ?::BLOB, ?)')}`, whole);
  }
}

/** A BLOB as the writer connection returns it (getRowObjectsJS: a Uint8Array) as points. */
function blobPoints(v: unknown): HistoryPoints {
  return v instanceof Uint8Array ? new HistoryPoints(asBuffer(v)) : HistoryPoints.EMPTY;
}
