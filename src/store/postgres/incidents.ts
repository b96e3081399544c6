// Incidents, their history and the notification outbox in the PostgreSQL
// store: written inside their results' transaction (the open incidents read
// there, locked), read by the incidents API and the deliverer.

import { placeholders } from '../duckdb/session.js';
import { INCIDENT_COLUMNS, incidentFromRow, incidentValues, iso, outboxFromRow, readIncidents } from '../rows.js';
import type { IncidentPlanner, IncidentRow, IncidentWithHistory, OutboxPatch, OutboxRow, OutboxState } from '../store.js';
import type { PgSession, PgTx } from './session.js';

/** A dataset's incidents and outbox rows, inside its results' transaction. */
export async function recordIncidents(tx: PgTx, dataset: string, planner: IncidentPlanner): Promise<void> {
  // FOR UPDATE: a second process recording the same dataset waits for this one, then sees its incidents.
  const rows = await tx.rows(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE state = 'open' AND dataset = ? FOR UPDATE`, [dataset]);
  const open = new Map<string, IncidentRow>();
  for (const r of rows) { const i = incidentFromRow(r); open.set(i.checkId, i); }
  const writes = planner(open);
  for (const { row: i, insert } of writes.incidents) {
    if (insert) {
      await tx.run(`INSERT INTO incidents (${INCIDENT_COLUMNS}) VALUES (${placeholders(17, '?')})`, incidentValues(i, true));
    } else {
      await tx.run(`UPDATE incidents SET check_id = ?, dataset = ?, kind = ?, status = ?, notified_status = ?, state = ?, opened_at = ?,
        last_seen_at = ?, resolved_at = ?, last_notified_at = ?, last_event = ?, silenced_reason = ?,
        silenced_until = ?, runbook = ?, owner = ?, message = ? WHERE id = ?`, incidentValues(i, false));
    }
  }
  for (const h of writes.history) {
    await tx.run(`INSERT INTO incident_events (incident_id, event_at, status, event, run_id) VALUES (?, ?, ?, ?, ?)`, [h.incidentId, h.at, h.status, h.event, h.runId]);
  }
  for (const o of writes.outbox) {
    // The idempotency key is the primary key: the same notification can never be queued twice.
    await tx.run(`INSERT INTO outbox (idempotency_key, channel, dataset, run_id, payload, state, attempts, next_attempt_at, last_error, created_at, delivered_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [o.key, o.channel, o.dataset, o.runId, JSON.stringify(o.payload), o.state, o.attempts, o.nextAttemptAt, o.lastError, o.createdAt, o.deliveredAt]);
  }
}

export class PgIncidents {
  constructor(private readonly db: PgSession, private readonly claimer: { replica: string; leaseMs: number }) {}

  incidents(opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string }): Promise<IncidentWithHistory[]> {
    return readIncidents(this.db.rows, opts, { id: 'id COLLATE "C"', event: 'seq' });
  }

  async openIncidentCounts(): Promise<Map<string, number>> {
    const rows = await this.db.rows(`SELECT dataset, count(*) AS n FROM incidents WHERE state = 'open' GROUP BY dataset`);
    return new Map(rows.map((r) => [String(r.dataset), Number(r.n)]));
  }

  /**
   * Due rows claimed for this process for one lease: SKIP LOCKED and the claim make each row one
   * sender's (a replica that dies mid-send leaves its rows to others when the lease runs out).
   */
  async dueOutbox(now: string, limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.rows(`UPDATE outbox o SET claimed_by = ?, claimed_until = ?::timestamptz + ? * interval '1 millisecond'
      WHERE o.idempotency_key IN (SELECT idempotency_key FROM outbox WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?::timestamptz)
        AND (claimed_until IS NULL OR claimed_until <= ?::timestamptz OR claimed_by = ?)
        ORDER BY created_at, seq LIMIT ${Math.max(1, Math.floor(limit))} FOR UPDATE SKIP LOCKED)
      RETURNING o.*`, [this.claimer.replica, now, this.claimer.leaseMs, now, now, this.claimer.replica]);
    return rows.sort((a, b) => (iso(a.created_at) < iso(b.created_at) ? -1 : iso(a.created_at) > iso(b.created_at) ? 1 : Number(a.seq) - Number(b.seq))).map(outboxFromRow);
  }

  async outbox(opts: { state?: OutboxState; limit?: number } = {}): Promise<OutboxRow[]> {
    return (await this.db.rows(`SELECT * FROM outbox ${opts.state ? 'WHERE state = ?' : ''} ORDER BY created_at, seq LIMIT ${Math.max(1, Math.floor(opts.limit ?? 1000))}`,
      opts.state ? [opts.state] : [])).map(outboxFromRow);
  }

  async updateOutbox(key: string, patch: OutboxPatch): Promise<void> {
    await this.db.run(`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ? WHERE idempotency_key = ?`,
      [patch.state, patch.attempts, patch.nextAttemptAt, patch.lastError, patch.deliveredAt, key]);
  }
}
