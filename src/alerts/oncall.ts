// Acknowledgements and silences kept in the store (vigil ack / vigil silence, the
// incidents page, the API): selectors parsed into the match of file silences, one
// path for the CLI and the API to ack, add and expire, and the JSON both show.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Project } from '../config/model.js';
import { DURATION_HINT, parseDuration } from '../config/duration.js';
import type { AckOutcome, IncidentRow, OutboxRow, Store, StoredSilence } from '../store/store.js';
import { matchSchema, toMatch, type Match, type SilenceDef } from './schema.js';
import { messageKey } from './plan.js';
import { dashboardBase, dashboardLink, incidentLink, runbookHref } from './links.js';
import type { AlertMessage } from './message.js';
import { matches, routeNotifications, silenceDef, silenceFor, silencedNote, type MatchTarget, type NotificationItem } from './routing.js';

/** Selector keys, as `key:value` (a bare word is a dataset). */
const SELECTOR_KEYS: Record<string, keyof Match> = {
  dataset: 'dataset', tag: 'tags', tags: 'tags', owner: 'owner', kind: 'kind', status: 'status', check: 'check',
};
const STATUSES = ['pass', 'warn', 'fail', 'error'];
/** The longest silence: a forgotten one must end on its own. */
const MAX_SILENCE_SECONDS = 90 * 86400;

/**
 * `orders`, `tag:tier-1 kind:freshness`, `check:orders.freshness`: the terms of a file silence's match.
 * Different keys must all match; the same key given twice is a list (either value matches).
 */
export function parseSelector(terms: readonly string[]): Match | string {
  const m: Record<string, string[]> = {};
  const words = terms.flatMap((t) => t.split(/\s+/)).filter((t) => t !== '');
  if (!words.length) return 'a silence needs a selector: a dataset name, tag:NAME, owner:NAME, kind:KIND, status:STATUS or check:DATASET.CHECK';
  for (const w of words) {
    const i = w.indexOf(':');
    const [key, value] = i < 0 ? ['dataset', w] : [w.slice(0, i), w.slice(i + 1)];
    const field = SELECTOR_KEYS[key];
    if (!field) return `unknown selector key '${key}' in '${w}' — use dataset:, tag:, owner:, kind:, status: or check: (a bare word is a dataset name)`;
    if (value === '') return `'${w}' has no value — e.g. ${key}:NAME`;
    if (field === 'status' && !STATUSES.includes(value)) return `status must be pass, warn, fail or error (got '${value}')`;
    (m[field] ??= []).push(value);
  }
  return m as Match;
}

/** A match as selector text ("orders kind:freshness"), the way parseSelector reads it. */
export function selectorText(m: Match): string {
  const parts: string[] = [];
  for (const d of m.dataset ?? []) parts.push(d);
  const keyed: Array<[keyof Match, string]> = [['tags', 'tag'], ['owner', 'owner'], ['kind', 'kind'], ['status', 'status'], ['check', 'check']];
  for (const [field, key] of keyed) for (const v of (m[field] as string[] | undefined) ?? []) parts.push(`${key}:${v}`);
  return parts.join(' ');
}

/** What a new silence is asked with (CLI flags or the API's JSON body). */
export interface SilenceRequest {
  /** Selector terms, or a match object as in a file silence. */
  selector?: string | string[];
  match?: unknown;
  /** A duration ("2h") or an end time (ISO-8601). */
  for?: string;
  until?: string;
  reason?: unknown;
  by: string;
}

/** A new stored silence from a request, or what is wrong with it. */
export function newSilence(req: SilenceRequest, now: Date): StoredSilence | string {
  let match: Match;
  if (req.match !== undefined) {
    const parsed = matchSchema.safeParse(req.match);
    if (!parsed.success) return `match is not a valid match: ${parsed.error.issues[0]?.message ?? 'see docs/oncall.md'} — e.g. { "dataset": "orders" }`;
    match = toMatch(parsed.data);
  } else {
    const terms = typeof req.selector === 'string' ? [req.selector] : Array.isArray(req.selector) ? req.selector.filter((t): t is string => typeof t === 'string') : [];
    const parsed = parseSelector(terms);
    if (typeof parsed === 'string') return parsed;
    match = parsed;
  }
  if (Object.keys(match).length === 0) return 'a silence needs a non-empty selector — an empty one would mute every alert';
  if (typeof req.reason !== 'string' || req.reason.trim() === '') return 'a silence needs a reason (--reason "migration to v2"): the next person on call reads it';
  let ends: number;
  if (req.for !== undefined && req.until !== undefined) return 'give either for (a duration such as 2h) or until (a time), not both';
  if (req.for !== undefined) {
    const secs = typeof req.for === 'string' ? parseDuration(req.for) : undefined;
    if (secs === undefined || secs <= 0) return `for '${String(req.for)}' is not a duration — ${DURATION_HINT}`;
    ends = now.getTime() + secs * 1000;
  } else if (req.until !== undefined) {
    ends = typeof req.until === 'string' ? Date.parse(req.until) : Number.NaN;
    if (!Number.isFinite(ends)) return `until '${String(req.until)}' is not an ISO-8601 time, e.g. 2026-12-01T00:00:00Z`;
    if (ends <= now.getTime()) return `until ${new Date(ends).toISOString()} is already past: a silence must end in the future`;
  } else return 'a silence needs an end: --for 2h (a duration) or --until 2026-12-01T00:00:00Z';
  if (ends - now.getTime() > MAX_SILENCE_SECONDS * 1000) return 'a silence may last at most 90d — add a new one when it ends, or write it in an alert file';
  return {
    id: randomBytes(6).toString('hex'), match: match as Record<string, string[]>, selector: selectorText(match), reason: req.reason.trim(),
    createdBy: req.by, createdAt: now.toISOString(), endsAt: new Date(ends).toISOString(), expiredAt: null, expiredBy: null,
  };
}

/** A silence as the CLI's --json and the API show it (file silences too: id null, source their file:line). */
export interface SilenceJson {
  id: string | null;
  source: string;
  selector: string;
  match: Match;
  reason: string;
  created_by: string | null;
  created_at: string | null;
  ends_at: string;
  expired_at: string | null;
  expired_by: string | null;
  /** active: mutes now; expired: ended by hand; ended: reached its end. */
  state: 'active' | 'expired' | 'ended';
}

export function storedSilenceJson(s: StoredSilence, now: Date): SilenceJson {
  const state = s.expiredAt ? 'expired' : Date.parse(s.endsAt) <= now.getTime() ? 'ended' : 'active';
  return {
    id: s.id, source: 'store', selector: s.selector, match: s.match as Match, reason: s.reason, created_by: s.createdBy, created_at: s.createdAt,
    ends_at: s.endsAt, expired_at: s.expiredAt, expired_by: s.expiredBy, state,
  };
}

export function fileSilenceJson(s: SilenceDef, root: string, now: Date): SilenceJson {
  return {
    id: null, source: s.pos ? `${path.relative(root, s.pos.file).split(path.sep).join('/')}:${s.pos.line}` : 'file', selector: selectorText(s.match), match: s.match,
    reason: s.reason, created_by: null, created_at: null, ends_at: s.until, expired_at: null, expired_by: null,
    state: Date.parse(s.until) <= now.getTime() ? 'ended' : 'active',
  };
}

/** Every silence to list: stored ones (all of them with `all`, else those active) and the alert files' (ended ones with `all`). */
export async function listSilences(store: Store, project: Project, now: Date, all: boolean): Promise<SilenceJson[]> {
  const stored = (await store.silences({ now: now.toISOString(), all })).map((s) => storedSilenceJson(s, now));
  const files = project.alerts.silences.map((s) => fileSilenceJson(s, project.root, now)).filter((s) => all || s.state === 'active');
  return [...stored, ...files];
}

/** What a match looks at, for an incident: its check's tags and owner as configured now. */
export function incidentTarget(project: Project, i: Pick<IncidentRow, 'checkId' | 'dataset' | 'kind' | 'status' | 'owner'>): MatchTarget {
  const def = project.datasets.find((d) => d.name === i.dataset)?.checks.find((c) => c.id === i.checkId);
  return { dataset: i.dataset, owner: def?.owner ?? i.owner, tags: def?.tags ?? [], kind: i.kind, status: i.status, check: i.checkId };
}

/** Whether a silence may mute any check of this dataset (whatever its status): the dataset page's banner. */
export function affectsDataset(project: Project, dataset: string, m: Match): boolean {
  const ds = project.datasets.find((d) => d.name === dataset);
  const { status: _s, ...rest } = m;
  if (!ds) return false;
  return ds.checks.some((c) => matches(rest, { dataset, owner: c.owner ?? null, tags: c.tags, kind: c.kind, status: 'fail', check: c.id }));
}

/** Every silence that mutes at `now`: the alert files' and the store's. */
export function activeSilences(project: Project, stored: readonly StoredSilence[]): SilenceDef[] {
  return [...project.alerts.silences, ...stored.map(silenceDef)];
}

/** The silence muting an incident now (the one ending last), or null. */
export function incidentSilence(project: Project, incident: IncidentRow, silences: SilenceDef[], now: Date): SilenceDef | null {
  return incident.state === 'open' ? silenceFor(incidentTarget(project, incident), silences, now) : null;
}

/**
 * The 'acknowledged' notification of an incident, routed like its other notifications: one outbox row
 * per channel (recorded as silenced under a silence). Nothing when nobody was told of the incident.
 */
export function ackNotifications(project: Project, incident: IncidentRow, silences: SilenceDef[], now: Date): OutboxRow[] {
  if (incident.notifiedStatus === null || !incident.acknowledgedBy || !incident.acknowledgedAt) return [];
  const ds = project.datasets.find((d) => d.name === incident.dataset);
  const def = ds?.checks.find((c) => c.id === incident.checkId);
  const target = incidentTarget(project, incident);
  const item: NotificationItem = {
    event: 'acknowledged', incidentId: incident.id, at: incident.acknowledgedAt, check: incident.checkId, name: def?.name ?? incident.checkId.slice(incident.dataset.length + 1),
    kind: incident.kind, dataset: incident.dataset, status: incident.status, previousStatus: null, value: null, unit: '', message: incident.message,
    thresholds: {}, runbook: runbookHref(incident.runbook, incident.dataset, incident.checkId, dashboardBase(project)), owner: target.owner, tags: target.tags,
    openedAt: incident.openedAt, incidentUrl: incidentLink(project, incident.id),
    acknowledgedBy: incident.acknowledgedBy, ackReason: incident.ackReason ?? null,
  };
  const createdAt = now.toISOString();
  return routeNotifications([item], { routes: project.alerts.routes, silences }, now).map((g) => {
    const key = messageKey(g.channel, g.items);
    const message: AlertMessage = {
      key, channel: g.channel, dataset: incident.dataset, runId: null, createdAt, description: ds?.description ?? null, owner: ds?.owner ?? null,
      tags: ds?.tags ?? [], runbook: runbookHref(ds?.runbook, incident.dataset, null, dashboardBase(project)), dashboardUrl: dashboardLink(project, incident.dataset), atRisk: [], items: g.items,
    };
    return {
      key, channel: g.channel, dataset: incident.dataset, runId: null, payload: message, state: g.silence ? 'silenced' : 'pending', attempts: 0,
      nextAttemptAt: g.silence ? null : createdAt, lastError: g.silence ? silencedNote(g.silence) : null, createdAt, deliveredAt: null,
    };
  });
}

/** A unique id (or unique start of one, at least 4 characters) among `ids`; else what is wrong. */
export function resolveId(given: string, ids: readonly string[], what: string): { id: string } | { error: string; status: 404 | 409 } {
  if (ids.includes(given)) return { id: given };
  const hits = given.length >= 4 ? ids.filter((id) => id.startsWith(given)) : [];
  if (hits.length === 1) return { id: hits[0] as string };
  if (hits.length > 1) return { error: `${what} ${given} is ambiguous: ${hits.slice(0, 5).join(', ')}${hits.length > 5 ? ', …' : ''} — give more of the id`, status: 409 };
  return { error: `no ${what} ${given}${given.length < 4 ? ' (give at least 4 characters of the id)' : ''} — vigil silence list / GET /api/incidents list them`, status: 404 };
}

export type AckResult = AckOutcome | { outcome: 'ambiguous' | 'not_found'; incident: null; error: string };

/** Acknowledges an incident by id (or a unique start of one): the one path of vigil ack and the API. */
export async function acknowledgeIncident(store: Store, project: Project, given: string, by: string, reason: string | null, now: Date): Promise<AckResult> {
  const known = (await store.incidents({ state: 'all', limit: 1000 })).map((i) => i.id);
  const found = resolveId(given, known, 'incident');
  if ('error' in found) return { outcome: found.status === 409 ? 'ambiguous' : 'not_found', incident: null, error: found.error };
  const silences = activeSilences(project, await store.silences({ now: now.toISOString() }));
  return store.acknowledge(found.id, { by, at: now.toISOString(), reason }, (row) => ackNotifications(project, row, silences, now));
}

/** Expires a stored silence by id (or a unique start of one). */
export async function expireSilence(store: Store, given: string, by: string, now: Date): Promise<{ silence: StoredSilence; already: boolean } | { error: string; status: 404 | 409 }> {
  const all = await store.silences({ now: now.toISOString(), all: true });
  const found = resolveId(given, all.map((s) => s.id), 'silence');
  if ('error' in found) return found;
  const before = all.find((s) => s.id === found.id);
  const after = await store.expireSilence(found.id, now.toISOString(), by);
  if (!after) return { error: `no silence ${given}`, status: 404 };
  const wasActive = before !== undefined && before.expiredAt === null && Date.parse(before.endsAt) > now.getTime();
  return { silence: after, already: !wasActive };
}

/** A name for who does something: given (trimmed, at most 100 characters), else the fallback. */
export function whoOf(given: unknown, fallback: string): string {
  return typeof given === 'string' && given.trim() !== '' ? given.trim().slice(0, 100) : fallback;
}
