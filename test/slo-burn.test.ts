// Multiwindow burn-rate alerts (src/slo/burn.ts): the pure decision as a table,
// against the SRE workbook's default rules (page: 14.4× over 1h and 5m, 6× over
// 6h and 30m; ticket: 1× over 3d and 6h).

import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RULES, decideBurn, longestWindow, type BurnRun } from '../src/slo/burn.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const MIN = 60_000;

/** One run per `everyMin` minutes over the last `spanMin` minutes; the runs in the last `failLastMin` minutes fail, and `failAt` (minutes ago) too. */
function runs(spanMin: number, everyMin: number, failLastMin: number, failAt: number[] = []): BurnRun[] {
  const out: BurnRun[] = [];
  for (let ago = spanMin - everyMin; ago >= 0; ago -= everyMin) {
    out.push({ at: NOW - ago * MIN, failing: ago < failLastMin || failAt.includes(ago) });
  }
  return out;
}

/** A run a minute for 3 days, every `n`th failing (the newest one among them). */
function leak(n: number): BurnRun[] {
  return Array.from({ length: 3 * 1440 }, (_, i) => ({ at: NOW - i * MIN, failing: i % n === 0 }));
}

describe('decideBurn at a 99% target (budget: 1% of runs failing)', () => {
  const table: Array<[string, BurnRun[], 'page' | 'ticket' | null, string | null]> = [
    // name,                                                        runs,                                   severity,  rule (long/short)
    ['no runs: nothing',                                            [],                                     null,      null],
    ['all passing: nothing',                                        runs(3 * 1440, 5, 0),                   null,      null],
    ['failing for the last 10m of a steady minute schedule: page (1h: 16.7×, 5m: 100×)', runs(3 * 1440, 1, 10), 'page', '3600/300'],
    ['failing 10m but stopped 6m ago: the 5m window resets the page (and 10 in 3d is no ticket)', runs(3 * 1440, 1, 0, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), null, null],
    ['30m of failures 40m ago: 1h at 50× but 5m clean: no page; 6h at 8.3× but 30m clean: none; 3d 0.7×: no ticket', runs(3 * 1440, 1, 0, Array.from({ length: 30 }, (_, i) => 40 + i)), null, null],
    ['a slow leak, one run in 50 failing for 3 days (2×): a ticket, no page', leak(50), 'ticket', '259200/21600'],
    ['one run in 150 failing (0.7×): nothing',                      leak(150),                               null,      null],
    ['one failure in 3 days: nothing (0.02× over 3d)',              runs(3 * 1440, 1, 0, [600]),            null,      null],
    ['failing the last 30m at 5-minute runs: page by 1h/5m (50×)',  runs(3 * 1440, 5, 30),                  'page',    '3600/300'],
    ['one failing run now out of 60 in the hour: 1.7×/20×: ticket only if 3d and 6h burn ≥ 1×', runs(3 * 1440, 1, 1), null, null],
  ];
  it.each(table)('%s', (_name, rs, severity, rule) => {
    const d = decideBurn(rs, 99, NOW);
    expect(d.severity).toBe(severity);
    expect(d.rule ? `${d.rule.long}/${d.rule.short}` : null).toBe(rule);
  });

  it('the 6h/30m page rule alone: 7% failing over 6h and over 30m, but under 14.4× in the last hour and 5 minutes', () => {
    // One failing run in every 14 over 6h (7.1%, 7.1×), also in the last 30m and 1h (so 1h is ~7×, short of 14.4).
    const rs: BurnRun[] = [];
    for (let i = 0; i < 6 * 60; i++) rs.push({ at: NOW - i * MIN, failing: i % 14 === 3 });
    const d = decideBurn(rs, 99, NOW);
    expect(d.severity).toBe('page');
    expect(d.rule).toEqual(DEFAULT_BURN_RULES[1]);
    expect(d.rules[0]?.fires).toBe(false);
  });

  it('rates are the failing share over the budget share, per window', () => {
    const d = decideBurn(runs(3 * 1440, 1, 10), 99, NOW);
    const page1h = d.rules[0]!;
    expect(page1h.long).toMatchObject({ seconds: 3600, runs: 60, failing: 10 });
    expect(page1h.long.rate).toBeCloseTo((10 / 60) / 0.01, 6);
    expect(page1h.short).toMatchObject({ runs: 5, failing: 5, rate: 100 });
  });
});

describe('decideBurn edges', () => {
  it('a 100% target has no budget: any failure in both windows burns without bound and pages; none is nothing', () => {
    expect(decideBurn(runs(120, 1, 2), 100, NOW).severity).toBe('page');
    expect(decideBurn(runs(120, 1, 2), 100, NOW).rules[0]?.long.rate).toBe(Infinity);
    expect(decideBurn(runs(120, 1, 0), 100, NOW).severity).toBeNull();
  });

  it('a low target needs more failures: at 90% even all runs failing is 10×, short of 14.4 — the 6× rule pages', () => {
    const d = decideBurn(runs(7 * 60, 1, 7 * 60), 90, NOW);
    expect(d.severity).toBe('page');
    expect(d.rule).toEqual(DEFAULT_BURN_RULES[1]);
  });

  it('runs after now (a replayed clock) and before the longest window are not counted', () => {
    const future: BurnRun[] = [{ at: NOW + MIN, failing: true }, { at: NOW - longestWindow() * 1000 - MIN, failing: true }, { at: NOW, failing: false }];
    const d = decideBurn(future, 99, NOW);
    expect(d.severity).toBeNull();
    expect(d.rules[2]?.long).toMatchObject({ runs: 1, failing: 0 });
  });
});
