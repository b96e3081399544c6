// Rows as either database hands them back (DuckDB and PostgreSQL drivers both
// give TIMESTAMPTZ as Date; JSON as text or already parsed) turned into the
// store's records, one definition for both stores.

import type { Status } from '../checks/kind.js';
import type { ColumnInfo } from '../checks/kind.js';
import type { DatasetRunSummary, DeliveryProblem, IncidentRow, IncidentWithHistory, LatestResult, OutboxRow, OutboxState, RunRecord, RunStatus, StoredSilence } from './store.js';

export function parseJson<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  if (typeof v === 'string') {
    try { return JSON.parse(v) as T; } catch { return fallback; }
  }
  return v as T;
}

export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const INCIDENT_COLUMNS = `id, check_id, dataset, kind, status, notified_status, state, opened_at, last_seen_at, resolved_at, last_notified_at,
  last_event, silenced_reason, silenced_until, runbook, owner, message`;

/** What reads select: the columns the planner writes, then the acknowledgement (written by acknowledge() only) and when one of its notifications was sent (by recordSent() only). */
export const INCIDENT_READ_COLUMNS = `${INCIDENT_COLUMNS}, acknowledged_by, acknowledged_at, ack_reason, last_sent_at`;

/**
 * Channels whose failed-for-good rows are newer than their last delivered one (the same SQL on both
 * stores; `seq` is the table's insertion order column).
 */
export function deliveryProblemsSql(seq: string): string {
  return `SELECT f.channel, count(*) AS failed, min(f.created_at) AS since,
      (array_agg(f.last_error ORDER BY f.created_at DESC, f.${seq} DESC))[1] AS last_error,
      (array_agg(f.dataset ORDER BY f.created_at DESC, f.${seq} DESC))[1] AS dataset
    FROM outbox f LEFT JOIN (SELECT channel, max(created_at) AS at FROM outbox WHERE state = 'delivered' GROUP BY channel) d ON d.channel = f.channel
    WHERE f.state = 'failed' AND (d.at IS NULL OR f.created_at > d.at)
    GROUP BY f.channel ORDER BY f.channel`;
}

export function deliveryProblemFromRow(r: Record<string, unknown>): DeliveryProblem {
  return { channel: String(r.channel), failed: Number(r.failed), since: iso(r.since), lastError: String(r.last_error ?? ''), dataset: String(r.dataset) };
}

export function incidentFromRow(r: Record<string, unknown>): IncidentRow {
  return {
    acknowledgedBy: strOrNull(r.acknowledged_by), acknowledgedAt: isoOrNull(r.acknowledged_at), ackReason: strOrNull(r.ack_reason),
    id: String(r.id), checkId: String(r.check_id), dataset: String(r.dataset), kind: String(r.kind),
    state: r.state as IncidentRow['state'], status: r.status as Status, notifiedStatus: (r.notified_status as Status | null) ?? null,
    openedAt: iso(r.opened_at), lastSeenAt: iso(r.last_seen_at), resolvedAt: isoOrNull(r.resolved_at), lastNotifiedAt: isoOrNull(r.last_notified_at), lastSentAt: isoOrNull(r.last_sent_at),
    lastEvent: (r.last_event as IncidentRow['lastEvent']) ?? null, silencedReason: strOrNull(r.silenced_reason), silencedUntil: isoOrNull(r.silenced_until),
    runbook: strOrNull(r.runbook), owner: strOrNull(r.owner), message: String(r.message),
  };
}

/** An incident's values in INCIDENT_COLUMNS order, id last (for an UPDATE … WHERE id = ?), or first with `idFirst`. */
export function incidentValues(i: IncidentRow, idFirst: boolean): unknown[] {
  const values = [i.checkId, i.dataset, i.kind, i.status, i.notifiedStatus, i.state, i.openedAt, i.lastSeenAt, i.resolvedAt,
    i.lastNotifiedAt, i.lastEvent, i.silencedReason, i.silencedUntil, i.runbook, i.owner, i.message];
  return idFirst ? [i.id, ...values] : [...values, i.id];
}

export const SILENCE_COLUMNS = 'id, match, selector, reason, created_by, created_at, ends_at, expired_at, expired_by';

export function silenceFromRow(r: Record<string, unknown>): StoredSilence {
  return {
    id: String(r.id), match: parseJson<Record<string, string[]>>(r.match, {}), selector: String(r.selector), reason: String(r.reason),
    createdBy: String(r.created_by), createdAt: iso(r.created_at), endsAt: iso(r.ends_at), expiredAt: isoOrNull(r.expired_at), expiredBy: strOrNull(r.expired_by),
  };
}

export function silenceValues(s: StoredSilence): unknown[] {
  return [s.id, JSON.stringify(s.match), s.selector, s.reason, s.createdBy, s.createdAt, s.endsAt, s.expiredAt, s.expiredBy];
}

export function outboxFromRow(r: Record<string, unknown>): OutboxRow {
  return {
    key: String(r.idempotency_key), channel: String(r.channel), dataset: String(r.dataset), runId: strOrNull(r.run_id),
    payload: parseJson<unknown>(r.payload, null), state: r.state as OutboxState, attempts: Number(r.attempts),
    nextAttemptAt: isoOrNull(r.next_attempt_at), lastError: strOrNull(r.last_error), createdAt: iso(r.created_at), deliveredAt: isoOrNull(r.delivered_at),
  };
}

export function latestFromRow(r: Record<string, unknown>): LatestResult {
  return {
    check: String(r.check_id), dataset: String(r.dataset), kind: String(r.kind), name: String(r.name),
    status: r.status as Status, value: numOrNull(r.value), unit: String(r.unit),
    message: String(r.message), runbook: strOrNull(r.runbook), owner: strOrNull(r.owner),
    tags: parseJson<string[]>(r.tags, []), thresholds: parseJson(r.thresholds, {}), details: parseJson(r.details, {}),
    evaluated_at: iso(r.evaluated_at), duration_ms: Number(r.duration_ms), run_id: String(r.run_id), recorded_at: iso(r.recorded_at),
  };
}

export function runFromRow(r: Record<string, unknown>): RunRecord {
  return {
    run_id: String(r.run_id), started_at: iso(r.started_at), finished_at: isoOrNull(r.finished_at),
    status: r.status as RunStatus, trigger: String(r.trigger), selectors: parseJson<string[]>(r.selectors, []),
    summary: parseJson(r.summary, { pass: 0, warn: 0, fail: 0, error: 0 }),
    datasets: parseJson<string[]>(r.datasets, []), scheduled_for: isoOrNull(r.scheduled_for), replica: strOrNull(r.replica),
  };
}

/**
 * Rows of (datasets as JSON text, latest scheduled_for) from runs and (dataset, latest skipped_at)
 * from skipped ticks, as each dataset's newest tick taken.
 */
export function lastTicksFromRows(runs: Record<string, unknown>[], skipped: Record<string, unknown>[]): Map<string, Date> {
  const out = new Map<string, Date>();
  const take = (dataset: string, at: unknown) => {
    const t = new Date(iso(at));
    if (!Number.isNaN(t.getTime()) && t.getTime() > (out.get(dataset)?.getTime() ?? -Infinity)) out.set(dataset, t);
  };
  for (const r of runs) for (const d of parseJson<unknown[]>(r.datasets, [])) take(String(d), r.at);
  for (const r of skipped) take(String(r.dataset), r.at);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const columnsFromRow = (v: unknown): ColumnInfo[] => parseJson<ColumnInfo[]>(v, []);

export function summaryFromRow(r: Record<string, unknown>): DatasetRunSummary {
  return {
    run_id: String(r.run_id), started_at: iso(r.started_at), finished_at: iso(r.finished_at), duration_ms: Number(r.duration_ms),
    status: r.status as Status | 'unknown', error: strOrNull(r.error),
  };
}

export const snapshotFromRow = (r: Record<string, unknown>) => ({ run_id: String(r.run_id), recorded_at: iso(r.recorded_at), columns: columnsFromRow(r.columns) });

/**
 * A number as bound for a DOUBLE parameter: text, because a JS number with an integral value would be
 * bound as a BIGINT and overflow past 2^63 (a sql check may return anything); NaN/±Infinity → NULL;
 * anything that is not a number goes as it is, for the database to reject.
 */
export const doubleParam = (v: number | null): string | null => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : null) : v);

export interface NotPassing {
  check: string;
  name: string;
  status: Status;
}

/** Rows of (run_id, check_id, name, status) as run id → its checks that did not pass, in the rows' order. */
export function notPassingByRun(rows: Record<string, unknown>[]): Map<string, NotPassing[]> {
  const out = new Map<string, NotPassing[]>();
  for (const r of rows) {
    const id = String(r.run_id);
    (out.get(id) ?? out.set(id, []).get(id)!).push({ check: String(r.check_id), name: String(r.name), status: r.status as Status });
  }
  return out;
}

/** A parameterised read with `?` placeholders, as both stores' sessions offer it. */
export type ReadRows = (sql: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Incidents, newest first, each with its history: one read for both stores. `order` names each
 * database's tie-breakers (byte order of ids, insertion order of events), which the two spell differently.
 */
export async function readIncidents(
  rows: ReadRows,
  opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string },
  order: { id: string; event: string },
): Promise<IncidentWithHistory[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (opts.state && opts.state !== 'all') { where.push('state = ?'); values.push(opts.state); }
  if (opts.dataset !== undefined) { where.push('dataset = ?'); values.push(opts.dataset); }
  const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 200)));
  const incidents = (await rows(`SELECT ${INCIDENT_READ_COLUMNS} FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY opened_at DESC, ${order.id} LIMIT ${limit}`, values)).map(incidentFromRow);
  const history = new Map<string, IncidentWithHistory['history']>(incidents.map((i) => [i.id, []]));
  if (incidents.length) {
    const events = await rows(`SELECT incident_id, event_at, status, event FROM incident_events
      WHERE incident_id IN (${incidents.map(() => '?').join(', ')}) ORDER BY event_at, ${order.event}`, incidents.map((i) => i.id));
    for (const h of events) {
      history.get(String(h.incident_id))?.push({ at: iso(h.event_at), status: h.status as Status, event: (h.event as IncidentWithHistory['history'][number]['event']) ?? null });
    }
  }
  return incidents.map((i) => ({ ...i, history: history.get(i.id) ?? [] }));
}
