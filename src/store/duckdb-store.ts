// The results store in a DuckDB file (default .vigil/vigil.duckdb).
// Append-only history; every dataset's results land in one transaction.

import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBBlobVector, DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { STATUS_RANK, worstStatus, type ColumnInfo, type Status } from '../checks/kind.js';
import { VigilError, errorMessage } from '../util/errors.js';
import { MIGRATIONS, RECENT_HISTORY_POINT_SQL, RECENT_HOURLY_DAYS, SCHEMA_VERSION, STATUS_RANK_SQL, recentWindowSql } from './migrations.js';
import type { IncidentJson } from '../server/api-types.js';
import type {
  BucketCount, CheckResult, CountWindow, DatasetRun, DatasetRunSummary, HistoryRow, IncidentPlanner, IncidentRow, LatestResult, OutboxRow, OutboxState,
  RecentHistoryJson, RunRecord, RunStatus, Store, WindowCount,
} from './store.js';

const LOCK_RETRY_MS = 5000;
/** Most datasets written in one transaction (bounds the statements' parameter lists). */
const MAX_GROUP = 64;

/** `n` copies of a row of placeholders, for a multi-row VALUES list. */
const placeholders = (n: number, row: string) => Array.from({ length: n }, () => row).join(', ');

/**
 * A number as bound for a `?::DOUBLE`: text, because a JS number with an integral value would be
 * bound as BIGINT and overflow past 2^63 (a sql check may return anything); NaN/±Infinity → NULL;
 * anything that is not a number goes as it is, for the database to reject.
 */
const doubleParam = (v: number | null): string | null => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : null) : v);

const durationMs = (run: DatasetRun) => String(Date.parse(run.finishedAt) - Date.parse(run.startedAt));

interface PendingWrite {
  runId: string;
  run: DatasetRun;
  planner?: IncidentPlanner;
  resolve: () => void;
  reject: (err: unknown) => void;
}
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A UTC day number (days since 1970-01-01) as a DATE literal. */
const dayDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** A DATE column as a UTC day number, the form the code compares (see dayDate). */
const dayNumberSql = (column: string): string => `(${column} - DATE '1970-01-01')::INTEGER`;
/** Where a point's bucket (an ISO string) starts in a stored history point: {"at":"…", */
const AT_START = '{"at":"'.length;
const ISO_LENGTH = 24;
/** Most checks whose recent hours one query reads (each a row of up to ~80 kB). */
const RECENT_BATCH = 32;

/** A value of a `hot` read: a BLOB comes as its bytes. */
type HotValue = DuckDBValue | Uint8Array | null;

/**
 * A row of check_recent_window: the check's newest day (a UTC day number), its points (UTF-8 JSON)
 * before that day and on it, and the version the row's last write gave it.
 */
interface RecentWindow {
  newest: number;
  earlier: Buffer;
  latest: Buffer;
  version: string;
}

const asBuffer = (v: HotValue): Buffer => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0));
const COMMA = Buffer.from(',');
const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');

/**
 * The points of `points` (stored history points joined by ',', in bucket order) whose bucket is from
 * `fromAt` to `toAt` (ISO strings), as a view of it. The points are flat objects (no nested braces,
 * none in their strings), so each starts at the beginning or after '},'; found by bisection.
 */
export function pointsBetween(points: Buffer, fromAt: string, toAt: string): Buffer {
  if (points.length === 0) return points;
  const start = firstPoint(points, (at) => at >= fromAt);
  const end = firstPoint(points, (at) => at > toAt);
  return start < end ? points.subarray(start, end - 1) : points.subarray(0, 0);
}

/** Where the first point whose bucket passes `past` starts (all after it pass too); points.length + 1 when none does. */
function firstPoint(points: Buffer, past: (at: string) => boolean): number {
  const bucket = (start: number) => points.toString('latin1', start + AT_START, start + AT_START + ISO_LENGTH);
  const end = points.length + 1;
  if (past(bucket(0))) return 0;
  const last = points.lastIndexOf('},{');
  if (last < 0 || !past(bucket(last + 2))) return end;
  // lo starts a point that does not pass, hi one that does.
  let lo = 0;
  let hi = last + 2;
  for (;;) {
    const next = points.indexOf('},{', lo) + 2;
    if (next >= hi) return hi;
    const after = points.indexOf('},{', (lo + hi) >>> 1) + 2;
    const probe = after >= 2 && after < hi ? after : next;
    if (past(bucket(probe))) hi = probe;
    else lo = probe;
  }
}

function parseJson<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  if (typeof v === 'string') {
    try { return JSON.parse(v) as T; } catch { return fallback; }
  }
  return v as T;
}

function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

const INCIDENT_COLUMNS = `id, check_id, dataset, kind, status, notified_status, state, opened_at, last_seen_at, resolved_at, last_notified_at,
  last_event, silenced_reason, silenced_until, runbook, owner, message`;

const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function incidentFromRow(r: Record<string, unknown>): IncidentRow {
  return {
    id: String(r.id), checkId: String(r.check_id), dataset: String(r.dataset), kind: String(r.kind),
    state: r.state as IncidentRow['state'], status: r.status as Status, notifiedStatus: (r.notified_status as Status | null) ?? null,
    openedAt: iso(r.opened_at), lastSeenAt: iso(r.last_seen_at), resolvedAt: isoOrNull(r.resolved_at), lastNotifiedAt: isoOrNull(r.last_notified_at),
    lastEvent: (r.last_event as IncidentRow['lastEvent']) ?? null, silencedReason: strOrNull(r.silenced_reason), silencedUntil: isoOrNull(r.silenced_until),
    runbook: strOrNull(r.runbook), owner: strOrNull(r.owner), message: String(r.message),
  };
}

function outboxFromRow(r: Record<string, unknown>): OutboxRow {
  return {
    key: String(r.idempotency_key), channel: String(r.channel), dataset: String(r.dataset), runId: strOrNull(r.run_id),
    payload: parseJson<unknown>(r.payload, null), state: r.state as OutboxState, attempts: Number(r.attempts),
    nextAttemptAt: isoOrNull(r.next_attempt_at), lastError: strOrNull(r.last_error), createdAt: iso(r.created_at), deliveredAt: isoOrNull(r.delivered_at),
  };
}

function latestRow(r: Record<string, unknown>): LatestResult {
  return {
    check: String(r.check_id), dataset: String(r.dataset), kind: String(r.kind), name: String(r.name),
    status: r.status as Status, value: r.value === null ? null : Number(r.value), unit: String(r.unit),
    message: String(r.message), runbook: (r.runbook as string | null) ?? null, owner: (r.owner as string | null) ?? null,
    tags: parseJson<string[]>(r.tags, []), thresholds: parseJson(r.thresholds, {}), details: parseJson(r.details, {}),
    evaluated_at: iso(r.evaluated_at), duration_ms: Number(r.duration_ms), run_id: String(r.run_id), recorded_at: iso(r.recorded_at),
  };
}

/**
 * The store holds check messages, sample keys and incident history: it is for its owner only.
 * DuckDB creates the file, its WAL (again after every checkpoint) and its temp folder with the
 * process umask, so the umask drops group and other bits for the rest of the process; a
 * folder created for it is 0700, and a store made by an older vigil is tightened to 0600.
 */
function privateFiles(file: string): void {
  const previous = process.umask(0o077);
  process.umask(previous | 0o077);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (const f of [file, `${file}.wal`]) {
    try { chmodSync(f, 0o600); } catch { /* not there yet, or not ours to change */ }
  }
}

export class DuckDBStore implements Store {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection, readonly file: string) {}

  static async open(file: string): Promise<DuckDBStore> {
    privateFiles(file);
    const deadline = Date.now() + LOCK_RETRY_MS;
    for (;;) {
      try {
        const instance = await DuckDBInstance.create(file, { threads: '1' });
        const conn = await instance.connect();
        const store = new DuckDBStore(instance, conn, file);
        await store.migrate();
        return store;
      } catch (err) {
        const msg = errorMessage(err);
        if (/lock/i.test(msg) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (/lock/i.test(msg)) {
          throw new VigilError('STORE_FAILED', `the results store ${file} is in use by another process (${msg.split('\n')[0]}) — wait for it to finish, or point store: elsewhere`, { cause: err });
        }
        throw new VigilError('STORE_FAILED', `cannot open the results store ${file}: ${msg.split('\n')[0]}`, { cause: err });
      }
    }
  }

  /**
   * The dashboard's reads run on their own connections (MVCC: they see committed
   * transactions), so they neither wait for writes nor for each other.
   */
  private readonly readers: Array<{ conn: Promise<DuckDBConnection>; queue: Promise<unknown>; pending: number; statements: Map<string, Promise<DuckDBPreparedStatement>> }> = [];
  private static readonly READERS = 2;

  /**
   * `rows` runs any read; `hot` is for the few fixed reads a page makes per request (a check's chart):
   * the statement is prepared once per connection and kept, and its materialized result is read in one
   * round trip to DuckDB's thread instead of three (run, then each chunk, then the empty end), values as arrays
   * (a BLOB as the bytes the driver copied out, never decoded or copied again).
   */
  private reading<T>(fn: (
    rows: (sql: string, values?: DuckDBValue[]) => Promise<Record<string, unknown>[]>,
    hot: (sql: string, values: DuckDBValue[]) => Promise<HotValue[][]>,
  ) => Promise<T>): Promise<T> {
    if (this.readers.length < DuckDBStore.READERS) this.readers.push({ conn: this.instance.connect(), queue: Promise.resolve(), pending: 0, statements: new Map() });
    const reader = this.readers.reduce((a, b) => (b.pending < a.pending ? b : a));
    reader.pending++;
    const run = async () => {
      const conn = await reader.conn;
      return fn(
        async (sql, values) => (await conn.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[],
        async (sql, values) => {
          let statement = reader.statements.get(sql);
          if (!statement) {
            statement = conn.prepare(sql);
            reader.statements.set(sql, statement);
            statement.catch(() => reader.statements.delete(sql));
          }
          const prepared = await statement;
          prepared.bind(values);
          const result = await prepared.run();
          // Column by column from each chunk's vectors: getRows() asks the native side for the column
          // count on every row and builds each value through a visitor callback.
          const out: HotValue[][] = [];
          const columns = result.columnCount;
          for (let i = 0, chunks = result.chunkCount; i < chunks; i++) {
            const chunk = result.getChunk(i);
            const base = out.length;
            for (let r = 0; r < chunk.rowCount; r++) out.push(new Array<HotValue>(columns));
            for (let c = 0; c < columns; c++) {
              const vector = chunk.getColumnVector(c);
              const n = vector.itemCount;
              if (vector instanceof DuckDBBlobVector) for (let r = 0; r < n; r++) (out[base + r] as HotValue[])[c] = vector.getItemBytes(r);
              else for (let r = 0; r < n; r++) (out[base + r] as HotValue[])[c] = vector.getItem(r);
            }
          }
          return out;
        },
      );
    };
    const next = reader.queue.then(run, run);
    reader.queue = next.catch(() => undefined).finally(() => { reader.pending--; });
    return next;
  }

  /** Serializes all access to the one connection. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async rows(sql: string, values?: DuckDBValue[]): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql, values);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  private async transaction(fn: () => Promise<void>): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await fn();
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async migrate(): Promise<void> {
    if (await this.upToDate()) return;
    await this.conn.run('CREATE TABLE IF NOT EXISTS vigil_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
    const rows = await this.rows(`SELECT value FROM vigil_meta WHERE key = 'schema_version'`);
    const current = rows[0] ? Number(rows[0].value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new VigilError('STORE_FAILED', `the store ${this.file} has schema version ${current}, newer than this vigil knows (${SCHEMA_VERSION}) — upgrade vigil`);
    }
    // Each applied migration is recorded, so a lower-numbered one merged in later (versions are
    // reserved per branch) still runs. Stores from before this table applied every version up to theirs.
    const hadTable = (await this.rows(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'vigil_migrations'`)).length > 0;
    await this.conn.run('CREATE TABLE IF NOT EXISTS vigil_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)');
    if (!hadTable) {
      for (const m of MIGRATIONS.filter((x) => x.version <= current)) {
        await this.conn.run(`INSERT INTO vigil_migrations VALUES (?, now())`, [m.version]);
      }
    }
    const applied = new Set((await this.rows('SELECT version FROM vigil_migrations')).map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await this.transaction(async () => {
        for (const stmt of m.sql) await this.conn.run(stmt);
        await this.conn.run(`INSERT INTO vigil_migrations VALUES (?, now())`, [m.version]);
        await this.conn.run(`INSERT OR REPLACE INTO vigil_meta VALUES ('schema_version', ?)`, [String(Math.max(current, m.version))]);
      });
    }
  }

  /** The common case, in one statement instead of five: a store this vigil already migrated. */
  private async upToDate(): Promise<boolean> {
    try {
      const [row] = await this.rows(`SELECT (SELECT value FROM vigil_meta WHERE key = 'schema_version') AS version,
        (SELECT list(version) FROM vigil_migrations) AS applied`);
      const applied = new Set(((row?.applied as unknown[] | null) ?? []).map(Number));
      return Number(row?.version) === SCHEMA_VERSION && MIGRATIONS.every((m) => applied.has(m.version));
    } catch {
      return false; // a new or an old store: the full path below says which
    }
  }

  beginRun(run: { runId: string; startedAt: string; trigger: string; selectors: string[] }): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run(`INSERT INTO runs (run_id, started_at, status, trigger, selectors) VALUES (?, ?::TIMESTAMPTZ, 'running', ?, ?::JSON)`,
        [run.runId, run.startedAt, run.trigger, JSON.stringify(run.selectors)]);
    });
  }

  private pending: PendingWrite[] = [];

  /**
   * Group commit: datasets that finish while an earlier write is in progress are
   * written together in the next transaction (a few statements for all of them,
   * not a dozen each). A transaction holds whole datasets only, so a run that dies
   * midway still leaves whole datasets or nothing; if a group fails, each of its
   * datasets is retried on its own, so one bad dataset never costs the others.
   */
  recordDataset(runId: string, run: DatasetRun, incidents?: IncidentPlanner): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ runId, run, ...(incidents ? { planner: incidents } : {}), resolve, reject });
      if (this.pending.length === 1) void this.exclusive(() => this.flushPending());
    });
  }

  private async flushPending(): Promise<void> {
    while (this.pending.length > 0) {
      // A dataset appears once per group: its rows upsert the same keys.
      const group: PendingWrite[] = [];
      const seen = new Set<string>();
      const rest: PendingWrite[] = [];
      for (const w of this.pending) {
        if (group.length < MAX_GROUP && !seen.has(w.run.dataset)) { group.push(w); seen.add(w.run.dataset); } else rest.push(w);
      }
      this.pending = rest;
      try {
        await this.transaction(() => this.writeDatasets(group));
        for (const w of group) { this.bump(w.run.dataset); w.resolve(); }
      } catch (err) {
        if (group.length === 1) { group[0]?.reject(err); continue; }
        for (const w of group) {
          try {
            await this.transaction(() => this.writeDatasets([w]));
            this.bump(w.run.dataset);
            w.resolve();
          } catch (one) { w.reject(one); }
        }
      }
    }
  }

  private async writeDatasets(group: PendingWrite[]): Promise<void> {
    const planned = group.filter((w) => w.planner);
    if (planned.length > 0) await this.recordIncidentsUnlocked(planned);
    await this.conn.run(`INSERT INTO dataset_runs VALUES ${placeholders(group.length, '(?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE, ?, ?::JSON)')}`,
      group.flatMap(({ runId, run }) => [runId, run.dataset, run.startedAt, run.finishedAt, durationMs(run), run.error, JSON.stringify(run.queries)]));
    const results = group.flatMap(({ runId, run }) => run.results.map((r) => ({ runId, r })));
    if (results.length > 0) {
      const values: DuckDBValue[] = [];
      for (const { runId, r } of results) {
        values.push(runId, r.check, r.dataset, r.kind, r.name, r.status, doubleParam(r.value),
          r.unit, r.message, r.runbook, r.owner,
          JSON.stringify(r.tags), JSON.stringify(r.thresholds), JSON.stringify(r.details), r.evaluated_at, String(r.duration_ms));
      }
      await this.conn.run(`INSERT INTO check_results VALUES ${placeholders(results.length, '(?, ?, ?, ?, ?, ?, ?::DOUBLE, ?, ?, ?, ?, ?::JSON, ?::JSON, ?::JSON, ?::TIMESTAMPTZ, ?::DOUBLE)')}`, values);
    }
    const described = group.filter((w) => w.run.schema);
    if (described.length > 0) {
      const last = await this.lastSchemasUnlocked(described.map((w) => w.run.dataset));
      const changed = described.filter((w) => JSON.stringify(last.get(w.run.dataset)) !== JSON.stringify(w.run.schema));
      if (changed.length > 0) {
        await this.conn.run(`INSERT INTO schema_snapshots VALUES ${placeholders(changed.length, '(?, ?, ?::TIMESTAMPTZ, ?::JSON)')}`,
          changed.flatMap(({ runId, run }) => [run.dataset, runId, run.finishedAt, JSON.stringify(run.schema)]));
      }
    }
    await this.recordReadModels(group);
  }

  /**
   * The dashboard's read models, kept in step with check_results inside the same
   * transaction: the latest result per check, hourly and daily rollups, and the
   * dataset run's summary. Written from the runs' own values (never a scan of the history).
   */
  private async recordReadModels(group: PendingWrite[]): Promise<void> {
    await this.conn.run(`INSERT INTO dataset_run_summaries VALUES ${placeholders(group.length, '(?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE, ?, ?)')}`,
      group.flatMap(({ runId, run }) => [runId, run.dataset, run.startedAt, run.finishedAt, durationMs(run),
        run.results.length ? worstStatus(run.results.map((r) => r.status)) : 'unknown', run.error]));
    const results = group.flatMap(({ runId, run }) => run.results.map((r) => ({ runId, finishedAt: run.finishedAt, r })));
    if (results.length === 0) return;
    const latest: DuckDBValue[] = [];
    const rollup: DuckDBValue[] = [];
    for (const { runId, finishedAt, r } of results) {
      latest.push(r.check, runId, r.dataset, r.kind, r.name, r.status, doubleParam(r.value), r.unit, r.message, r.runbook, r.owner,
        JSON.stringify(r.tags), JSON.stringify(r.thresholds), JSON.stringify(r.details), r.evaluated_at, String(r.duration_ms), runId, finishedAt);
      rollup.push(r.check, r.evaluated_at, doubleParam(r.value), STATUS_RANK[r.status], r.status === 'fail' || r.status === 'error' ? 1 : 0);
    }
    // Latest by when the run started (evaluated_at follows --now, which may go backwards).
    await this.conn.run(`INSERT INTO latest_results
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
      await this.conn.run(`INSERT INTO ${table}
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
    await this.recordRecentHours(results.map((x) => x.r));
  }

  /**
   * check_recent_hour: the rows of the run's checks and days rebuilt from their hour buckets in
   * check_rollups_hour (just upserted, so identical by construction; a day's scan prunes to the
   * newest row groups), then the days that fell out of each check's horizon dropped. A day more
   * than RECENT_HOURLY_DAYS before the check's newest (a --now in the past) stays in the rollups only.
   */
  private async recordRecentHours(results: CheckResult[]): Promise<void> {
    const pairs = new Map<string, [string, number]>();
    for (const r of results) {
      const day = Math.floor(Date.parse(r.evaluated_at) / DAY_MS);
      pairs.set(`${r.check}\n${day}`, [r.check, day]);
    }
    const list = [...pairs.values()];
    const days = list.map(([, d]) => d);
    const values = list.map(() => '(?, ?::DATE)').join(', ');
    const bound = list.flatMap(([c, d]) => [c, dayDate(d)]);
    // Rendered here and written below, so check_recent_window gets the same points (not with INSERT …
    // RETURNING: on a store reopened after kill -9, DuckDB 1.5 failed that with a fatal index error).
    const written = (await this.rows(`SELECT r.check_id, ${dayNumberSql('day')} AS day, '[' || string_agg(${RECENT_HISTORY_POINT_SQL}, ',' ORDER BY r.bucket) || ']' AS points
      FROM (VALUES ${values}) AS v(check_id, day)
      JOIN check_rollups_hour r ON r.check_id = v.check_id AND r.bucket >= v.day AND r.bucket < v.day + 1
      WHERE r.bucket >= ?::DATE AND r.bucket < ?::DATE
        AND NOT EXISTS (SELECT 1 FROM check_recent_hour x WHERE x.check_id = v.check_id AND x.day >= v.day + ${RECENT_HOURLY_DAYS})
      GROUP BY r.check_id, v.day`, [...bound, dayDate(Math.min(...days)), dayDate(Math.max(...days) + 1)]))
      .map((r) => ({ check: String(r.check_id), day: Number(r.day), points: String(r.points) }));
    if (written.length > 0) {
      await this.conn.run(`INSERT OR REPLACE INTO check_recent_hour VALUES ${placeholders(written.length, '(?, ?::DATE, ?)')}`,
        written.flatMap((w) => [w.check, dayDate(w.day), w.points]));
    }
    await this.conn.run(`DELETE FROM check_recent_hour USING (VALUES ${values}) AS v(check_id, day)
      WHERE check_recent_hour.check_id = v.check_id AND check_recent_hour.day <= v.day - ${RECENT_HOURLY_DAYS}`, bound);
    await this.recordRecentWindows(written);
  }

  /**
   * check_recent_window, after the day rows of `written` were replaced: a check whose rewritten day is
   * its newest gets that day's points as `latest` (the usual hourly write); any other (a new day, a day
   * back in time, or no row yet) has its row rebuilt from its day rows, which also drops the days that
   * left the horizon (a check has one result, so one day, per write).
   */
  private async recordRecentWindows(written: Array<{ check: string; day: number; points: string }>): Promise<void> {
    if (written.length === 0) return;
    const checks = [...new Set(written.map((w) => w.check))];
    const newest = new Map((await this.rows(`SELECT check_id, ${dayNumberSql('newest')} AS newest FROM check_recent_window
      WHERE check_id IN (${placeholders(checks.length, '?')})`, checks)).map((r) => [String(r.check_id), Number(r.newest)]));
    const latest = written.filter((w) => newest.get(w.check) === w.day);
    // (No UPDATE … RETURNING to learn which rows matched: that rewrites whole rows, `earlier` too, ~30 ms for 10 checks.)
    if (latest.length > 0) {
      await this.conn.run(`UPDATE check_recent_window SET latest = encode(v.latest), version = gen_random_uuid()
        FROM (VALUES ${placeholders(latest.length, '(?, ?)')}) AS v(check_id, latest)
        WHERE check_recent_window.check_id = v.check_id`, latest.flatMap((w) => [w.check, w.points.slice(1, -1)]));
    }
    const kept = new Set(latest.map((w) => w.check));
    const rebuild = checks.filter((c) => !kept.has(c));
    if (rebuild.length > 0) {
      await this.conn.run(`INSERT OR REPLACE INTO check_recent_window
        SELECT *, gen_random_uuid() FROM (${recentWindowSql(`WHERE check_id IN (${placeholders(rebuild.length, '?')})`)})`, rebuild);
    }
  }

  private revisions = new Map<string, number>();
  private total = 0;

  private bump(dataset: string): void {
    this.total++;
    this.revisions.set(dataset, (this.revisions.get(dataset) ?? 0) + 1);
  }

  revision(dataset?: string): number {
    return dataset === undefined ? this.total : (this.revisions.get(dataset) ?? 0);
  }

  /** Incidents and outbox rows of the datasets' results, inside their results' transaction. */
  private async recordIncidentsUnlocked(group: PendingWrite[]): Promise<void> {
    const openRows = await this.rows(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND dataset IN (${group.map(() => '?').join(', ')})`,
      group.map((w) => w.run.dataset));
    const open = new Map<string, Map<string, IncidentRow>>(group.map((w) => [w.run.dataset, new Map()]));
    for (const r of openRows) { const i = incidentFromRow(r); open.get(i.dataset)?.set(i.checkId, i); }
    for (const w of group) if (w.planner) await this.writeIncidents(w.planner(open.get(w.run.dataset) ?? new Map()));
  }

  private async writeIncidents(writes: ReturnType<IncidentPlanner>): Promise<void> {
    for (const { row: i, insert } of writes.incidents) {
      const values: DuckDBValue[] = [i.checkId, i.dataset, i.kind, i.status, i.notifiedStatus, i.state, i.openedAt, i.lastSeenAt, i.resolvedAt,
        i.lastNotifiedAt, i.lastEvent, i.silencedReason, i.silencedUntil, i.runbook, i.owner, i.message];
      if (insert) {
        await this.conn.run(`INSERT INTO incidents (id, check_id, dataset, kind, status, notified_status, state, opened_at, last_seen_at, resolved_at,
          last_notified_at, last_event, silenced_reason, silenced_until, runbook, owner, message)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?, ?, ?::TIMESTAMPTZ, ?, ?, ?)`, [i.id, ...values]);
      } else {
        await this.conn.run(`UPDATE incidents SET check_id = ?, dataset = ?, kind = ?, status = ?, notified_status = ?, state = ?, opened_at = ?::TIMESTAMPTZ,
          last_seen_at = ?::TIMESTAMPTZ, resolved_at = ?::TIMESTAMPTZ, last_notified_at = ?::TIMESTAMPTZ, last_event = ?, silenced_reason = ?,
          silenced_until = ?::TIMESTAMPTZ, runbook = ?, owner = ?, message = ? WHERE id = ?`, [...values, i.id]);
      }
    }
    for (const h of writes.history) {
      await this.conn.run(`INSERT INTO incident_events VALUES (?, ?::TIMESTAMPTZ, ?, ?, ?)`, [h.incidentId, h.at, h.status, h.event, h.runId]);
    }
    for (const o of writes.outbox) {
      // The idempotency key is the primary key: the same notification can never be queued twice.
      await this.conn.run(`INSERT INTO outbox VALUES (?, ?, ?, ?, ?::JSON, ?, ?, ?::TIMESTAMPTZ, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ) ON CONFLICT DO NOTHING`,
        [o.key, o.channel, o.dataset, o.runId, JSON.stringify(o.payload), o.state, o.attempts, o.nextAttemptAt, o.lastError, o.createdAt, o.deliveredAt]);
    }
  }

  incidents(opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string }): Promise<IncidentJson[]> {
    return this.exclusive(async () => {
      const where: string[] = [];
      const values: DuckDBValue[] = [];
      if (opts.state && opts.state !== 'all') { where.push('state = ?'); values.push(opts.state); }
      if (opts.dataset !== undefined) { where.push('dataset = ?'); values.push(opts.dataset); }
      const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 200)));
      const rows = await this.rows(`SELECT ${INCIDENT_COLUMNS} FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY opened_at DESC, id LIMIT ${limit}`, values);
      const incidents = rows.map(incidentFromRow);
      const history = new Map<string, IncidentJson['history']>();
      if (incidents.length) {
        const hs = await this.rows(`SELECT incident_id, event_at, status, event FROM incident_events WHERE incident_id IN (${incidents.map(() => '?').join(', ')})
          ORDER BY event_at, rowid`, incidents.map((i) => i.id));
        for (const h of hs) {
          const list = history.get(String(h.incident_id)) ?? history.set(String(h.incident_id), []).get(String(h.incident_id))!;
          list.push({ at: iso(h.event_at), status: h.status as Status, event: (h.event as string | null) ?? null });
        }
      }
      return incidents.map((i): IncidentJson => ({
        id: i.id, check: i.checkId, dataset: i.dataset, kind: i.kind, status: i.status, state: i.state,
        opened_at: i.openedAt, last_seen_at: i.lastSeenAt, resolved_at: i.resolvedAt,
        duration_seconds: Math.max(0, Math.round((Date.parse(i.resolvedAt ?? i.lastSeenAt) - Date.parse(i.openedAt)) / 1000)),
        last_notification_at: i.lastNotifiedAt, last_event: i.lastEvent,
        silenced: i.silencedReason !== null && i.silencedUntil !== null ? { reason: i.silencedReason, until: i.silencedUntil } : null,
        runbook: i.runbook, owner: i.owner, message: i.message, history: history.get(i.id) ?? [],
      }));
    });
  }

  openIncidentCounts(): Promise<Map<string, number>> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT dataset, count(*) AS n FROM incidents WHERE state = 'open' GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), Number(r.n)]));
    });
  }

  dueOutbox(now: string, limit: number): Promise<OutboxRow[]> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT * FROM outbox WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?::TIMESTAMPTZ)
        ORDER BY created_at, rowid LIMIT ${Math.max(1, Math.floor(limit))}`, [now]);
      return rows.map(outboxFromRow);
    });
  }

  outbox(opts: { state?: OutboxState; limit?: number } = {}): Promise<OutboxRow[]> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT * FROM outbox ${opts.state ? 'WHERE state = ?' : ''} ORDER BY created_at, rowid LIMIT ${Math.max(1, Math.floor(opts.limit ?? 1000))}`,
        opts.state ? [opts.state] : []);
      return rows.map(outboxFromRow);
    });
  }

  updateOutbox(key: string, patch: { state: OutboxState; attempts: number; nextAttemptAt: string | null; lastError: string | null; deliveredAt: string | null }): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run(`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?::TIMESTAMPTZ, last_error = ?, delivered_at = ?::TIMESTAMPTZ
        WHERE idempotency_key = ?`, [patch.state, patch.attempts, patch.nextAttemptAt, patch.lastError, patch.deliveredAt, key]);
    });
  }

  finishRun(runId: string, finishedAt: string, summary: Record<Status, number>, status: RunStatus): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run(`UPDATE runs SET finished_at = ?::TIMESTAMPTZ, status = ?, summary = ?::JSON WHERE run_id = ?`,
        [finishedAt, status, JSON.stringify(summary), runId]);
    });
  }

  /** The last recorded schema of these datasets (default: every dataset). */
  private async lastSchemasUnlocked(datasets?: string[]): Promise<Map<string, ColumnInfo[]>> {
    const rows = await this.rows(`SELECT dataset, columns FROM schema_snapshots
      ${datasets ? `WHERE dataset IN (${placeholders(datasets.length, '?')})` : ''}
      QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY recorded_at DESC, rowid DESC) = 1`, datasets);
    return new Map(rows.map((r) => [String(r.dataset), parseJson<ColumnInfo[]>(r.columns, [])]));
  }

  lastSchema(dataset: string): Promise<ColumnInfo[] | null> {
    return this.exclusive(async () => (await this.lastSchemasUnlocked([dataset])).get(dataset) ?? null);
  }

  lastSchemas(): Promise<Map<string, ColumnInfo[]>> {
    return this.exclusive(() => this.lastSchemasUnlocked());
  }

  latestResults(): Promise<CheckResult[]> {
    return this.latestStates().then((rows) => rows.map(({ run_id: _r, recorded_at: _a, ...rest }) => rest));
  }

  latestStates(): Promise<LatestResult[]> {
    return this.reading(async (query) => (await query(`SELECT * FROM latest_results ORDER BY dataset, check_id`)).map(latestRow));
  }

  latestState(checkId: string): Promise<LatestResult | null> {
    return this.reading(async (query) => {
      const row = (await query(`SELECT * FROM latest_results WHERE check_id = ?`, [checkId]))[0];
      return row ? latestRow(row) : null;
    });
  }

  checkHistory(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<HistoryRow[]> {
    return this.reading(async (query) => {
      if (resolution === 'run') {
        // check_results is appended in time order, so the evaluated_at range prunes all but its newest row groups.
        const rows = await query(`SELECT evaluated_at AS at, value, ${STATUS_RANK_SQL} AS worst FROM check_results
          WHERE check_id = ? AND evaluated_at >= ?::TIMESTAMPTZ AND evaluated_at <= ?::TIMESTAMPTZ ORDER BY evaluated_at, rowid`,
        [checkId, from.toISOString(), to.toISOString()]);
        return rows.map((r) => {
          const v = r.value === null ? null : Number(r.value);
          return { at: iso(r.at), value: v, min: v, max: v, worst: Number(r.worst), runs: 1, failing: Number(r.worst) >= 2 ? 1 : 0 };
        });
      }
      const table = resolution === 'hour' ? 'check_rollups_hour' : 'check_rollups_day';
      const rows = await query(`SELECT bucket, last_value, min_value, max_value, worst, runs, failing_runs FROM ${table}
        WHERE check_id = ? AND bucket >= date_trunc('${resolution}', ?::TIMESTAMPTZ AT TIME ZONE 'UTC') AND bucket <= ?::TIMESTAMPTZ AT TIME ZONE 'UTC'
        ORDER BY bucket`, [checkId, from.toISOString(), to.toISOString()]);
      return rows.map((r) => ({
        at: iso(r.bucket), value: r.last_value === null ? null : Number(r.last_value), min: r.min_value === null ? null : Number(r.min_value),
        max: r.max_value === null ? null : Number(r.max_value), worst: Number(r.worst), runs: Number(r.runs), failing: Number(r.failing_runs),
      }));
    });
  }

  /** Chart reads waiting for a batch, and how many batches are being read (at most one per reader connection). */
  private recentWaiting: Array<{ checkId: string; resolve: (window: RecentWindow | null) => void; reject: (err: unknown) => void }> = [];
  private recentBatches = 0;

  /**
   * A check's row of check_recent_window (null: none). Reads made in the same turn of the event loop
   * (a page's charts), or while the reader connections are busy, are served together: one query for up
   * to RECENT_BATCH checks (IN (…), through the index), because each query costs DuckDB ~0.2 ms of CPU
   * besides what it reads; what waits is shared out over the free connections.
   */
  private recentWindow(checkId: string): Promise<RecentWindow | null> {
    return new Promise((resolve, reject) => {
      this.recentWaiting.push({ checkId, resolve, reject });
      if (this.recentWaiting.length === 1) setImmediate(() => this.readRecentBatches());
    });
  }

  private readRecentBatches(): void {
    const free = DuckDBStore.READERS - this.recentBatches;
    const size = Math.min(RECENT_BATCH, Math.ceil(this.recentWaiting.length / Math.max(1, free)));
    for (let i = 0; i < free && this.recentWaiting.length > 0; i++) this.readRecentBatch(size);
  }

  private readRecentBatch(most = RECENT_BATCH): void {
    const batch = this.recentWaiting.splice(0, most);
    if (batch.length === 0) return;
    this.recentBatches++;
    const ids = [...new Set(batch.map((w) => w.checkId))];
    // Padded to a power of two with the last id (IN ignores repeats): a handful of prepared statements serves every batch size.
    let size = 1;
    while (size < ids.length) size *= 2;
    const bound = Array.from({ length: size }, (_, i) => ids[Math.min(i, ids.length - 1)] as string);
    this.reading(async (_query, hot) => hot(`SELECT check_id, ${dayNumberSql('newest')} AS newest, earlier, latest, coalesce(version::VARCHAR, '')
      FROM check_recent_window WHERE check_id IN (${placeholders(size, '?')})`, bound))
      .then((rows) => {
        const byCheck = new Map<string, RecentWindow>();
        for (const [check, newest, earlier, latest, version] of rows) {
          byCheck.set(String(check), { newest: Number(newest), earlier: asBuffer(earlier ?? null), latest: asBuffer(latest ?? null), version: String(version) });
        }
        for (const w of batch) w.resolve(byCheck.get(w.checkId) ?? null);
      }, (err: unknown) => { for (const w of batch) w.reject(err); })
      .finally(() => {
        this.recentBatches--;
        this.readRecentBatch();
      });
  }

  async recentHourlyHistoryJson(checkId: string, from: Date, to: Date): Promise<RecentHistoryJson | null> {
    const window = await this.recentWindow(checkId);
    // No recent row: the check has no hourly rollups either.
    if (window === null) return { json: [OPEN, CLOSE], version: '' };
    const fromBucket = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS;
    if (Math.floor(fromBucket / DAY_MS) <= window.newest - RECENT_HOURLY_DAYS) return null;
    const fromAt = new Date(fromBucket).toISOString();
    const toAt = to.toISOString();
    const earlier = pointsBetween(window.earlier, fromAt, toAt);
    const latest = pointsBetween(window.latest, fromAt, toAt);
    return { json: earlier.length && latest.length ? [OPEN, earlier, COMMA, latest, CLOSE] : [OPEN, earlier, latest, CLOSE], version: window.version };
  }

  windowCounts(windows: CountWindow[]): Promise<Map<string, WindowCount>> {
    return this.reading(async (query) => {
      const out = new Map(windows.map((w) => [w.checkId, { runs: 0, failing: 0 }]));
      if (windows.length === 0) return out;
      // Summed by DuckDB: a 28-day SLO window of 400 checks is 270,000 hour buckets, which as rows
      // took ~0.9 s to hand to JavaScript. The first condition lets the time-ordered rollups skip older row groups.
      const earliest = new Date(Math.min(...windows.map((w) => w.after.getTime())));
      const rows = await query(`SELECT v.check_id, sum(r.runs)::DOUBLE AS runs, sum(r.failing_runs)::DOUBLE AS failing
        FROM check_rollups_hour r JOIN (VALUES ${placeholders(windows.length, '(?, ?::TIMESTAMPTZ AT TIME ZONE \'UTC\', ?::TIMESTAMPTZ AT TIME ZONE \'UTC\')')}) AS v(check_id, after, upto)
          ON r.check_id = v.check_id AND r.bucket > v.after AND r.bucket <= v.upto
        WHERE r.bucket >= ?::TIMESTAMPTZ AT TIME ZONE 'UTC'
        GROUP BY v.check_id`, [...windows.flatMap((w) => [w.checkId, w.after.toISOString(), w.upto.toISOString()]), earliest.toISOString()]);
      for (const r of rows) out.set(String(r.check_id), { runs: Number(r.runs), failing: Number(r.failing) });
      return out;
    });
  }

  hourlyCounts(checkIds: string[], from: Date): Promise<Map<string, BucketCount[]>> {
    return this.reading(async (query) => {
      const out = new Map<string, BucketCount[]>(checkIds.map((c) => [c, []]));
      if (checkIds.length === 0) return out;
      const rows = await query(`SELECT check_id, bucket, runs, failing_runs FROM check_rollups_hour
        WHERE bucket >= date_trunc('hour', ?::TIMESTAMPTZ AT TIME ZONE 'UTC') AND check_id IN (${checkIds.map(() => '?').join(', ')})
        ORDER BY check_id, bucket`, [from.toISOString(), ...checkIds]);
      for (const r of rows) out.get(String(r.check_id))?.push({ at: iso(r.bucket), runs: Number(r.runs), failing: Number(r.failing_runs) });
      return out;
    });
  }

  recentDatasetRuns(dataset: string, limit: number): Promise<DatasetRunSummary[]> {
    return this.reading(async (query) => {
      // Rows are appended in time order: the last week prunes to its newest row groups; older history only when needed.
      const recent = new Date(Date.now() - 7 * 86_400_000).toISOString();
      let rows = await query(`SELECT * FROM dataset_run_summaries WHERE dataset = ? AND started_at >= ?::TIMESTAMPTZ ORDER BY started_at DESC LIMIT ?`, [dataset, recent, limit]);
      if (rows.length < limit) rows = await query(`SELECT * FROM dataset_run_summaries WHERE dataset = ? ORDER BY started_at DESC LIMIT ?`, [dataset, limit]);
      return rows.map((r) => ({
        run_id: String(r.run_id), started_at: iso(r.started_at), finished_at: iso(r.finished_at), duration_ms: Number(r.duration_ms),
        status: r.status as Status | 'unknown', error: (r.error as string | null) ?? null,
      }));
    });
  }

  notPassingChecks(dataset: string, runIds: string[]): Promise<Map<string, Array<{ check: string; name: string; status: Status }>>> {
    if (runIds.length === 0) return Promise.resolve(new Map());
    return this.reading(async (query) => {
      const rows = await query(
        `SELECT run_id, check_id, name, status FROM check_results WHERE dataset = ? AND status <> 'pass' AND run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY run_id, check_id`,
        [dataset, ...runIds],
      );
      const out = new Map<string, Array<{ check: string; name: string; status: Status }>>();
      for (const r of rows) {
        const id = String(r.run_id);
        (out.get(id) ?? out.set(id, []).get(id)!).push({ check: String(r.check_id), name: String(r.name), status: r.status as Status });
      }
      return out;
    });
  }

  schemaSnapshots(dataset: string): Promise<Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>> {
    return this.reading(async (query) => {
      const rows = await query(`SELECT run_id, recorded_at, columns FROM schema_snapshots WHERE dataset = ? ORDER BY recorded_at, rowid`, [dataset]);
      return rows.map((r) => ({ run_id: String(r.run_id), recorded_at: iso(r.recorded_at), columns: parseJson<ColumnInfo[]>(r.columns, []) }));
    });
  }

  runs(limit: number): Promise<RunRecord[]> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT * FROM runs ORDER BY started_at DESC LIMIT ?`, [limit]);
      return rows.map((r) => ({
        run_id: String(r.run_id), started_at: iso(r.started_at), finished_at: r.finished_at ? iso(r.finished_at) : null,
        status: r.status as RunStatus, trigger: String(r.trigger), selectors: parseJson<string[]>(r.selectors, []),
        summary: parseJson(r.summary, { pass: 0, warn: 0, fail: 0, error: 0 }),
      }));
    });
  }

  abortRunning(at: string): Promise<number> {
    return this.exclusive(async () => {
      const rows = await this.rows(`UPDATE runs SET status = 'aborted', finished_at = ?::TIMESTAMPTZ WHERE status = 'running' RETURNING run_id`, [at]);
      return rows.length;
    });
  }

  lastDatasetRuns(): Promise<Map<string, Date>> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT dataset, max(finished_at) AS last_at FROM dataset_runs GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), new Date(iso(r.last_at))]));
    });
  }

  recordSkippedTick(dataset: string, at: string, reason: string): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run(`INSERT INTO skipped_ticks VALUES (?, ?::TIMESTAMPTZ, ?)`, [dataset, at, reason]);
    });
  }

  skippedTicks(): Promise<Map<string, { count: number; last: string }>> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT dataset, count(*) AS n, max(skipped_at) AS last FROM skipped_ticks GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), { count: Number(r.n), last: iso(r.last) }]));
    });
  }

  close(): Promise<void> {
    return this.exclusive(async () => {
      for (const r of this.readers.splice(0)) {
        await r.queue;
        (await r.conn).closeSync();
      }
      // The checkpoint closeSync() would write runs on DuckDB's thread instead of blocking this one
      // (~40 ms after a run), so a caller can free other things meanwhile. If it fails, closeSync retries it.
      await this.conn.run('CHECKPOINT').catch(() => undefined);
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }
}
