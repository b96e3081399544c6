// SLO maths, table-tested: attainment, error budget, burn rate (SRE workbook:
// 1 = the budget exactly spent at the end of the window), windows rounded out
// to whole buckets, an empty window, a 100% target, a window longer than the history.

import { describe, expect, it } from 'vitest';
import { attainment, budgetRemaining, burnRate, computeSlo, inWindow, type SloBucket, burnWords, runsNeeded, shownBudget, sloData } from '../src/slo/slo.js';

const H = 3600_000;
const NOW = Date.parse('2026-03-02T00:30:00Z');
/** One bucket per hour back from the bucket holding NOW: [runs, failing], newest last. */
function hours(counts: Array<[number, number]>): SloBucket[] {
  const newest = NOW - (NOW % H);
  return counts.map(([runs, failing], i) => ({ at: newest - (counts.length - 1 - i) * H, runs, failing }));
}

describe('attainment, budget, burn rate', () => {
  it.each([
    // runs, failing, target, attainment, budget left %, burn rate
    [100, 0, 99, 100, 100, 0],
    [100, 1, 99, 99, 0, 1], // exactly the budget: burn rate 1, nothing left
    [100, 2, 99, 98, -100, 2],
    [200, 1, 99, 99.5, 50, 0.5],
    [1000, 5, 99.9, 99.5, -400, 5],
    [4, 1, 50, 75, 50, 0.5],
    [0, 0, 99, null, null, null], // empty window: no numbers, no NaN
    [10, 0, 100, 100, 100, 0], // 100%: no budget, none spent
    [10, 1, 100, 90, null, null], // 100%: any failure spends a zero budget (−∞): null, flagged by computeSlo
  ] as const)('%i runs, %i failing, target %d%% → attainment %s, budget %s%%, burn %s', (runs, failing, target, att, left, burn) => {
    const a = attainment(runs, failing);
    const b = budgetRemaining(runs, failing, target);
    const r = burnRate(runs, failing, target);
    if (att === null) expect(a).toBeNull(); else expect(a).toBeCloseTo(att, 9);
    if (left === null) expect(b).toBeNull(); else expect(b).toBeCloseTo(left, 9);
    if (burn === null) expect(r).toBeNull(); else expect(r).toBeCloseTo(burn, 9);
    for (const v of [a, b, r]) expect(Number.isNaN(v)).toBe(false);
  });
});

describe('windows of whole buckets', () => {
  it.each([
    // bucket start offset from NOW (hours), window (s), in?
    [0, 3600, true], // the current, partial hour
    [-1, 3600, true], // the previous hour: the window is rounded out (≤ one bucket longer)
    [-2, 3600, false],
    [-6, 6 * 3600, true],
    [-7, 6 * 3600, false],
    [1, 3600, false], // the future is not in any window
  ] as const)('bucket at now%+dh, window %is → %s', (offset, windowSeconds, expected) => {
    const bucket = NOW - (NOW % H) + offset * H;
    expect(inWindow(bucket, NOW, windowSeconds, 3600)).toBe(expected);
  });
});

describe('computeSlo', () => {
  const base = { now: NOW, bucketSeconds: 3600 };

  it('an empty window: nulls, no NaN, no burn-down, not exhausted', () => {
    const s = computeSlo({ ...base, target: 99, windowSeconds: 86400, buckets: [] });
    expect(s).toMatchObject({ runs: 0, failing: 0, attainment: null, budgetRemaining: null, budgetRuns: null, budgetRemainingSeconds: null, exhausted: false, zeroBudget: false });
    expect(s.burnRates).toEqual({ '1h': null, '6h': null, '24h': null, '3d': null });
    expect(s.burndown).toEqual([]);
  });

  it('history shorter than the window: computed over the runs there are; old buckets outside the window are ignored', () => {
    const buckets = [...hours([[1, 1], [1, 0], [1, 0], [1, 0]]), { at: NOW - 40 * 86400_000, runs: 50, failing: 50 }];
    const s = computeSlo({ ...base, target: 90, windowSeconds: 28 * 86400, buckets });
    expect(s.runs).toBe(4);
    expect(s.failing).toBe(1);
    expect(s.attainment).toBe(75);
    // budget: 10% of 4 runs = 0.4 runs; 1 failing → (0.4 − 1) / 0.4 = −150%
    expect(s.budgetRuns).toBeCloseTo(0.4, 9);
    expect(s.budgetRemaining).toBeCloseTo(-150, 9);
    expect(s.budgetRemainingSeconds).toBeCloseTo(-1.5 * 0.1 * 28 * 86400, 3);
    expect(s.exhausted).toBe(true);
  });

  it('burn rates per window; 1 means the budget is spent exactly at the end of the window', () => {
    // 72 hourly buckets of 4 runs; the last 6 hours have 1 failure each, the newest 2 hours 2 each.
    const counts: Array<[number, number]> = Array.from({ length: 72 }, (_, i) => [4, i >= 70 ? 2 : i >= 66 ? 1 : 0]);
    const s = computeSlo({ ...base, target: 99, windowSeconds: 3 * 86400, buckets: hours(counts) });
    // 1h → the newest 2 buckets: 4 of 8 failing = 0.5 / 0.01 = 50
    expect(s.burnRates['1h']).toBeCloseTo(50, 9);
    // 6h → 7 buckets: 2+2+1+1+1+1+0 = 8 of 28
    expect(s.burnRates['6h']).toBeCloseTo((8 / 28) / 0.01, 9);
    // 24h and 3d → everything there is (72 buckets, 8 failing of 288)
    expect(s.burnRates['24h']).toBeCloseTo((8 / 100) / 0.01, 9);
    expect(s.burnRates['3d']).toBeCloseTo((8 / 288) / 0.01, 9);
    // a steady burn rate of 1 over the whole window leaves exactly 0%
    const even = computeSlo({ ...base, target: 99, windowSeconds: 86400, buckets: hours(Array.from({ length: 25 }, () => [100, 1] as [number, number])) });
    expect(even.burnRates['24h']).toBeCloseTo(1, 9);
    expect(even.budgetRemaining).toBeCloseTo(0, 9);
    expect(even.exhausted).toBe(true);
  });

  it('the burn-down falls as failures accumulate and ends at the budget left', () => {
    const s = computeSlo({ ...base, target: 75, windowSeconds: 86400, buckets: hours([[4, 0], [4, 1], [4, 0], [4, 1]]) });
    // budget = 25% of 16 runs = 4 runs
    expect(s.burndown.map((p) => p.budgetRemaining)).toEqual([100, 75, 75, 50]);
    expect(s.budgetRemaining).toBe(50);
    expect(s.burndown.map((p) => p.at)).toEqual(hours([[0, 0], [0, 0], [0, 0], [0, 0]]).map((b) => b.at));
  });

  it('a 100% target: zero budget; met while nothing fails, exhausted (not −∞, not NaN) on the first failure', () => {
    const clean = computeSlo({ ...base, target: 100, windowSeconds: 86400, buckets: hours([[5, 0], [5, 0]]) });
    expect(clean).toMatchObject({ zeroBudget: true, exhausted: false, budgetRemaining: 100, budgetRuns: 0, budgetRemainingSeconds: 0 });
    expect(clean.burnRates['1h']).toBe(0);
    const failed = computeSlo({ ...base, target: 100, windowSeconds: 86400, buckets: hours([[5, 0], [5, 1]]) });
    expect(failed).toMatchObject({ zeroBudget: true, exhausted: true, budgetRemaining: null, attainment: 90 });
    expect(failed.burnRates['1h']).toBeNull();
    expect(failed.burndown.map((p) => p.budgetRemaining)).toEqual([100, 0]);
  });
});

describe('few runs: not enough data, what is shown, the burn in words', () => {
  it('runs needed before a budget allows one failing run', () => {
    expect([99, 99.5, 99.9, 90, 95.5, 100].map(runsNeeded)).toEqual([100, 200, 1000, 10, 23, null]);
    expect(sloData(0, 99)).toBe('no_runs');
    expect(sloData(99, 99)).toBe('too_few_runs');
    expect(sloData(100, 99)).toBe('enough');
    expect(sloData(1, 100)).toBe('enough');
  });

  it('budget left is shown between −100 % and 100 %', () => {
    expect([-9900, -100, -42.5, 0, 73, null].map(shownBudget)).toEqual([-100, -100, -42.5, 0, 73, null]);
  });

  it('burn rates in words', () => {
    const d = (s: number) => `${Math.round(s)}s`;
    expect(burnWords('1h', { runs: 0, failing: 0 }, 99, 86400, d)).toBe('no run in the last hour');
    expect(burnWords('24h', { runs: 1, failing: 0 }, 99, 86400, d)).toBe('0 of 1 run failed in the last 24 hours: no budget spent');
    expect(burnWords('6h', { runs: 100, failing: 1 }, 99, 86400, d)).toBe('1 of 100 runs failed in the last 6 hours: the budget burns exactly as fast as the 99% target allows');
    expect(burnWords('3d', { runs: 200, failing: 1 }, 99, 86400, d)).toBe('1 of 200 runs failed in the last 3 days: the budget burns 0.5× as fast as the 99% target allows');
    expect(burnWords('1h', { runs: 10, failing: 2 }, 99, 1000, d)).toBe('2 of 10 runs failed in the last hour: the budget burns 20× as fast as the 99% target allows — at that pace a whole 1000s budget is spent in 50s');
    expect(burnWords('1h', { runs: 4, failing: 1 }, 100, 86400, d)).toBe('1 of 4 runs failed in the last hour; a 100% target allows none');
  });
});
