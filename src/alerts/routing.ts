// Routing: which channels each notification goes to (routes in order, first
// match wins unless continue: true, no match = catch-all), which are muted by
// a silence, and the grouping into one message per dataset and channel. Pure.

import type { Status } from '../checks/kind.js';
import type { StoredSilence } from '../store/store.js';
import type { IncidentEvent } from './incidents.js';
import type { AlertsConfig, Match, SilenceDef } from './schema.js';

/** One check's notification, as the message shows it. */
export interface NotificationItem {
  event: IncidentEvent;
  incidentId: string;
  /** When the event happened (the result's evaluation time). */
  at: string;
  check: string;
  name: string;
  kind: string;
  dataset: string;
  status: Status;
  /** escalated: the status told before; resolved: the status the incident had. */
  previousStatus: Status | null;
  value: number | null;
  unit: string;
  message: string;
  thresholds: Record<string, unknown>;
  /** An anomaly check's expected range (absent for threshold checks and while learning). */
  band?: { expected: number; lower: number; upper: number };
  runbook: string | null;
  owner: string | null;
  tags: string[];
  /** When the incident opened (first seen). */
  openedAt: string;
  /** The incident's dashboard page. */
  incidentUrl?: string;
  /** event acknowledged: who took it, and why. */
  acknowledgedBy?: string;
  ackReason?: string | null;
}

export interface RoutedGroup {
  channel: string;
  dataset: string;
  items: NotificationItem[];
  /** Set when every item of the group is muted: the group is recorded, not sent. */
  silence: { reason: string; until: string; id?: string; by?: string } | null;
}

/** The fields a match looks at. A resolved notification matches on the status it had, so it follows its opening. */
export interface MatchTarget { dataset: string; owner: string | null; tags: string[]; status: Status; kind: string; check?: string }

export function matchTarget(item: NotificationItem): MatchTarget {
  return {
    dataset: item.dataset, owner: item.owner, tags: item.tags, kind: item.kind, check: item.check,
    status: item.event === 'resolved' ? (item.previousStatus ?? item.status) : item.status,
  };
}

export function matches(m: Match, t: MatchTarget): boolean {
  if (m.dataset && !m.dataset.includes(t.dataset)) return false;
  if (m.owner && (t.owner === null || !m.owner.includes(t.owner))) return false;
  if (m.tags && !m.tags.some((tag) => t.tags.includes(tag))) return false;
  if (m.status && !m.status.includes(t.status)) return false;
  if (m.kind && !m.kind.includes(t.kind)) return false;
  if (m.check && (t.check === undefined || !m.check.includes(t.check))) return false;
  return true;
}

/** Channels a notification goes to, in order, without duplicates. */
export function channelsFor(item: NotificationItem, alerts: Pick<AlertsConfig, 'routes'>): string[] {
  const target = matchTarget(item);
  const out: string[] = [];
  for (const route of alerts.routes) {
    if (route.match !== null && !matches(route.match, target)) continue;
    for (const c of route.channels) if (!out.includes(c)) out.push(c);
    if (!route.continue) break;
  }
  return out;
}

/** The silence muting a notification at `now` (the one ending last), or null. */
export function silenceFor(target: MatchTarget, silences: SilenceDef[], now: Date): SilenceDef | null {
  let best: SilenceDef | null = null;
  for (const s of silences) {
    if (Date.parse(s.until) <= now.getTime() || !matches(s.match, target)) continue;
    if (!best || Date.parse(s.until) > Date.parse(best.until)) best = s;
  }
  return best;
}

/**
 * Groups notifications into one message per (dataset, channel), keeping muted
 * ones apart so they are recorded as silenced, not sent. Groups come out in
 * the order of their first notification.
 */
export function routeNotifications(items: NotificationItem[], alerts: Pick<AlertsConfig, 'routes' | 'silences'>, now: Date): RoutedGroup[] {
  const groups = new Map<string, RoutedGroup>();
  for (const item of items) {
    const silence = silenceFor(matchTarget(item), alerts.silences, now);
    for (const channel of channelsFor(item, alerts)) {
      const key = JSON.stringify([item.dataset, channel, silence !== null]);
      let g = groups.get(key);
      if (!g) {
        g = {
          channel, dataset: item.dataset, items: [],
          silence: silence ? { reason: silence.reason, until: silence.until, ...(silence.id ? { id: silence.id } : {}), ...(silence.by ? { by: silence.by } : {}) } : null,
        };
        groups.set(key, g);
      }
      g.items.push(item);
    }
  }
  return [...groups.values()];
}

/** A stored silence as the routing sees one: it mutes until it ends or was expired. */
export function silenceDef(s: StoredSilence): SilenceDef {
  return { match: s.match as Match, until: s.expiredAt ?? s.endsAt, reason: s.reason, id: s.id, by: s.createdBy };
}

/** The outbox's note on a muted message: which silence, until when, why. */
export function silencedNote(s: { reason: string; until: string; id?: string; by?: string }): string {
  return `silenced until ${s.until}${s.id ? ` by silence ${s.id}${s.by ? ` (${s.by})` : ''}` : ''}: ${s.reason}`;
}
