// Incidents, their history and the notification outbox in the DuckDB store:
// written inside their results' transaction (the planner reads the open
// incidents there), read by the incidents API and the deliverer.

import type { DuckDBValue } from '@duckdb/node-api';
import { INCIDENT_COLUMNS, INCIDENT_READ_COLUMNS, SILENCE_COLUMNS, deliveryProblemFromRow, deliveryProblemsSql, incidentFromRow, incidentValues, outboxFromRow, readIncidents, silenceFromRow, silenceValues } from '../rows.js';
import type {
  AckOutcome, Acknowledgement, DeliveryProblem, IncidentPlanner, IncidentRow, IncidentWithHistory, OutboxPatch, OutboxRow, OutboxState, StoredSilence,
} from '../store.js';
import { placeholders, type DuckDBSession } from './session.js';
import type { PendingWrite } from './write.js';

/** Incidents and outbox rows of the datasets' results, inside their results' transaction. */
export async function recordIncidents(db: DuckDBSession, group: PendingWrite[]): Promise<void> {
  const openRows = await db.rows(`SELECT ${INCIDENT_READ_COLUMNS} FROM incidents WHERE state = 'open' AND dataset IN (${placeholders(group.length, '?')})`,
    group.map((w) => w.run.dataset));
  const open = new Map<string, Map<string, IncidentRow>>(group.map((w) => [w.run.dataset, new Map()]));
  for (const r of openRows) { const i = incidentFromRow(r); open.get(i.dataset)?.set(i.checkId, i); }
  for (const w of group) if (w.planner) await writeIncidents(db, w.planner(open.get(w.run.dataset) ?? new Map()));
}

async function insertOutbox(db: DuckDBSession, rows: OutboxRow[]): Promise<void> {
  for (const o of rows) {
    // The idempotency key is the primary key: the same notification can never be queued twice.
    await db.run(`INSERT INTO outbox VALUES (?, ?, ?, ?, ?::JSON, ?, ?, ?::TIMESTAMPTZ, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ) ON CONFLICT DO NOTHING`,
      [o.key, o.channel, o.dataset, o.runId, JSON.stringify(o.payload), o.state, o.attempts, o.nextAttemptAt, o.lastError, o.createdAt, o.deliveredAt]);
  }
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
  await insertOutbox(db, writes.outbox);
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

  acknowledge(incidentId: string, ack: Acknowledgement, notify: (incident: IncidentRow) => OutboxRow[]): Promise<AckOutcome> {
    return this.db.exclusive(async () => {
      let out: AckOutcome = { outcome: 'not_found', incident: null };
      await this.db.transaction(async () => {
        const [row] = await this.db.rows(`SELECT ${INCIDENT_READ_COLUMNS} FROM incidents WHERE id = ?`, [incidentId]);
        if (!row) return;
        const incident = incidentFromRow(row);
        if (incident.state !== 'open') { out = { outcome: 'resolved', incident }; return; }
        if (incident.acknowledgedAt) { out = { outcome: 'already', incident }; return; }
        const acked: IncidentRow = { ...incident, acknowledgedBy: ack.by, acknowledgedAt: ack.at, ackReason: ack.reason };
        const outbox = notify(acked);
        if (outbox.length) { acked.lastEvent = 'acknowledged'; acked.lastNotifiedAt = ack.at; }
        await this.db.run(`UPDATE incidents SET acknowledged_by = ?, acknowledged_at = ?::TIMESTAMPTZ, ack_reason = ?, last_event = ?, last_notified_at = ?::TIMESTAMPTZ WHERE id = ?`,
          [ack.by, ack.at, ack.reason, acked.lastEvent, acked.lastNotifiedAt, incidentId]);
        // History lines come from runs; an acknowledgement has none (run_id '').
        await this.db.run(`INSERT INTO incident_events VALUES (?, ?::TIMESTAMPTZ, ?, 'acknowledged', '')`, [incidentId, ack.at, incident.status]);
        await insertOutbox(this.db, outbox);
        out = { outcome: 'acknowledged', incident: acked };
      });
      return out;
    });
  }

  addSilence(silence: StoredSilence): Promise<void> {
    return this.db.exclusive(() => this.db.run(`INSERT INTO silences (${SILENCE_COLUMNS}) VALUES (?, ?::JSON, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?)`,
      silenceValues(silence) as DuckDBValue[]));
  }

  silences(opts: { now: string; all?: boolean }): Promise<StoredSilence[]> {
    return this.db.exclusive(async () => (await this.db.rows(`SELECT ${SILENCE_COLUMNS} FROM silences
      ${opts.all ? '' : 'WHERE expired_at IS NULL AND ends_at > ?::TIMESTAMPTZ'} ORDER BY created_at DESC, id`, opts.all ? [] : [opts.now])).map(silenceFromRow));
  }

  expireSilence(id: string, at: string, by: string): Promise<StoredSilence | null> {
    return this.db.exclusive(async () => {
      await this.db.run(`UPDATE silences SET expired_at = ?::TIMESTAMPTZ, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?::TIMESTAMPTZ`, [at, by, id, at]);
      const [row] = await this.db.rows(`SELECT ${SILENCE_COLUMNS} FROM silences WHERE id = ?`, [id]);
      return row ? silenceFromRow(row) : null;
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

  recordSent(incidentIds: string[], at: string): Promise<void> {
    if (incidentIds.length === 0) return Promise.resolve();
    return this.db.exclusive(() => this.db.run(`UPDATE incidents SET last_sent_at = greatest(coalesce(last_sent_at, ?::TIMESTAMPTZ), ?::TIMESTAMPTZ)
      WHERE id IN (${placeholders(incidentIds.length, '?')})`, [at, at, ...incidentIds]));
  }

  deliveryProblems(): Promise<DeliveryProblem[]> {
    return this.db.exclusive(async () => (await this.db.rows(deliveryProblemsSql('rowid'))).map(deliveryProblemFromRow));
  }
}
