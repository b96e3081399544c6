// Incidents: one per failing period of a check. decideIncident() is the one
// pure function that says, from the previous state and a new result, which
// notification event (if any) a run produces. Table-tested in test/alerts-incidents.test.ts.

import { createHash } from 'node:crypto';
import { STATUS_RANK, type Status } from '../checks/kind.js';
import type { IncidentEventName, IncidentRow } from '../store/store.js';
import type { Policy } from './schema.js';

export type IncidentEvent = IncidentEventName;

/** What decideIncident needs of an incident (the store keeps more). */
export type IncidentState = Pick<IncidentRow,
  'id' | 'checkId' | 'state' | 'status' | 'notifiedStatus' | 'openedAt' | 'lastSeenAt' | 'resolvedAt' | 'lastNotifiedAt' | 'lastEvent'>
  & Pick<IncidentRow, 'acknowledgedAt'>;

export interface Decision {
  /** The notification this result causes, or null. */
  event: IncidentEvent | null;
  /** The incident after this result: null when there is none (a pass without an open incident). */
  next: IncidentState | null;
  /** True when `next` is a new incident (insert rather than update). */
  opened: boolean;
  /** Whether the status changed (a line in the incident's history). */
  statusChanged: boolean;
}

const worse = (a: Status, b: Status) => STATUS_RANK[a] > STATUS_RANK[b];
const atLeast = (s: Status, min: Policy['minStatus']) => STATUS_RANK[s] >= STATUS_RANK[min];

export function incidentId(checkId: string, openedAt: string): string {
  return createHash('sha256').update(`${checkId}\0${openedAt}`).digest('hex').slice(0, 20);
}

/**
 * prev = the check's OPEN incident (or null); result = its new status at `at`.
 * "notifiable" = status ≥ policy.min_status. "told" = prev.notifiedStatus !== null.
 *
 *  prev          new status          told?  event       incident after
 *  ------------  ------------------  -----  ----------  ---------------------------------
 *  none          pass                 -     none        none
 *  none          non-pass, notifiable -     opened      new, open
 *  none          non-pass, below min  -     none        new, open (recorded, nobody told)
 *  open          pass                 yes   resolved*   resolved        (*only if send_resolved)
 *  open          pass                 no    none        resolved
 *  open          notifiable           no    opened      open  (first time it is worth telling:
 *                                                              warn → fail under min_status fail)
 *  open          worse than told      yes   escalated   open  (warn → fail, fail → error, warn → error)
 *  open          same or better, repeat_interval since the last notification
 *                                     yes   reminder    open  (only while still notifiable, and
 *                                                              never once acknowledged)
 *  open          anything else        -     none        open  (status updated: fail → warn is quiet)
 *
 * A result at a time before the last notification (a --now in the past) never reminds.
 * An acknowledged incident (someone took it) still escalates and resolves: only reminders stop.
 */
export function decideIncident(prev: IncidentState | null, result: { checkId: string; status: Status; at: string }, policy: Policy): Decision {
  const { status, at } = result;
  if (!prev) {
    if (status === 'pass') return { event: null, next: null, opened: false, statusChanged: false };
    const notify = atLeast(status, policy.minStatus);
    const next: IncidentState = {
      id: incidentId(result.checkId, at), checkId: result.checkId, state: 'open', status,
      notifiedStatus: notify ? status : null, openedAt: at, lastSeenAt: at, resolvedAt: null,
      lastNotifiedAt: notify ? at : null, lastEvent: notify ? 'opened' : null,
    };
    return { event: notify ? 'opened' : null, next, opened: true, statusChanged: true };
  }
  const statusChanged = prev.status !== status;
  const base: IncidentState = { ...prev, status: status === 'pass' ? prev.status : status, lastSeenAt: at };
  const told = prev.notifiedStatus !== null;
  const notified = (event: IncidentEvent, next: IncidentState): Decision =>
    ({ event, next: { ...next, lastNotifiedAt: at, lastEvent: event }, opened: false, statusChanged });

  if (status === 'pass') {
    const resolved: IncidentState = { ...base, state: 'resolved', resolvedAt: at };
    if (told && policy.sendResolved) return notified('resolved', resolved);
    return { event: null, next: resolved, opened: false, statusChanged: true };
  }
  if (!atLeast(status, policy.minStatus)) return { event: null, next: base, opened: false, statusChanged };
  if (!told) return notified('opened', { ...base, notifiedStatus: status });
  if (worse(status, prev.notifiedStatus as Status)) return notified('escalated', { ...base, notifiedStatus: status });
  const last = prev.lastNotifiedAt ? Date.parse(prev.lastNotifiedAt) : Number.NaN;
  if (!prev.acknowledgedAt && Number.isFinite(last) && Date.parse(at) - last >= policy.repeatIntervalSeconds * 1000) {
    return notified('reminder', { ...base, notifiedStatus: status });
  }
  return { event: null, next: base, opened: false, statusChanged };
}
