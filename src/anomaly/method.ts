// The anomaly method: from a check's earlier points, the expected value of the
// judged one and the band around it; pure, deterministic, no I/O. docs/anomaly.md explains it.

import { biweightSigma, median, studentEquivalent, theilSenSlopeSplit } from './robust.js';
import { seasonKey, type Seasonality } from './season.js';

export interface AnomalyPoint {
  /** ms since the epoch: the bucket's start, or the run's time */
  at: number;
  value: number;
}

/** What values can be: counts (rows, duplicates, seconds) are ≥ 0, percentages (nulls) in [0, 100]. */
export type AnomalyDomain = 'count' | 'percent' | 'real';

export interface AnomalyOptions {
  /** default 3; higher = fewer alerts */
  sensitivity: number;
  direction: 'both' | 'up' | 'down';
  /** a change smaller than this against the expected value is never anomalous */
  minChange?: { amount: number; percent: boolean };
  seasonality: Seasonality;
  /** IANA; the weekday / hour of `at` are taken in it */
  timezone: string;
  /** default 7; counted after season matching */
  minPoints: number;
  /**
   * Where the band is clamped: `count` ≥ 0, `percent` [0, 100], `real` not at all (but ≥ 0
   * when every training value is). Default `real`. row_count, duplicates and freshness are
   * `count`, nulls `percent`.
   */
  domain?: AnomalyDomain;
}

export type AnomalyJudgement =
  | { learning: true; points: number; needed: number }
  | {
      learning: false;
      expected: number;
      lower: number;
      upper: number;
      points: number;
      /** signed distance of the value from `expected` scaled so that the band's edges are at ±sensitivity (before clamping to the domain) */
      score: number;
      method: string;
      anomalous: boolean;
      direction?: 'up' | 'down';
    };

export const METHOD = 'robust-trend-v1';

const DAY = 86_400_000;

/**
 * The floor on σ, as a fraction of the level: a series that never moves would otherwise
 * get a band of zero width and alert on every wobble. 2% → a band of at least ±6% at
 * sensitivity 3.
 */
const RELATIVE_FLOOR = 0.02;
/**
 * Where the band's edge is, in σ, per unit of sensitivity: the default sensitivity 3 puts it
 * at 3.5σ, Iglewicz and Hoaglin's cut-off for robust z-scores. At 3σ, normal noise alone
 * crosses the band on 0.27% of points (an hourly check: a false alarm every 2–3 weeks at best);
 * at 3.5σ on 0.047%.
 */
const EDGE_PER_SENSITIVITY = 3.5 / 3;
/** The floor on σ in the value's own unit: 1 row for counts, 0.25 points for a percentage. */
const ABSOLUTE_FLOOR: Record<AnomalyDomain, number> = { count: 1, percent: 0.25, real: 0 };

/**
 * Judges `judged` against `training`: the points strictly before it (any at or after
 * `judged.at` are ignored, so the judged point is never part of its own training set).
 */
export function judge(training: readonly AnomalyPoint[], judged: AnomalyPoint, opts: AnomalyOptions): AnomalyJudgement {
  const domain = opts.domain ?? 'real';
  const key = seasonKey(judged.at, opts.seasonality, opts.timezone);
  const matched = training
    .filter((p) => p.at < judged.at && Number.isFinite(p.at) && Number.isFinite(p.value))
    .filter((p) => seasonKey(p.at, opts.seasonality, opts.timezone) === key)
    .sort((a, b) => a.at - b.at);
  const needed = Math.max(1, Math.ceil(opts.minPoints));
  if (matched.length < needed) return { learning: true, points: matched.length, needed };

  const values = matched.map((p) => p.value);
  const nonNegative = domain !== 'real' || values.every((v) => v >= 0);
  const level = median(values);
  // Counts grow and shrink by factors (a business growing 2% a day), so they are modelled in
  // log space, where that growth is a straight line and the noise is a share of the level.
  const log = domain !== 'percent' && nonNegative && level > 0;
  const offset = domain === 'count' ? 1 : level * 0.01;
  const fwd = log ? (v: number) => Math.log(Math.max(v, 0) + offset) : (v: number) => v;
  const inv = log ? (y: number) => Math.exp(y) - offset : (y: number) => y;

  // Time in days before the judged point: the fitted line's value at t = 0 is the expected value.
  const t = matched.map((p) => (p.at - judged.at) / DAY);
  const y = values.map(fwd);
  const n = matched.length;
  const floorAbs = ABSOLUTE_FLOOR[domain];
  // Counted things vary at least as a Poisson count does: σ ≥ √E rows, 1/√E in log space.
  const floorAt = (yHat: number) => {
    if (!log) return Math.max(RELATIVE_FLOOR * Math.max(Math.abs(yHat), Math.abs(level)), floorAbs, 1e-9);
    const e = Math.max(inv(yHat), 0) + offset;
    return Math.max(RELATIVE_FLOOR, floorAbs / e, domain === 'count' ? 1 / Math.sqrt(e) : 0);
  };
  const fit = fitLine(t, y, floorAt);
  const { intercept } = fit;
  const sigma = fit.sigma;
  // Prediction interval of a fitted line: wider the further the judged point is from the
  // training points' centre in time, and the fewer of them there are; and σ learnt from few
  // points is itself uncertain, so the multiple of it is the Student's t that is as rare as
  // the band's edge in normal σ (3.5 at sensitivity 3: 3.9 with 28 points, 5.9 with 8), at most twice that.
  const tMean = t.reduce((a, b) => a + b, 0) / n;
  const sxx = t.reduce((a, ti) => a + (ti - tMean) ** 2, 0);
  const spread = Math.sqrt(1 + 1 / n + (n >= 3 && sxx > 0 ? tMean ** 2 / sxx : 0));
  const s = opts.sensitivity;
  const dof = Math.max(1, n - 2);
  const multiple = Math.min(2 * s * EDGE_PER_SENSITIVITY, studentEquivalent(s * EDGE_PER_SENSITIVITY, dof));
  const half = multiple * sigma * spread;
  const expectedValue = inv(intercept);

  const [lo, hi] = clampRange(domain, nonNegative, inv(intercept - half), inv(intercept + half));
  const expected = clamp(domain, nonNegative, expectedValue);
  // in units where the band's edge is at ±sensitivity
  const score = ((fwd(judged.value) - intercept) / half) * s;

  const above = judged.value > hi;
  const below = judged.value < lo;
  const inDirection = (above && opts.direction !== 'down') || (below && opts.direction !== 'up');
  const bigEnough = changeIsBigEnough(judged.value, expected, opts.minChange);
  const anomalous = inDirection && bigEnough;
  return {
    learning: false,
    expected,
    lower: lo,
    upper: hi,
    points: n,
    score: Number.isFinite(score) ? score : 0,
    method: METHOD,
    anomalous,
    ...(anomalous ? { direction: above ? ('up' as const) : ('down' as const) } : {}),
  };
}

function changeIsBigEnough(value: number, expected: number, minChange: AnomalyOptions['minChange']): boolean {
  if (!minChange) return true;
  const change = Math.abs(value - expected);
  const limit = minChange.percent ? (Math.abs(expected) * minChange.amount) / 100 : minChange.amount;
  return change >= limit;
}

function clamp(domain: AnomalyDomain, nonNegative: boolean, v: number): number {
  if (domain === 'percent') return Math.min(100, Math.max(0, v));
  if (nonNegative) return Math.max(0, v);
  return v;
}

function clampRange(domain: AnomalyDomain, nonNegative: boolean, lo: number, hi: number): [number, number] {
  return [clamp(domain, nonNegative, lo), clamp(domain, nonNegative, hi)];
}

/**
 * Points held beyond the old band for this many in a row at the end of training are a
 * level shift, not an incident: the line is refitted with a step there, so the new level
 * becomes normal. Fewer (an outage of up to 3 points) stay an incident and are ignored.
 */
export const SHIFT_POINTS = 4;
/** "Beyond the old band" for a shift, in σ: fixed, so the same series has the same normal at any sensitivity. */
const SHIFT_SIGMAS = 3;

interface Fit {
  /** the fitted value at t = 0, the judged point */
  intercept: number;
  slope: number;
  sigma: number;
  /** index of the first point after a level shift, when one was found */
  shiftAt?: number;
}

/**
 * A robust line through (t, y): the Theil–Sen slope, the median intercept, σ of the
 * residuals (biweight, floored). If the last points sit beyond the band of the line through
 * the points before them, a line with a step is tried at each such split and the best one kept.
 */
function fitLine(t: readonly number[], y: readonly number[], floorAt: (yHat: number) => number): Fit {
  const n = t.length;
  const plain = lineWithStep(t, y, n, floorAt);
  if (n < 2 * SHIFT_POINTS + 2) return plain;
  let best: (Fit & { cost: number }) | undefined;
  // Candidate splits: every one leaving ≥ SHIFT_POINTS + 2 points before and ≥ SHIFT_POINTS
  // after; on long series at most ~40 of them, evenly spaced (a shift found a little late is
  // still found).
  const first = SHIFT_POINTS + 2;
  const last = n - SHIFT_POINTS;
  const stride = Math.max(1, Math.ceil((last - first + 1) / 40));
  for (let c = last; c >= first; c -= stride) {
    const f = lineWithStep(t, y, c, floorAt);
    const step = f.step;
    const band = SHIFT_SIGMAS * f.sigma;
    if (Math.abs(step) <= band) continue;
    // every one of the last SHIFT_POINTS, and 80% of all points since the split, beyond the old band
    const sign = Math.sign(step);
    let beyond = 0;
    let tailBeyond = true;
    for (let i = c; i < n; i++) {
      const out = sign * (y[i]! - f.base - f.slope * t[i]!) > band;
      if (out) beyond++;
      else if (i >= n - SHIFT_POINTS) tailBeyond = false;
    }
    if (!tailBeyond || beyond < 0.8 * (n - c)) continue;
    if (!best || f.cost < best.cost) best = { intercept: f.intercept, slope: f.slope, sigma: f.sigma, shiftAt: c, cost: f.cost };
  }
  if (!best) return plain;
  const { cost: _cost, ...fit } = best;
  return fit;
}

/** The line with a step at index `split` (none when split = n): slope from pairs within each side. */
function lineWithStep(
  t: readonly number[],
  y: readonly number[],
  split: number,
  floorAt: (yHat: number) => number,
): Fit & { base: number; step: number; cost: number } {
  const n = t.length;
  const slope = n >= 3 ? theilSenSlopeSplit(t, y, split === n ? 0 : split) : 0;
  const detrended = y.map((yi, i) => yi - slope * t[i]!);
  const base = median(detrended.slice(0, split));
  const step = split < n ? median(detrended.slice(split)) - base : 0;
  const residuals = detrended.map((d, i) => d - base - (i >= split ? step : 0));
  const intercept = base + step;
  const sigma = Math.max(biweightSigma(residuals), floorAt(intercept));
  const cost = residuals.reduce((a, r) => a + Math.abs(r), 0);
  return { intercept, slope, sigma, base, step, cost };
}
