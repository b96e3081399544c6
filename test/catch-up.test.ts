// When `vigil serve` catches a dataset up at start-up: a fire time of its
// schedule fell after its last completed run (src/scheduler/catch-up.ts).

import { describe, expect, it } from 'vitest';
import { needsCatchUp, previousTick } from '../src/scheduler/catch-up.js';

const at = (iso: string) => new Date(iso);

describe('previousTick', () => {
  it.each([
    ['*/15 * * * *', '2026-06-01T12:07:30Z', '2026-06-01T12:00:00.000Z'],
    ['0 * * * *', '2026-06-01T12:00:00Z', '2026-06-01T12:00:00.000Z'],
    ['*/2 * * * * *', '2026-06-01T12:00:03.500Z', '2026-06-01T12:00:02.000Z'],
    ['0 9,17 * * *', '2026-06-02T08:00:00Z', '2026-06-01T17:00:00.000Z'],
    ['0 0 1 1 *', '2026-06-01T12:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['0 9 * * 1-5', '2026-06-07T10:00:00Z', '2026-06-05T09:00:00.000Z'], // Sunday → Friday
  ])('%s at %s → %s', (expr, now, want) => {
    expect(previousTick(expr, 'UTC', at(now))?.toISOString()).toBe(want);
  });

  it('reads the schedule in the configured timezone', () => {
    // 09:00 in New York is 13:00 UTC in June (EDT).
    expect(previousTick('0 9 * * *', 'America/New_York', at('2026-06-01T14:00:00Z'))?.toISOString()).toBe('2026-06-01T13:00:00.000Z');
  });

  it('is null for a schedule it cannot read', () => {
    expect(previousTick('not a schedule', 'UTC', at('2026-06-01T00:00:00Z'))).toBeNull();
  });
});

describe('needsCatchUp', () => {
  const now = at('2026-06-02T08:00:00Z');
  it.each([
    ['never ran', null, '0 9,17 * * *', true],
    ['ran after the last tick', '2026-06-01T17:00:05Z', '0 9,17 * * *', false],
    // The uneven schedule that an interval-based rule got wrong: 15 h since the last run, but no tick missed.
    ['an uneven schedule: last run yesterday 17:00, restarted at 08:00', '2026-06-01T17:00:02Z', '0 9,17 * * *', false],
    ['missed the 17:00 tick', '2026-06-01T09:00:02Z', '0 9,17 * * *', true],
    ['hourly, last run two hours ago: once, not twice', '2026-06-02T06:00:01Z', '0 * * * *', true],
    ['yearly, ran this New Year', '2026-01-01T00:00:03Z', '0 0 1 1 *', false],
    ['yearly, last ran years ago', '2021-01-01T00:00:03Z', '0 0 1 1 *', true],
  ])('%s', (_label, last, expr, want) => {
    const lastRun = last === null ? null : at(last);
    expect(needsCatchUp(lastRun, previousTick(expr, 'UTC', now))).toBe(want);
  });

  it('never catches up when the previous tick is unknown', () => {
    expect(needsCatchUp(null, null)).toBe(false);
    expect(needsCatchUp(at('2020-01-01T00:00:00Z'), null)).toBe(false);
  });
});
