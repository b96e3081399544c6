// The pure incident decision: which event a new result causes, given the
// check's open incident, as a table (see the table in src/alerts/incidents.ts).

import { describe, expect, it } from 'vitest';
import type { Status } from '../src/checks/kind.js';
import { decideIncident, type IncidentEvent, type IncidentState } from '../src/alerts/incidents.js';
import type { Policy } from '../src/alerts/schema.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const policy = (p: Partial<Policy> = {}): Policy => ({ minStatus: 'warn', repeatIntervalSeconds: 4 * 3600, sendResolved: true, groupWindowSeconds: 3600, ...p });

function open(status: Status, notified: Status | null, lastNotifiedMin: number | null = 0): IncidentState {
  return {
    id: 'inc-1', checkId: 'orders.row_count', state: 'open', status, notifiedStatus: notified,
    openedAt: at(0), lastSeenAt: at(0), resolvedAt: null,
    lastNotifiedAt: lastNotifiedMin === null ? null : at(lastNotifiedMin), lastEvent: notified ? 'opened' : null,
  };
}

/** Someone took it (vigil ack, the page, the API) five minutes after it opened. */
function acked(status: Status, notified: Status | null): IncidentState {
  return { ...open(status, notified), acknowledgedAt: at(5) };
}

describe('decideIncident', () => {
  const table: Array<[string, IncidentState | null, Status, number, Partial<Policy>, IncidentEvent | null, 'open' | 'resolved' | null]> = [
    // name,                               prev,                  new,    at(min), policy,                     event,        state after
    ['pass, no incident',                  null,                  'pass', 10, {},                            null,         null],
    ['warn opens',                         null,                  'warn', 10, {},                            'opened',     'open'],
    ['fail opens',                         null,                  'fail', 10, {},                            'opened',     'open'],
    ['error opens',                        null,                  'error', 10, {},                           'opened',     'open'],
    ['warn under min_status fail: quiet',  null,                  'warn', 10, { minStatus: 'fail' },         null,         'open'],
    ['same state next run: nothing',       open('fail', 'fail'),  'fail', 10, {},                            null,         'open'],
    ['warn → fail escalates',              open('warn', 'warn'),  'fail', 10, {},                            'escalated',  'open'],
    ['fail → error escalates',             open('fail', 'fail'),  'error', 10, {},                           'escalated',  'open'],
    ['warn → error escalates',             open('warn', 'warn'),  'error', 10, {},                           'escalated',  'open'],
    ['fail → warn is quiet',               open('fail', 'fail'),  'warn', 10, {},                            null,         'open'],
    ['reminder after repeat_interval',     open('fail', 'fail'),  'fail', 240, {},                           'reminder',   'open'],
    ['no reminder just before it',         open('fail', 'fail'),  'fail', 239, {},                           null,         'open'],
    ['no reminder with a clock in the past', open('fail', 'fail', 60), 'fail', 10, { repeatIntervalSeconds: 60 }, null,   'open'],
    ['back to pass resolves',              open('fail', 'fail'),  'pass', 10, {},                            'resolved',   'resolved'],
    ['send_resolved false: quiet resolve', open('fail', 'fail'),  'pass', 10, { sendResolved: false },       null,         'resolved'],
    ['never told: quiet resolve',          open('warn', null, null), 'pass', 10, { minStatus: 'fail' },     null,         'resolved'],
    ['min_status fail: warn → fail opens', open('warn', null, null), 'fail', 10, { minStatus: 'fail' },     'opened',     'open'],
    ['min_status fail: still warn, quiet', open('warn', null, null), 'warn', 500, { minStatus: 'fail' },    null,         'open'],
    ['fail → warn under min fail: no reminder', open('warn', 'fail'), 'warn', 500, { minStatus: 'fail' },   null,         'open'],
    ['acknowledged: no reminder',          acked('fail', 'fail'), 'fail', 240, {},                           null,         'open'],
    ['acknowledged: long after, still none', acked('fail', 'fail'), 'fail', 5000, {},                        null,         'open'],
    ['acknowledged: still escalates',      acked('warn', 'warn'), 'fail', 240, {},                           'escalated',  'open'],
    ['acknowledged: still resolves',       acked('fail', 'fail'), 'pass', 240, {},                           'resolved',   'resolved'],
  ];

  it.each(table)('%s', (_name, prev, status, minutes, p, event, state) => {
    const d = decideIncident(prev, { checkId: 'orders.row_count', status, at: at(minutes) }, policy(p));
    expect(d.event).toBe(event);
    expect(d.next?.state ?? null).toBe(state);
    if (event) {
      expect(d.next?.lastNotifiedAt).toBe(at(minutes));
      expect(d.next?.lastEvent).toBe(event);
    } else if (prev && d.next) {
      expect(d.next.lastNotifiedAt).toBe(prev.lastNotifiedAt);
    }
  });

  it('walks open → escalate → remind → resolve, and a new failure opens a new incident', () => {
    const p = policy({ repeatIntervalSeconds: 3600 });
    const steps: Array<[Status, number]> = [['warn', 0], ['warn', 15], ['fail', 30], ['fail', 60], ['fail', 90], ['fail', 150], ['pass', 160], ['pass', 170], ['fail', 180]];
    let prev: IncidentState | null = null;
    const events: Array<IncidentEvent | null> = [];
    const ids = new Set<string>();
    for (const [status, m] of steps) {
      const d = decideIncident(prev, { checkId: 'c', status, at: at(m) }, p);
      events.push(d.event);
      if (d.next) ids.add(d.next.id);
      prev = d.next?.state === 'open' ? d.next : null;
    }
    // reminder at 150: an hour after the escalation at 30 was at 90 → reminder at 90, then 150.
    expect(events).toEqual(['opened', null, 'escalated', null, 'reminder', 'reminder', 'resolved', null, 'opened']);
    expect(ids.size).toBe(2);
  });

  it('keeps first seen and moves last seen', () => {
    const d = decideIncident(open('fail', 'fail'), { checkId: 'orders.row_count', status: 'fail', at: at(30) }, policy());
    expect(d.next).toMatchObject({ openedAt: at(0), lastSeenAt: at(30), resolvedAt: null });
    const r = decideIncident(open('fail', 'fail'), { checkId: 'orders.row_count', status: 'pass', at: at(45) }, policy());
    expect(r.next).toMatchObject({ state: 'resolved', resolvedAt: at(45), status: 'fail' });
  });
});
