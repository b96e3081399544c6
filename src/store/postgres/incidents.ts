// Incidents, their history and the notification outbox in the PostgreSQL
// store: written inside their results' transaction (the open incidents read
// there, locked), read by the incidents API and the deliverer.

import { placeholders } from '../duckdb/session.js';
import { INCIDENT_COLUMNS, INCIDENT_READ_COLUMNS, SILENCE_COLUMNS, deliveryProblemFromRow, deliveryProblemsSql, incidentFromRow, incidentValues, iso, outboxFromRow, readIncidents, silenceFromRow, silenceValues } from '../rows.js';
import type {
  AckOutcome, Acknowledgement, DeliveryProblem, IncidentPlanner, IncidentRow, IncidentWithHistory, OutboxPatch, OutboxRow, OutboxState, StoredSilence,
} from '../store.js';
import type { PgSession, PgTx } from './session.js';

/** A dataset's incidents and outbox rows, inside its results' transaction. */
export async function recordIncidents(tx: PgTx, dataset: string, planner: IncidentPlanner): Promise<void> {
  // FOR UPDATE: a second process recording the same dataset waits for this one, then sees its incidents.
  const rows = await tx.rows(`SELECT ${INCIDENT_READ_COLUMNS} FROM incidents WHERE state = 'open' AND dataset = ? FOR UPDATE`, [dataset]);
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
  await insertOutbox(tx, writes.outbox);
}

async function insertOutbox(tx: PgTx, rows: OutboxRow[]): Promise<void> {
  for (const o of rows) {
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

  acknowledge(incidentId: string, ack: Acknowledgement, notify: (incident: IncidentRow) => OutboxRow[]): Promise<AckOutcome> {
    return this.db.transaction(async (tx): Promise<AckOutcome> => {
      // FOR UPDATE: a run recording this dataset now waits, then sees the acknowledgement (and the other way round).
      const [row] = await tx.rows(`SELECT ${INCIDENT_READ_COLUMNS} FROM incidents WHERE id = ? FOR UPDATE`, [incidentId]);
      if (!row) return { outcome: 'not_found', incident: null };
      const incident = incidentFromRow(row);
      if (incident.state !== 'open') return { outcome: 'resolved', incident };
      if (incident.acknowledgedAt) return { outcome: 'already', incident };
      const acked: IncidentRow = { ...incident, acknowledgedBy: ack.by, acknowledgedAt: ack.at, ackReason: ack.reason };
      const outbox = notify(acked);
      if (outbox.length) { acked.lastEvent = 'acknowledged'; acked.lastNotifiedAt = ack.at; }
      await tx.run(`UPDATE incidents SET acknowledged_by = ?, acknowledged_at = ?, ack_reason = ?, last_event = ?, last_notified_at = ? WHERE id = ?`,
        [ack.by, ack.at, ack.reason, acked.lastEvent, acked.lastNotifiedAt, incidentId]);
      await tx.run(`INSERT INTO incident_events (incident_id, event_at, status, event, run_id) VALUES (?, ?, ?, 'acknowledged', '')`, [incidentId, ack.at, incident.status]);
      await insertOutbox(tx, outbox);
      return { outcome: 'acknowledged', incident: acked };
    });
  }

  async addSilence(silence: StoredSilence): Promise<void> {
    await this.db.run(`INSERT INTO silences (${SILENCE_COLUMNS}) VALUES (${placeholders(9, '?')})`, silenceValues(silence));
  }

  async silences(opts: { now: string; all?: boolean }): Promise<StoredSilence[]> {
    return (await this.db.rows(`SELECT ${SILENCE_COLUMNS} FROM silences ${opts.all ? '' : 'WHERE expired_at IS NULL AND ends_at > ?::timestamptz'}
      ORDER BY created_at DESC, id COLLATE "C"`, opts.all ? [] : [opts.now])).map(silenceFromRow);
  }

  async expireSilence(id: string, at: string, by: string): Promise<StoredSilence | null> {
    const [row] = await this.db.rows(`WITH done AS (UPDATE silences SET expired_at = ?::timestamptz, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?::timestamptz RETURNING *)
      SELECT ${SILENCE_COLUMNS} FROM done UNION ALL SELECT ${SILENCE_COLUMNS} FROM silences WHERE id = ? AND NOT EXISTS (SELECT 1 FROM done)`, [at, by, id, at, id]);
    return row ? silenceFromRow(row) : null;
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

  async recordSent(incidentIds: string[], at: string): Promise<void> {
    if (incidentIds.length === 0) return;
    await this.db.run(`UPDATE incidents SET last_sent_at = greatest(coalesce(last_sent_at, ?::timestamptz), ?::timestamptz)
      WHERE id IN (${placeholders(incidentIds.length, '?')})`, [at, at, ...incidentIds]);
  }

  async deliveryProblems(): Promise<DeliveryProblem[]> {
    return (await this.db.rows(deliveryProblemsSql('seq'))).map(deliveryProblemFromRow);
  }
}
