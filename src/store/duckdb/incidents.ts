// Incidents, their history and the notification outbox in the DuckDB store:
// written inside their results' transaction (the planner reads the open
// incidents there), read by the incidents API and the deliverer.

import type { DuckDBValue } from '@duckdb/node-api';
import { INCIDENT_COLUMNS, incidentFromRow, incidentValues, outboxFromRow, readIncidents } from '../rows.js';
import type { IncidentPlanner, IncidentRow, IncidentWithHistory, OutboxPatch, OutboxRow, OutboxState } from '../store.js';
import { placeholders, type DuckDBSession } from './session.js';
import type { PendingWrite } from './write.js';

/** Incidents and outbox rows of the datasets' results, inside their results' transaction. */
export async function recordIncidents(db: DuckDBSession, group: PendingWrite[]): Promise<void> {
  const openRows = await db.rows(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND dataset IN (${placeholders(group.length, '?')})`,
    group.map((w) => w.run.dataset));
  const open = new Map<string, Map<string, IncidentRow>>(group.map((w) => [w.run.dataset, new Map()]));
  for (const r of openRows) { const i = incidentFromRow(r); open.get(i.dataset)?.set(i.checkId, i); }
  for (const w of group) if (w.planner) await writeIncidents(db, w.planner(open.get(w.run.dataset) ?? new Map()));
}

async function writeIncidents(db: DuckDBSession, writes: ReturnType<IncidentPlanner>): Promise<void> {
  for (const { row: i, insert } of writes.incidents) {
    if (insert) {
      await db.run(`INSERT INTO incidents (${INCIDENT_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?, ?, ?::TIMESTAMPTZ, ?, ?, ?)`, incidentValues(i, true) as DuckDBValue[]);
    } else {
      await db.run(`UPDATE incidents SET check_id = ?, dataset = ?, kind = ?, status = ?, notified_status = ?, state = ?, opened_at = ?::TIMESTAMPTZ,
        last_seen_at = ?::TIMESTAMPTZ, resolved_at = ?::TIMESTAMPTZ, last_notified_at = ?::TIMESTAMPTZ, last_event = ?, silenced_reason = ?,
        silenced_until = ?::TIMESTAMPTZ, runbook = ?, owner = ?, message = ? WHERE id = ?`, incidentValues(i, false) as DuckDBValue[]);
    }
  }
  for (const h of writes.history) {
    await db.run(`INSERT INTO incident_events VALUES (?, ?::TIMESTAMPTZ, ?, ?, ?)`, [h.incidentId, h.at, h.status, h.event, h.runId]);
  }
  for (const o of writes.outbox) {
    // The idempotency key is the primary key: the same notification can never be queued twice.
    await db.run(`INSERT INTO outbox VALUES (?, ?, ?, ?, ?::JSON, ?, ?, ?::TIMESTAMPTZ, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ) ON CONFLICT DO NOTHING`,
      [o.key, o.channel, o.dataset, o.runId, JSON.stringify(o.payload), o.state, o.attempts, o.nextAttemptAt, o.lastError, o.createdAt, o.deliveredAt]);
  }
}

export class DuckDBIncidents {
  constructor(private readonly db: DuckDBSession) {}

  incidents(opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string }): Promise<IncidentWithHistory[]> {
    return this.db.exclusive(() => readIncidents((sql, values) => this.db.rows(sql, values as DuckDBValue[]), opts, { id: 'id', event: 'rowid' }));
  }

  openIncidentCounts(): Promise<Map<string, number>> {
    return this.db.exclusive(async () => {
      const rows = await this.db.rows(`SELECT dataset, count(*) AS n FROM incidents WHERE state = 'open' GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), Number(r.n)]));
    });
  }

  dueOutbox(now: string, limit: number): Promise<OutboxRow[]> {
    return this.db.exclusive(async () => (await this.db.rows(`SELECT * FROM outbox WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?::TIMESTAMPTZ)
      ORDER BY created_at, rowid LIMIT ${Math.max(1, Math.floor(limit))}`, [now])).map(outboxFromRow));
  }

  outbox(opts: { state?: OutboxState; limit?: number } = {}): Promise<OutboxRow[]> {
    return this.db.exclusive(async () => (await this.db.rows(`SELECT * FROM outbox ${opts.state ? 'WHERE state = ?' : ''} ORDER BY created_at, rowid LIMIT ${Math.max(1, Math.floor(opts.limit ?? 1000))}`,
      opts.state ? [opts.state] : [])).map(outboxFromRow));
  }

  updateOutbox(key: string, patch: OutboxPatch): Promise<void> {
    return this.db.exclusive(() => this.db.run(`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?::TIMESTAMPTZ, last_error = ?, delivered_at = ?::TIMESTAMPTZ
      WHERE idempotency_key = ?`, [patch.state, patch.attempts, patch.nextAttemptAt, patch.lastError, patch.deliveredAt, key]));
  }
}
