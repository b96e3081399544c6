// How a dataset's results reach the PostgreSQL store: one transaction per
// dataset (results, schema, incidents, outbox, read models and its revision),
// all or nothing. Processes sharing the store write concurrently; a dataset's
// incidents are locked while its write decides them.

import { HistoryPoints } from '../history-points.js';
import { needsEarlier, windowWrites, type WindowHead } from '../history-window.js';
import { rollupPoint } from '../migrations.js';
import { placeholders } from '../duckdb/session.js';
import { LATEST_UPSERT, datasetRunValues, groupResults, latestValues, resultValues, rollupUpsert, rollupValues, summaryValues, type DatasetWrite } from '../write-rows.js';
import type { DatasetRun, IncidentPlanner } from '../store.js';
import { asPoints } from './history.js';
import { recordIncidents } from './incidents.js';
import { lastSchemas } from './reads.js';
import type { PgSession, PgTx } from './session.js';

/** Rows per multi-row INSERT (PostgreSQL takes at most 65,535 parameters per statement). */
const ROWS_PER_INSERT = 1000;

/** Writes one dataset's run; resolves with the revision it was given. */
export async function recordDataset(db: PgSession, runId: string, run: DatasetRun, planner?: IncidentPlanner): Promise<{ scope: string; revision: number }> {
  return db.transaction(async (tx) => {
    const w = { runId, run };
    if (planner) await recordIncidents(tx, run.dataset, planner);
    await tx.run(`INSERT INTO dataset_runs (run_id, dataset, started_at, finished_at, duration_ms, error, queries) VALUES (?, ?, ?, ?, ?::float8, ?, ?)`, datasetRunValues(w));
    await insertMany(tx, `INSERT INTO check_results (run_id, check_id, dataset, kind, name, status, value, unit, message, runbook, owner, tags, thresholds, details, evaluated_at, duration_ms) VALUES`,
      '(?, ?, ?, ?, ?, ?, ?::float8, ?, ?, ?, ?, ?::json, ?::json, ?::json, ?::timestamptz, ?::float8)', run.results.map((r) => resultValues(runId, r)));
    if (run.schema) {
      const last = (await lastSchemas(tx.rows, [run.dataset])).get(run.dataset);
      if (JSON.stringify(last) !== JSON.stringify(run.schema)) {
        await tx.run(`INSERT INTO schema_snapshots (dataset, run_id, recorded_at, columns) VALUES (?, ?, ?, ?)`, [run.dataset, runId, run.finishedAt, JSON.stringify(run.schema)]);
      }
    }
    await recordReadModels(tx, w);
    const [rev] = await tx.rows(`INSERT INTO vigil_revisions VALUES (?, nextval('vigil_revision_seq'))
      ON CONFLICT (scope) DO UPDATE SET revision = excluded.revision RETURNING revision`, [run.dataset]);
    return { scope: run.dataset, revision: Number(rev?.revision) };
  });
}

async function insertMany(tx: PgTx, head: string, row: string, values: unknown[][], tail = ''): Promise<void> {
  for (let i = 0; i < values.length; i += ROWS_PER_INSERT) {
    const batch = values.slice(i, i + ROWS_PER_INSERT);
    await tx.run(`${head} ${placeholders(batch.length, row)} ${tail}`, batch.flat());
  }
}

async function recordReadModels(tx: PgTx, w: DatasetWrite): Promise<void> {
  await tx.run(`INSERT INTO dataset_run_summaries VALUES (?, ?, ?, ?, ?::float8, ?, ?)`, summaryValues(w));
  const results = groupResults([w]);
  if (results.length === 0) return;
  // Latest by when the run started (evaluated_at follows --now, which may go backwards).
  await insertMany(tx, `INSERT INTO latest_results
    SELECT v.check_id, v.run_id, v.dataset, v.kind, v.name, v.status, v.value, v.unit, v.message, v.runbook, v.owner,
      v.tags, v.thresholds, v.details, v.evaluated_at, v.duration_ms, coalesce(r.started_at, v.recorded_at), v.recorded_at
    FROM (VALUES`,
  '(?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::float8, ?::text, ?::text, ?::text, ?::text, ?::json, ?::json, ?::json, ?::timestamptz, ?::float8, ?::text, ?::timestamptz)',
  results.map(({ runId, finishedAt, r }) => latestValues(runId, finishedAt, r)),
  `) AS v(check_id, run_id, dataset, kind, name, status, value, unit, message, runbook, owner, tags, thresholds, details, evaluated_at, duration_ms, run_key, recorded_at)
    LEFT JOIN runs r ON r.run_id = v.run_key
    ${LATEST_UPSERT}`);
  const rollups = results.map(({ r }) => rollupValues(r));
  for (const [table, unit] of [['check_rollups_hour', 'hour'], ['check_rollups_day', 'day']] as const) {
    await insertMany(tx, `INSERT INTO ${table}
      SELECT check_id, date_trunc('${unit}', ts, 'UTC'), ts, value, value, value, rank, 1, failing FROM (VALUES`,
    '(?::text, ?::timestamptz, ?::float8, ?::smallint, ?::integer)', rollups,
    `) AS v(check_id, ts, value, rank, failing)
      ${rollupUpsert(table)}`);
  }
  await recordHistoryWindows(tx, results.map(({ r }) => ({ check: r.check, at: r.evaluated_at })));
}

/** check_history_window after the hourly rollups of `written` were upserted (history-window.ts decides how each row changes). */
async function recordHistoryWindows(tx: PgTx, written: Array<{ check: string; at: string }>): Promise<void> {
  const buckets = new Map((await tx.rows(`SELECT r.check_id, (extract(epoch FROM r.bucket) * 1000)::float8 AS at, r.last_value, r.min_value, r.max_value, r.worst, r.runs, r.failing_runs
    FROM unnest(?::text[], ?::timestamptz[]) AS v(check_id, ts)
    JOIN check_rollups_hour r ON r.check_id = v.check_id AND r.bucket = date_trunc('hour', v.ts, 'UTC')`,
  [written.map((w) => w.check), written.map((w) => w.at)])).map((r) => [String(r.check_id), rollupPoint(r)]));
  const checks = [...buckets.keys()];
  if (checks.length === 0) return;
  const heads = new Map<string, WindowHead>((await tx.rows(`SELECT check_id, newest_day, latest FROM check_history_window WHERE check_id = ANY(?::text[]) FOR UPDATE`, [checks]))
    .map((r) => [String(r.check_id), { newestDay: Number(r.newest_day), latest: asPoints(r.latest) }]));
  const more = needsEarlier(buckets, heads);
  const earlier = new Map<string, HistoryPoints>(more.length === 0 ? [] : (await tx.rows(`SELECT check_id, earlier FROM check_history_window WHERE check_id = ANY(?::text[])`, [more]))
    .map((r) => [String(r.check_id), asPoints(r.earlier)]));
  const writes = windowWrites(buckets, heads, earlier);
  if (writes.latest.length > 0) {
    await tx.run(`UPDATE check_history_window w SET latest = v.latest, version = v.version
      FROM unnest(?::text[], ?::bytea[], ?::text[]) AS v(check_id, latest, version) WHERE w.check_id = v.check_id`,
    [writes.latest.map((x) => x.check), writes.latest.map((x) => x.latest.bytes), writes.latest.map((x) => x.version)]);
  }
  if (writes.whole.length > 0) {
    await tx.run(`INSERT INTO check_history_window SELECT * FROM unnest(?::text[], ?::integer[], ?::bytea[], ?::bytea[], ?::text[])
      ON CONFLICT (check_id) DO UPDATE SET newest_day = excluded.newest_day, earlier = excluded.earlier, latest = excluded.latest, version = excluded.version`,
    [writes.whole.map((x) => x.check), writes.whole.map((x) => x.window.newestDay), writes.whole.map((x) => x.window.earlier.bytes),
      writes.whole.map((x) => x.window.latest.bytes), writes.whole.map((x) => x.version)]);
  }
}
