// The DuckDB store's schema, versioned. A migration is appended, never edited:
// stores in the field upgrade by applying the ones they have not seen, in order.
// Versions may have gaps (branches reserve numbers): the store records each
// migration it applied, so one numbered lower but merged later still runs.
// Every version here has its PostgreSQL counterpart in postgres/migrations.ts
// (a test holds the two lists to the same versions).

import { randomUUID } from 'node:crypto';
import { RECENT_HOURLY_DAYS, windowOf } from './history-window.js';
import type { HistoryRow } from './store.js';

/** What a migration's step written in code gets: the writer connection, inside the migration's transaction. */
export interface MigrationDb {
  rows(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, values?: unknown[]): Promise<void>;
  /** A read whose rows are handed over a chunk at a time (no other statement may run until it is done). */
  stream(sql: string, values: unknown[], onRows: (rows: Record<string, unknown>[]) => void): Promise<void>;
  /** A BLOB parameter. */
  blob(bytes: Buffer): unknown;
}

export interface Migration {
  version: number;
  description: string;
  sql: string[];
  /** Runs after `sql`, in the same transaction: for what SQL cannot build. */
  run?: (db: MigrationDb) => Promise<void>;
}

/** status → rank, as SQL (pass 0, warn 1, fail 2, error 3): the worst status of a bucket is its max rank. */
export const STATUS_RANK_SQL = `CASE status WHEN 'pass' THEN 0 WHEN 'warn' THEN 1 WHEN 'fail' THEN 2 ELSE 3 END`;
/** A run counts against an SLO when its check was fail or error (warn is not failing). */
export const FAILING_SQL = `status IN ('fail', 'error')`;

const rollupTable = (name: string) => `CREATE TABLE ${name} (
        check_id VARCHAR NOT NULL,
        bucket TIMESTAMP NOT NULL,
        last_at TIMESTAMPTZ NOT NULL,
        last_value DOUBLE,
        min_value DOUBLE,
        max_value DOUBLE,
        worst SMALLINT NOT NULL,
        runs INTEGER NOT NULL,
        failing_runs INTEGER NOT NULL,
        PRIMARY KEY (check_id, bucket)
      )`;

const rollupBackfill = (name: string, unit: 'hour' | 'day') => `INSERT INTO ${name}
      SELECT check_id, date_trunc('${unit}', evaluated_at AT TIME ZONE 'UTC') AS bucket, max(evaluated_at),
        arg_max_null(value, evaluated_at), min(value), max(value), max(${STATUS_RANK_SQL}), count(*), count(*) FILTER (WHERE ${FAILING_SQL})
      FROM check_results GROUP BY ALL
      ORDER BY bucket`;  // in time order, like the inserts that follow: a window's bucket range then prunes row groups

/** One hourly bucket in check_recent_hour.points as migration 5 wrote it, a JSON array (compact: up to 24 per row); migration 6 replaced it. */
export const RECENT_POINT_SQL = `json_array(epoch_ms(bucket), epoch_us(last_at), last_value, min_value, max_value, worst, runs, failing_runs)`;

/**
 * A DOUBLE column as JavaScript's JSON.stringify writes the number: DuckDB's JSON form is the same
 * shortest round-trip digits with the same switch to exponent notation, but writes 1 as 1.0 and
 * 1e+21 as 1e21; NaN and ±Infinity (and -0) are written as JSON.stringify writes them.
 */
const jsNumberSql = (col: string) => `CASE WHEN ${col} IS NULL OR isnan(${col}) OR isinf(${col}) THEN 'null' WHEN ${col} = 0 THEN '0'
  ELSE regexp_replace(regexp_replace(to_json(${col})::VARCHAR, '\\.0$', ''), 'e([0-9])', 'e+\\1') END`;

/**
 * One hourly bucket of check_rollups_hour (from migration 6 on, check_recent_hour.points holds a day's
 * buckets as a JSON array of these) as the API's HistoryPoint, byte for byte what JSON.stringify makes of
 * { at, value, min, max, status, runs }: the history endpoint concatenates a day's array without parsing it.
 */
export const RECENT_HISTORY_POINT_SQL = `'{"at":"' || strftime(bucket, '%Y-%m-%dT%H:%M:%S.000Z') || '","value":' || ${jsNumberSql('last_value')}
  || ',"min":' || ${jsNumberSql('min_value')} || ',"max":' || ${jsNumberSql('max_value')}
  || ',"status":"' || CASE worst WHEN 0 THEN 'pass' WHEN 1 THEN 'warn' WHEN 2 THEN 'fail' ELSE 'error' END || '","runs":' || runs::VARCHAR || '}'`;

/**
 * check_recent_window rows rebuilt from check_recent_hour, for the checks `where` selects (a WHERE
 * clause on check_recent_hour, or '' for all): each check's newest day, the points of its days before
 * it joined into one string, and the newest day's points, each without the array's brackets, as
 * UTF-8 bytes (encode(): no escape processing).
 */
export const recentWindowSql = (where: string) => `SELECT check_id, newest,
    encode(coalesce(string_agg(day_points, ',' ORDER BY day) FILTER (WHERE day < newest AND day_points <> ''), '')),
    encode(coalesce(max(day_points) FILTER (WHERE day = newest), ''))
  FROM (SELECT check_id, day, (points::VARCHAR)[2:-2] AS day_points, max(day) OVER (PARTITION BY check_id) AS newest FROM check_recent_hour ${where})
  GROUP BY check_id, newest`;

export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    description: 'runs, dataset runs, check results, schema snapshots',
    sql: [
      `CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,
        trigger VARCHAR NOT NULL,
        selectors JSON NOT NULL,
        summary JSON
      )`,
      `CREATE TABLE dataset_runs (
        run_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL,
        error VARCHAR,
        queries JSON NOT NULL
      )`,
      `CREATE TABLE check_results (
        run_id VARCHAR NOT NULL,
        check_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        value DOUBLE,
        unit VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        runbook VARCHAR,
        owner VARCHAR,
        tags JSON NOT NULL,
        thresholds JSON NOT NULL,
        details JSON NOT NULL,
        evaluated_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL
      )`,
      `CREATE TABLE schema_snapshots (
        dataset VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        columns JSON NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'ticks of vigil serve that were skipped because the dataset was still running',
    sql: [
      `CREATE TABLE skipped_ticks (
        dataset VARCHAR NOT NULL,
        skipped_at TIMESTAMPTZ NOT NULL,
        reason VARCHAR NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    description: 'alert incidents, their status history, and the notification outbox',
    sql: [
      `CREATE TABLE incidents (
        id VARCHAR PRIMARY KEY,
        check_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        notified_status VARCHAR,
        state VARCHAR NOT NULL,
        opened_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        resolved_at TIMESTAMPTZ,
        last_notified_at TIMESTAMPTZ,
        last_event VARCHAR,
        silenced_reason VARCHAR,
        silenced_until TIMESTAMPTZ,
        runbook VARCHAR,
        owner VARCHAR,
        message VARCHAR NOT NULL
      )`,
      `CREATE TABLE incident_events (
        incident_id VARCHAR NOT NULL,
        event_at TIMESTAMPTZ NOT NULL,
        status VARCHAR NOT NULL,
        event VARCHAR,
        run_id VARCHAR NOT NULL
      )`,
      // One row per message (a dataset's notifications of one run, for one channel). The channel is
      // named, never its URL or password; payload is the message model, which holds no secret.
      `CREATE TABLE outbox (
        idempotency_key VARCHAR PRIMARY KEY,
        channel VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        run_id VARCHAR,
        payload JSON NOT NULL,
        state VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TIMESTAMPTZ,
        last_error VARCHAR,
        created_at TIMESTAMPTZ NOT NULL,
        delivered_at TIMESTAMPTZ
      )`,
    ],
  },
  {
    version: 4,
    description: 'dashboard read models: latest result per check, hourly and daily rollups, per-dataset run summaries (backfilled)',
    sql: [
      `CREATE TABLE latest_results (
        check_id VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        value DOUBLE,
        unit VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        runbook VARCHAR,
        owner VARCHAR,
        tags JSON NOT NULL,
        thresholds JSON NOT NULL,
        details JSON NOT NULL,
        evaluated_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL,
        run_started_at TIMESTAMPTZ NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL
      )`,
      rollupTable('check_rollups_hour'),
      rollupTable('check_rollups_day'),
      `CREATE TABLE dataset_run_summaries (
        run_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL,
        status VARCHAR NOT NULL,
        error VARCHAR
      )`,
      `INSERT INTO latest_results
      SELECT c.check_id, c.run_id, c.dataset, c.kind, c.name, c.status, c.value, c.unit, c.message, c.runbook, c.owner,
        c.tags, c.thresholds, c.details, c.evaluated_at, c.duration_ms, r.started_at, coalesce(d.finished_at, c.evaluated_at)
      FROM check_results c JOIN runs r USING (run_id) LEFT JOIN dataset_runs d ON d.run_id = c.run_id AND d.dataset = c.dataset
      QUALIFY row_number() OVER (PARTITION BY c.check_id ORDER BY r.started_at DESC, c.rowid DESC) = 1`,
      rollupBackfill('check_rollups_hour', 'hour'),
      rollupBackfill('check_rollups_day', 'day'),
      `INSERT INTO dataset_run_summaries
      SELECT d.run_id, d.dataset, d.started_at, d.finished_at, d.duration_ms,
        coalesce((SELECT CASE max(${STATUS_RANK_SQL}) WHEN 0 THEN 'pass' WHEN 1 THEN 'warn' WHEN 2 THEN 'fail' WHEN 3 THEN 'error' END
          FROM check_results c WHERE c.run_id = d.run_id AND c.dataset = d.dataset), 'unknown'), d.error
      FROM dataset_runs d ORDER BY d.started_at`,
    ],
  },
  {
    version: 5,
    description: 'recent hourly history per check and day (the last RECENT_HOURLY_DAYS days of check_rollups_hour), backfilled',
    sql: [
      // One row per check and UTC day holding that day's hourly buckets as a JSON array of
      // [bucket epoch ms, last_at epoch µs, last, min, max, worst, runs, failing_runs], in bucket order.
      `CREATE TABLE check_recent_hour (
        check_id VARCHAR NOT NULL,
        day DATE NOT NULL,
        points JSON NOT NULL,
        PRIMARY KEY (check_id, day)
      )`,
      `INSERT INTO check_recent_hour
      SELECT r.check_id, r.bucket::DATE AS day, '[' || string_agg(${RECENT_POINT_SQL}::VARCHAR, ',' ORDER BY r.bucket) || ']'
      FROM check_rollups_hour r
      JOIN (SELECT check_id, max(bucket)::DATE AS newest FROM check_rollups_hour GROUP BY check_id) n USING (check_id)
      WHERE r.bucket::DATE > n.newest - ${RECENT_HOURLY_DAYS}
      GROUP BY r.check_id, day
      ORDER BY r.check_id, day`,
      // A check's ≤ 35 rows are then fetched through the index (1.5 ms on 2,000 checks) instead of a scan of every row (3.5 ms).
      `CREATE INDEX check_recent_hour_check ON check_recent_hour (check_id)`,
    ],
  },
  {
    version: 6,
    description: 'check_recent_hour.points rewritten as the API\'s history points, so a chart read sends them without parsing them',
    sql: [
      // The same (check, day) rows, each day's buckets rebuilt from check_rollups_hour (the rows were built from them).
      `UPDATE check_recent_hour SET points = p.points
      FROM (SELECT t.check_id, t.day, '[' || string_agg(${RECENT_HISTORY_POINT_SQL}, ',' ORDER BY r.bucket) || ']' AS points
        FROM check_recent_hour t JOIN check_rollups_hour r ON r.check_id = t.check_id AND r.bucket >= t.day AND r.bucket < t.day + 1
        GROUP BY t.check_id, t.day) p
      WHERE check_recent_hour.check_id = p.check_id AND check_recent_hour.day = p.day`,
    ],
  },
  {
    version: 7,
    description: 'each check\'s recent hours as one row of two ready strings (its newest day\'s points, and those of the days before it), backfilled',
    sql: [
      // A chart read fetches one row per check instead of one per day (≤ 35), less than half the CPU
      // per 30-day read; the points are BLOBs (UTF-8 JSON) so the server sends the bytes it reads
      // without decoding them into strings. check_recent_hour stays the per-day source: a write that
      // lands on a check's newest day replaces `latest` only; one that starts a new day (or goes back
      // in time) rebuilds the row from the day rows, once per check and day.
      `CREATE TABLE check_recent_window (
        check_id VARCHAR PRIMARY KEY,
        newest DATE NOT NULL,
        earlier BLOB NOT NULL,
        latest BLOB NOT NULL
      )`,
      `INSERT INTO check_recent_window ${recentWindowSql('')} ORDER BY check_id`,
    ],
  },
  {
    version: 8,
    description: 'check_recent_window.version, new with every write of the row, so a history response\'s ETag names its bytes without hashing them',
    sql: [
      // Every write sets it; NULL would read as "unknown" (the ETag is then a hash of the body). Not
      // SET NOT NULL: after the UPDATE, in the same transaction, DuckDB 1.5 refuses it ("Cannot create
      // index with outstanding updates"), and rebuilding the table would copy every row's points.
      `ALTER TABLE check_recent_window ADD COLUMN version UUID`,
      `UPDATE check_recent_window SET version = gen_random_uuid()`,
    ],
  },
  {
    version: 9,
    description: 'each check\'s recent hours as packed points (data, not the API\'s JSON): check_history_window replaces check_recent_hour and check_recent_window; revisions kept in the store',
    sql: [
      // The same split as check_recent_window (the newest day's points, and those of the days before it),
      // as fixed-width records (history-points.ts) that readers index instead of parsing.
      `CREATE TABLE check_history_window (
        check_id VARCHAR PRIMARY KEY,
        newest_day INTEGER NOT NULL,
        earlier BLOB NOT NULL,
        latest BLOB NOT NULL,
        version VARCHAR NOT NULL
      )`,
      // Per dataset (and '*' for what is not one dataset's): a count of writes every reader keys its caches on.
      `CREATE TABLE vigil_revisions (scope VARCHAR PRIMARY KEY, revision BIGINT NOT NULL)`,
      `INSERT INTO vigil_revisions SELECT dataset, count(*) FROM dataset_runs GROUP BY dataset`,
    ],
    run: async (db) => {
      await backfillHistoryWindows(db);
      await db.run('DROP TABLE check_recent_window');
      await db.run('DROP TABLE check_recent_hour');
    },
  },
  {
    version: 10,
    description: 'each run says which datasets it ran, the tick a scheduled run was for, and the process that ran it',
    sql: [
      `ALTER TABLE runs ADD COLUMN datasets JSON`,
      `ALTER TABLE runs ADD COLUMN scheduled_for TIMESTAMPTZ`,
      `ALTER TABLE runs ADD COLUMN replica VARCHAR`,
    ],
  },
  {
    version: 11,
    description: 'on call without editing files: who acknowledged an incident (when, why), and silences kept in the store',
    sql: [
      `ALTER TABLE incidents ADD COLUMN acknowledged_by VARCHAR`,
      `ALTER TABLE incidents ADD COLUMN acknowledged_at TIMESTAMPTZ`,
      `ALTER TABLE incidents ADD COLUMN ack_reason VARCHAR`,
      `CREATE TABLE silences (
        id VARCHAR PRIMARY KEY,
        match JSON NOT NULL,
        selector VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        ends_at TIMESTAMPTZ NOT NULL,
        expired_at TIMESTAMPTZ,
        expired_by VARCHAR
      )`,
    ],
  },
  {
    version: 12,
    description: 'incidents.last_sent_at: when a notification of the incident reached a channel (last_notified_at is when one was queued); earlier incidents take their queued time',
    sql: [
      `ALTER TABLE incidents ADD COLUMN last_sent_at TIMESTAMPTZ`,
      `UPDATE incidents SET last_sent_at = last_notified_at`,
    ],
  },
];

/** Rows of check_history_window written by one INSERT. */
const BACKFILL_BATCH = 100;

/**
 * check_history_window rebuilt from check_rollups_hour for every check (the table must be empty):
 * one scan for each check's newest bucket, one streamed read of the recent buckets (the time-ordered
 * rollups prune to their newest row groups), packed here, then written.
 */
export async function backfillHistoryWindows(db: MigrationDb): Promise<void> {
  const [bounds] = await db.rows('SELECT epoch_ms(date_trunc(\'day\', min(newest))) AS lo FROM (SELECT max(bucket) AS newest FROM check_rollups_hour GROUP BY check_id)');
  if (bounds?.lo === null || bounds?.lo === undefined) return;
  const from = new Date(Number(bounds.lo) - (RECENT_HOURLY_DAYS - 1) * 86_400_000).toISOString();
  const windows: unknown[][] = [];
  let check: string | null = null;
  let points: HistoryRow[] = [];
  const flush = () => {
    const w = check === null ? null : windowOf(points);
    if (w) windows.push([check, w.newestDay, db.blob(w.earlier.bytes), db.blob(w.latest.bytes), randomUUID()]);
  };
  await db.stream(`SELECT check_id, epoch_ms(bucket) AS at, last_value, min_value, max_value, worst, runs, failing_runs
    FROM check_rollups_hour WHERE bucket >= ?::TIMESTAMP ORDER BY check_id, bucket`, [from.slice(0, 19)], (rows) => {
    for (const r of rows) {
      if (r.check_id !== check) { flush(); check = String(r.check_id); points = []; }
      points.push(rollupPoint(r));
    }
  });
  flush();
  for (let i = 0; i < windows.length; i += BACKFILL_BATCH) {
    const batch = windows.slice(i, i + BACKFILL_BATCH);
    await db.run(`INSERT INTO check_history_window VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, batch.flat());
  }
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A row of check_rollups_hour (bucket as epoch ms in `at`) as a history point. */
export function rollupPoint(r: Record<string, unknown>): HistoryRow {
  return {
    at: new Date(Number(r.at)).toISOString(), value: num(r.last_value), min: num(r.min_value), max: num(r.max_value),
    worst: Number(r.worst), runs: Number(r.runs), failing: Number(r.failing_runs),
  };
}


export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
