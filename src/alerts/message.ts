// The message model: one dataset's notifications of one run for one channel,
// as stored in the outbox (no secrets) and rendered by render/slack.ts and
// render/email.ts. Also the wording both renderers share.

import { STATUS_RANK, type Status } from '../checks/kind.js';
import type { NotificationItem } from './routing.js';
import { countOf, formatBand, formatDuration, formatNumber, formatValue } from '../util/format.js';

export interface AlertMessage {
  /** Idempotency key of the outbox row (also the email Message-ID). */
  key: string;
  channel: string;
  dataset: string;
  runId: string | null;
  createdAt: string;
  /** A `vigil alerts test` message. */
  test?: boolean;
  description: string | null;
  owner: string | null;
  tags: string[];
  /** The dataset's runbook (a check's own runbook is on its item). */
  runbook: string | null;
  dashboardUrl: string | null;
  /** Datasets downstream of this one (transitively), put at risk by its failure. */
  atRisk: string[];
  /**
   * This dataset as the root cause: downstream datasets failing because of it, whose own notifications
   * are held back while it is open (src/alerts/root-cause.ts). Absent when there are none.
   */
  downstreamFailing?: string[];
  /** Checks of this dataset whose notifications of the same run a silence muted (sent nowhere, named here). */
  silenced?: Array<{ check: string; reason: string; until: string; id?: string; by?: string }>;
  items: NotificationItem[];
}

export const STATUS_EMOJI: Record<Status | 'resolved', string> = {
  pass: '✅', resolved: '✅', warn: '🟡', fail: '🔴', error: '🟣',
};

/** Worst status among the items still failing, or null when every item is a recovery. */
export function messageStatus(m: AlertMessage): Status | null {
  let worst: Status | null = null;
  for (const i of m.items) {
    if (i.event === 'resolved' || i.event === 'acknowledged') continue;
    if (worst === null || STATUS_RANK[i.status] > STATUS_RANK[worst]) worst = i.status;
  }
  return worst;
}


/** "2 checks failing, 1 warning, 1 resolved" */
export function summaryText(m: AlertMessage): string {
  const count = (pred: (i: NotificationItem) => boolean) => m.items.filter(pred).length;
  const live = (i: NotificationItem) => i.event !== 'resolved' && i.event !== 'acknowledged';
  const failing = count((i) => live(i) && i.status === 'fail');
  const errors = count((i) => live(i) && i.status === 'error');
  const warning = count((i) => live(i) && i.status === 'warn');
  const resolved = count((i) => i.event === 'resolved');
  const acked = m.items.filter((i) => i.event === 'acknowledged');
  const parts: string[] = [];
  if (acked.length) {
    const by = [...new Set(acked.map((i) => i.acknowledgedBy ?? 'someone'))].join(', ');
    parts.push(`${acked.length === 1 ? (acked[0] as NotificationItem).check : countOf(acked.length, 'check')} acknowledged by ${by}`);
  }
  if (failing) parts.push(`${countOf(failing, 'check')} failing`);
  if (errors) parts.push(`${countOf(errors, 'check')} in error`);
  if (warning) parts.push(parts.length ? `${warning} warning` : `${countOf(warning, 'check')} warning`);
  if (resolved) parts.push(parts.length ? `${resolved} resolved` : `${countOf(resolved, 'check')} back to pass`);
  const text = parts.join(', ') || 'no change';
  const n = m.downstreamFailing?.length ?? 0;
  return n ? `${text}; ${countOf(n, 'downstream dataset')} failing` : text;
}

/** "orders is stale; 4 downstream datasets failing: a, b, c, d — their alerts are held until orders recovers", or null. */
export function rootCauseLine(m: AlertMessage): string | null {
  const down = m.downstreamFailing ?? [];
  if (!down.length) return null;
  const stale = m.items.some((i) => i.event !== 'resolved' && i.kind === 'freshness');
  return `${m.dataset} ${stale ? 'is stale' : 'is failing'}; ${countOf(down.length, 'downstream dataset')} failing: ${down.join(', ')} — their alerts are held until ${m.dataset} recovers`;
}

/** "Silenced: orders.freshness until 2026-…Z (silence 3fa2…, by alice): backfill", or null. */
export function silencedLine(m: AlertMessage): string | null {
  const list = m.silenced ?? [];
  if (!list.length) return null;
  return `Silenced, not sent: ${list.map((s) => `${s.check} until ${s.until}${s.id ? ` (silence ${s.id}${s.by ? `, by ${s.by}` : ''})` : ''}: ${s.reason}`).join('; ')}`;
}

/** The inbox subject and Slack header: "[FAIL] orders: 2 checks failing". */
export function subjectLine(m: AlertMessage): string {
  const s = messageStatus(m);
  const tag = s === null ? (isAckMessage(m) ? 'ACK' : 'RESOLVED') : s.toUpperCase();
  return `${m.test ? '[TEST] ' : ''}[${tag}] ${m.dataset}: ${summaryText(m)}`;
}

export function headerText(m: AlertMessage): string {
  const s = messageStatus(m);
  const emoji = s === null && isAckMessage(m) ? '👀' : STATUS_EMOJI[s ?? 'resolved'];
  return `${m.test ? '[TEST] ' : ''}${emoji} ${m.dataset}: ${summaryText(m)}`;
}

/** A message that only says someone took incidents (vigil ack, the page, the API). */
export function isAckMessage(m: AlertMessage): boolean {
  return m.items.length > 0 && m.items.every((i) => i.event === 'acknowledged');
}

const EVENT_TEXT: Record<NotificationItem['event'], string> = {
  opened: 'new', escalated: 'escalated', reminder: 'still failing', acknowledged: 'acknowledged', resolved: 'resolved',
};

/** "fail (escalated from warn)", "resolved (was fail)" */
export function eventText(i: NotificationItem): string {
  if (i.event === 'resolved') return `resolved${i.previousStatus ? ` (was ${i.previousStatus})` : ''}`;
  if (i.event === 'escalated' && i.previousStatus) return `${i.status} (escalated from ${i.previousStatus})`;
  if (i.event === 'acknowledged') return `${i.status} (acknowledged${i.acknowledgedBy ? ` by ${i.acknowledgedBy}` : ''}${i.ackReason ? `: ${i.ackReason}` : ''})`;
  return `${i.status} (${EVENT_TEXT[i.event]})`;
}

export function formatObserved(i: Pick<NotificationItem, 'value' | 'unit'>): string {
  return i.value === null ? 'no value' : formatValue(i.value, i.unit);
}

function thresholdText(t: unknown, unit: string): string {
  if (typeof t === 'number') return unit === 'seconds' ? formatDuration(t) : formatNumber(t, 6);
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object') {
    const r = t as { min?: number; max?: number };
    if (r.min !== undefined && r.max !== undefined) return `outside ${formatNumber(r.min)}..${formatNumber(r.max)}`;
    if (r.min !== undefined) return `below ${formatNumber(r.min)}`;
    if (r.max !== undefined) return `above ${formatNumber(r.max)}`;
  }
  return JSON.stringify(t);
}

/** "observed 3 rows; fail above 0, warn above 1%", "observed 3,120 rows; expected 9,800–12,100" */
export function observedVsThreshold(i: NotificationItem): string {
  const parts: string[] = [];
  for (const level of ['fail', 'warn'] as const) {
    const t = i.thresholds[level] ?? i.thresholds[`${level}_after`];
    if (t === undefined || t === null) continue;
    const text = thresholdText(t, i.unit);
    parts.push(/^(outside|below|above)/.test(text) ? `${level} ${text}` : `${level} above ${text}`);
  }
  if (i.band) parts.push(`expected ${formatBand(i.band.lower, i.band.upper, i.unit)}`);
  return `observed ${formatObserved(i)}${parts.length ? `; ${parts.join(', ')}` : ''}`;
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown as text or dropped. */
export function safeUrl(u: string | null | undefined): string | null {
  if (!u) return null;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** The runbook of an item: the check's own, else its dataset's. */
export function runbookOf(m: AlertMessage, i: NotificationItem): string | null {
  return safeUrl(i.runbook) ?? safeUrl(m.runbook);
}
