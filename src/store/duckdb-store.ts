// The results store in a DuckDB file (default .vigil/vigil.duckdb).
// Append-only history; every dataset's results land in one transaction.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { ColumnInfo, Status } from '../checks/kind.js';
import { VigilError, errorMessage } from '../util/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import type { IncidentJson } from '../server/api-types.js';
import type {
  CheckResult, DatasetRun, IncidentPlanner, IncidentRow, OutboxRow, OutboxState, RunRecord, RunStatus, Store,
} from './store.js';

const LOCK_RETRY_MS = 5000;

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

export class DuckDBStore implements Store {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection, readonly file: string) {}

  static async open(file: string): Promise<DuckDBStore> {
    mkdirSync(path.dirname(file), { recursive: true });
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
    await this.conn.run('CREATE TABLE IF NOT EXISTS vigil_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
    const rows = await this.rows(`SELECT value FROM vigil_meta WHERE key = 'schema_version'`);
    const current = rows[0] ? Number(rows[0].value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new VigilError('STORE_FAILED', `the store ${this.file} has schema version ${current}, newer than this vigil knows (${SCHEMA_VERSION}) — upgrade vigil`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await this.transaction(async () => {
        for (const stmt of m.sql) await this.conn.run(stmt);
        await this.conn.run(`INSERT OR REPLACE INTO vigil_meta VALUES ('schema_version', ?)`, [String(m.version)]);
      });
    }
  }

  beginRun(run: { runId: string; startedAt: string; trigger: string; selectors: string[] }): Promise<void> {
    return this.exclusive(async () => {
      await this.conn.run(`INSERT INTO runs (run_id, started_at, status, trigger, selectors) VALUES (?, ?::TIMESTAMPTZ, 'running', ?, ?::JSON)`,
        [run.runId, run.startedAt, run.trigger, JSON.stringify(run.selectors)]);
    });
  }

  recordDataset(runId: string, run: DatasetRun, incidents?: IncidentPlanner): Promise<void> {
    return this.exclusive(() => this.transaction(async () => {
      if (incidents) await this.recordIncidentsUnlocked(run.dataset, incidents);
      const duration = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
      await this.conn.run(
        `INSERT INTO dataset_runs VALUES (?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE, ?, ?::JSON)`,
        [runId, run.dataset, run.startedAt, run.finishedAt, String(duration), run.error, JSON.stringify(run.queries)],
      );
      if (run.results.length > 0) {
        // Numbers go in as text cast to DOUBLE: a JS number with an integral value would be
        // bound as BIGINT and overflow past 2^63 (a sql check may return anything).
        const placeholders = run.results.map(() => '(?, ?, ?, ?, ?, ?, ?::DOUBLE, ?, ?, ?, ?, ?::JSON, ?::JSON, ?::JSON, ?::TIMESTAMPTZ, ?::DOUBLE)').join(', ');
        const values: DuckDBValue[] = [];
        for (const r of run.results) {
          values.push(runId, r.check, r.dataset, r.kind, r.name, r.status, typeof r.value === 'number' ? (Number.isFinite(r.value) ? String(r.value) : null) : r.value,
            r.unit, r.message, r.runbook, r.owner,
            JSON.stringify(r.tags), JSON.stringify(r.thresholds), JSON.stringify(r.details), r.evaluated_at, String(r.duration_ms));
        }
        await this.conn.run(`INSERT INTO check_results VALUES ${placeholders}`, values);
      }
      if (run.schema) {
        const last = await this.lastSchemaUnlocked(run.dataset);
        if (!last || JSON.stringify(last) !== JSON.stringify(run.schema)) {
          await this.conn.run(`INSERT INTO schema_snapshots VALUES (?, ?, ?::TIMESTAMPTZ, ?::JSON)`,
            [run.dataset, runId, run.finishedAt, JSON.stringify(run.schema)]);
        }
      }
    }));
  }

  /** Incidents and outbox rows of one dataset's results, inside recordDataset's transaction. */
  private async recordIncidentsUnlocked(dataset: string, planner: IncidentPlanner): Promise<void> {
    const openRows = await this.rows(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE dataset = ? AND state = 'open'`, [dataset]);
    const open = new Map(openRows.map((r) => { const i = incidentFromRow(r); return [i.checkId, i] as const; }));
    const writes = planner(open);
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

  private async lastSchemaUnlocked(dataset: string): Promise<ColumnInfo[] | null> {
    const rows = await this.rows(`SELECT columns FROM schema_snapshots WHERE dataset = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1`, [dataset]);
    return rows[0] ? parseJson<ColumnInfo[]>(rows[0].columns, []) : null;
  }

  lastSchema(dataset: string): Promise<ColumnInfo[] | null> {
    return this.exclusive(() => this.lastSchemaUnlocked(dataset));
  }

  lastSchemas(): Promise<Map<string, ColumnInfo[]>> {
    return this.exclusive(async () => {
      const rows = await this.rows(`SELECT dataset, columns FROM schema_snapshots
        QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY recorded_at DESC, rowid DESC) = 1`);
      return new Map(rows.map((r) => [String(r.dataset), parseJson<ColumnInfo[]>(r.columns, [])]));
    });
  }

  latestResults(): Promise<CheckResult[]> {
    return this.exclusive(async () => {
      // Latest by when the run really started: evaluated_at follows --now, which may go backwards.
      const rows = await this.rows(`SELECT c.* FROM check_results c JOIN runs r USING (run_id)
        QUALIFY row_number() OVER (PARTITION BY c.check_id ORDER BY r.started_at DESC, c.rowid DESC) = 1
        ORDER BY c.dataset, c.check_id`);
      return rows.map((r) => ({
        check: String(r.check_id), dataset: String(r.dataset), kind: String(r.kind), name: String(r.name),
        status: r.status as Status, value: r.value === null ? null : Number(r.value), unit: String(r.unit),
        message: String(r.message), runbook: (r.runbook as string | null) ?? null, owner: (r.owner as string | null) ?? null,
        tags: parseJson<string[]>(r.tags, []), thresholds: parseJson(r.thresholds, {}), details: parseJson(r.details, {}),
        evaluated_at: iso(r.evaluated_at), duration_ms: Number(r.duration_ms),
      }));
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
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }
}
