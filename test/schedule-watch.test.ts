// When "nobody is scheduling": two ticks of some dataset, each older than the
// lease, after the last tick anybody took — on even and uneven schedules.

import { describe, expect, it } from 'vitest';
import { stalledMessage, watchSchedule } from '../src/scheduler/watch.js';

const MIN = 60_000;
const t = (iso: string) => new Date(iso);
const watch = (now: string, lastTicks: Record<string, string>, datasets: Array<[string, string]>, leaseMs = MIN) => watchSchedule({
  datasets: datasets.map(([name, schedule]) => ({ name, schedule })), timezone: 'UTC', now: t(now), leaseMs,
  lastTicks: new Map(Object.entries(lastTicks).map(([k, v]) => [k, t(v)])),
});

describe('watchSchedule', () => {
  it('a store no scheduler ever used says nothing (vigil run from cron is a way to work)', () => {
    expect(watch('2026-01-01T12:00:00Z', {}, [['orders', '*/15 * * * *']])).toEqual({ stalled: false, last_tick_at: null, quiet_seconds: null, overdue: [] });
  });

  const hourly: Array<[string, string]> = [['orders', '0 * * * *'], ['yearly', '0 0 1 1 *']];
  it.each([
    // last tick 10:00; ticks 11:00 and 12:00 missed; the lease (1m) must have passed after 12:00 too
    ['one missed tick is not a stall (a replica may be rerunning it)', '2026-01-01T11:30:00Z', false],
    ['two missed ticks, the second inside the lease: not yet', '2026-01-01T12:00:30Z', false],
    ['two missed ticks beyond the lease: nobody is scheduling', '2026-01-01T12:01:01Z', true],
  ])('%s', (_what, now, stalled) => {
    const w = watch(now, { orders: '2026-01-01T10:00:00Z', yearly: '2026-01-01T00:00:00Z' }, hourly);
    expect(w.stalled).toBe(stalled);
    expect(w.last_tick_at).toBe('2026-01-01T10:00:00.000Z');
    expect(w.overdue.map((o) => o.dataset)).toEqual(stalled ? ['orders'] : []);
  });

  it('overdue says since which tick and for how long; a dataset never scheduled is measured from the last tick of any', () => {
    const w = watch('2026-01-01T13:10:00Z', { orders: '2026-01-01T10:00:00Z' }, [['orders', '0 * * * *'], ['fresh', '30 * * * *']]);
    expect(w.stalled).toBe(true);
    expect(w.quiet_seconds).toBe(3 * 3600 + 600);
    expect(w.overdue).toEqual([
      { dataset: 'orders', due_since: '2026-01-01T11:00:00.000Z', overdue_seconds: 2 * 3600 + 600 },
      { dataset: 'fresh', due_since: '2026-01-01T10:30:00.000Z', overdue_seconds: 2 * 3600 + 2400 },
    ].sort((a, b) => b.overdue_seconds - a.overdue_seconds));
    expect(stalledMessage(w)).toMatch(/^NOBODY IS SCHEDULING: no replica has taken a tick for 3h 10m \(the last at 2026-01-01T10:00:00.000Z\); overdue: fresh \(due 2h 40m ago\), orders \(due 2h 10m ago\) — is any vigil serve running/);
  });

  it('uneven schedules: a weekday-only dataset is not overdue over the weekend', () => {
    const weekdays: Array<[string, string]> = [['daily', '0 9 * * 1-5']];
    // Friday 2026-01-02 09:00 was the last tick; Saturday and Sunday have none.
    expect(watch('2026-01-04T23:00:00Z', { daily: '2026-01-02T09:00:00Z' }, weekdays).stalled).toBe(false);
    // Monday 09:00 missed: one tick. Tuesday 09:00 missed too: two.
    expect(watch('2026-01-05T12:00:00Z', { daily: '2026-01-02T09:00:00Z' }, weekdays).stalled).toBe(false);
    expect(watch('2026-01-06T09:02:00Z', { daily: '2026-01-02T09:00:00Z' }, weekdays).stalled).toBe(true);
  });

  it('one dataset still ticking means somebody schedules; another dataset with two missed ticks is listed as overdue', () => {
    const w = watch('2026-01-01T12:30:00Z', { a: '2026-01-01T12:30:00Z', b: '2026-01-01T09:00:00Z' }, [['a', '*/5 * * * *'], ['b', '0 * * * *']]);
    expect(w.stalled).toBe(false);
    expect(w.overdue.map((o) => [o.dataset, o.due_since])).toEqual([['b', '2026-01-01T10:00:00.000Z']]);
  });

  it('a schedule that cannot be read is never overdue (validate reports it)', () => {
    expect(watch('2026-02-01T00:00:00Z', { a: '2026-01-01T00:00:00Z' }, [['a', 'not a cron']]).stalled).toBe(false);
  });
});
