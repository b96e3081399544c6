// SLO maths over a check's results history, following the SRE workbook: an
// objective's error budget is (1 − target) of the runs in its rolling window;
// burn rate 1 spends exactly the budget by the end of the window. Pure.

/** Runs and failing runs (fail or error) in one time bucket starting at `at` (ms since the epoch). */
export interface SloBucket {
  at: number;
  runs: number;
  failing: number;
}

export interface SloInput {
  /** percent, 0 < target ≤ 100 */
  target: number;
  windowSeconds: number;
  /** the clock */
  now: number;
  /** width of a bucket in seconds (3600 for the hourly rollups) */
  bucketSeconds: number;
  buckets: readonly SloBucket[];
}

export const BURN_WINDOWS = { '1h': 3600, '6h': 6 * 3600, '24h': 24 * 3600, '3d': 3 * 86400 } as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

export interface SloResult {
  runs: number;
  failing: number;
  /** percent of runs that were not failing; null with no runs */
  attainment: number | null;
  /** failing runs the budget allows over the window at the current run rate */
  budgetRuns: number | null;
  /** percent of the budget left, below 0 when overspent; null with no runs, or when a zero budget (target 100%) was spent */
  budgetRemaining: number | null;
  /** the budget left as time: remaining share × (1 − target) × window; null with no runs */
  budgetRemainingSeconds: number | null;
  /** target 100%: there is no budget; any failing run exhausts it */
  zeroBudget: boolean;
  /** the budget is used up (remaining ≤ 0) */
  exhausted: boolean;
  /** failing share of the window ÷ (1 − target); null with no runs in that window, or a zero budget with failures */
  burnRates: Record<BurnWindow, number | null>;
  /** runs and failing runs of each burn-rate window */
  burnCounts: Record<BurnWindow, { runs: number; failing: number }>;
  /** budget left (percent) after each bucket of the window, oldest first */
  burndown: Array<{ at: number; budgetRemaining: number }>;
}

/**
 * Whether a bucket belongs to a window ending at `now`: its start is after now − window − one bucket.
 * Windows are rounded out to whole buckets, so they are at most one bucket longer than asked
 * (a bucket's counts are exact; only its edges are coarse).
 */
export function inWindow(bucketAt: number, now: number, windowSeconds: number, bucketSeconds: number): boolean {
  return bucketAt > windowStart(now, windowSeconds, bucketSeconds) && bucketAt <= now;
}

/** Where (ms) the window ending at `now` starts, exclusive: the buckets inWindow counts start after it. */
export function windowStart(now: number, windowSeconds: number, bucketSeconds: number): number {
  return now - (windowSeconds + bucketSeconds) * 1000;
}

function sum(buckets: readonly SloBucket[]): { runs: number; failing: number } {
  let runs = 0;
  let failing = 0;
  for (const b of buckets) { runs += b.runs; failing += b.failing; }
  return { runs, failing };
}

/** Percent of runs that were not failing; null when there were none. */
export function attainment(runs: number, failing: number): number | null {
  return runs > 0 ? ((runs - failing) / runs) * 100 : null;
}

/** Burn rate: failing share ÷ budget share. null with no runs; 0 with a zero budget and no failure; null (infinite) with a zero budget and a failure. */
export function burnRate(runs: number, failing: number, target: number): number | null {
  if (runs <= 0) return null;
  const budget = (100 - target) / 100;
  if (budget <= 0) return failing === 0 ? 0 : null;
  return failing / runs / budget;
}

/** Percent of the budget left. null with no runs, or when a zero budget was spent (−∞). */
export function budgetRemaining(runs: number, failing: number, target: number): number | null {
  if (runs <= 0) return null;
  const allowed = ((100 - target) / 100) * runs;
  if (allowed <= 0) return failing === 0 ? 100 : null;
  return ((allowed - failing) / allowed) * 100;
}

export function computeSlo(input: SloInput): SloResult {
  const { target, windowSeconds, now, bucketSeconds } = input;
  const window = input.buckets.filter((b) => inWindow(b.at, now, windowSeconds, bucketSeconds)).sort((a, b) => a.at - b.at);
  const { runs, failing } = sum(window);
  const budgetShare = Math.max(0, (100 - target) / 100);
  const zeroBudget = budgetShare === 0;
  const remaining = budgetRemaining(runs, failing, target);
  const budgetRuns = runs > 0 ? budgetShare * runs : null;
  const burnCounts = Object.fromEntries(Object.entries(BURN_WINDOWS).map(([name, secs]) =>
    [name, sum(window.filter((b) => inWindow(b.at, now, secs, bucketSeconds)))])) as Record<BurnWindow, { runs: number; failing: number }>;
  const burnRates = Object.fromEntries(Object.entries(burnCounts).map(([name, w]) => [name, burnRate(w.runs, w.failing, target)])) as Record<BurnWindow, number | null>;
  const burndown: SloResult['burndown'] = [];
  if (runs > 0) {
    let spent = 0;
    for (const b of window) {
      spent += b.failing;
      // Against the whole window's budget: the chart falls as failures accumulate and ends at budgetRemaining.
      const left = budgetRuns && budgetRuns > 0 ? ((budgetRuns - spent) / budgetRuns) * 100 : spent === 0 ? 100 : 0;
      burndown.push({ at: b.at, budgetRemaining: left });
    }
  }
  return {
    runs,
    failing,
    attainment: attainment(runs, failing),
    budgetRuns,
    budgetRemaining: remaining,
    budgetRemainingSeconds: runs > 0 ? (zeroBudget ? 0 : ((remaining ?? 0) / 100) * budgetShare * windowSeconds) : null,
    zeroBudget,
    // A tolerance for float noise: a budget spent exactly is exhausted.
    exhausted: runs > 0 && (remaining === null || remaining <= 1e-9),
    burnRates,
    burnCounts,
    burndown,
  };
}

/**
 * Runs a window must hold before its budget allows one failing run: ⌈1 / (1 − target)⌉
 * (100 at 99%, 200 at 99.5%). With fewer, one failure reads as "−9900% of the budget
 * left": true arithmetic, no information. null for a 100% target (no budget at all).
 */
export function runsNeeded(target: number): number | null {
  const share = (100 - target) / 100;
  return share > 0 ? Math.ceil(1 / share - 1e-9) : null;
}

/** `no_runs`: nothing in the window; `too_few_runs`: fewer than runsNeeded; else `enough`. */
export type SloData = 'no_runs' | 'too_few_runs' | 'enough';

export function sloData(runs: number, target: number): SloData {
  if (runs <= 0) return 'no_runs';
  const need = runsNeeded(target);
  return need !== null && runs < need ? 'too_few_runs' : 'enough';
}

/** Budget left as shown: between −100% (overspent by a whole budget or more) and 100%. */
export function shownBudget(remaining: number | null): number | null {
  return remaining === null ? null : Math.min(100, Math.max(-100, remaining));
}

const WINDOW_WORDS: Record<BurnWindow, string> = { '1h': 'the last hour', '6h': 'the last 6 hours', '24h': 'the last 24 hours', '3d': 'the last 3 days' };

/**
 * A burn rate in words: what failed in the window, how that compares with what the target
 * allows, and how long a whole window's budget would last at that pace.
 * `duration` writes seconds for people (the caller's formatter).
 */
export function burnWords(
  window: BurnWindow, counts: { runs: number; failing: number }, target: number, windowSeconds: number, duration: (s: number) => string,
): string {
  const where = WINDOW_WORDS[window];
  if (counts.runs === 0) return `no run in ${where}`;
  const failed = `${counts.failing} of ${counts.runs} run${counts.runs === 1 ? '' : 's'} failed in ${where}`;
  const rate = burnRate(counts.runs, counts.failing, target);
  if (counts.failing === 0) return `${failed}: no budget spent`;
  if (rate === null) return `${failed}; a ${target}% target allows none`;
  const pace = Math.abs(rate - 1) < 0.005 ? 'exactly as fast as' : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)}× as fast as`;
  const lasts = rate > 1 ? ` — at that pace a whole ${duration(windowSeconds)} budget is spent in ${duration(windowSeconds / rate)}` : '';
  return `${failed}: the budget burns ${pace} the ${target}% target allows${lasts}`;
}
