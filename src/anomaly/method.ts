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
 * The noise of a count that is counting noise (Poisson, √E) and a share of the level
 * (φ·E) at once is stabilised by asinh(φ√v): like log v for large counts (a growth of 2% a
 * day is a straight line, noise a share of the level), like √v for small ones (where 4
 * rows against 10 is counting noise but 40 against 10 is not, which log v does not see).
 * φ = 5%: the two are equal at 400 a bucket.
 */
const COUNT_PHI = 0.05;

interface Scale {
  fwd: (v: number) => number;
  inv: (y: number) => number;
  /** the floor on σ in model space around a fitted value yHat */
  floorAt: (yHat: number) => number;
}

/**
 * How values are modelled: counts by asinh(φ√v); other non-negative values by log, so growth
 * is a line and noise a share of the level; percentages, and values that can be negative, as
 * they are. A floor on σ keeps a series that never moves from alerting on every wobble: 2% of
 * the level, 1 row (0.25 points of a percentage), and for counts √E.
 */
function scaleFor(domain: AnomalyDomain, nonNegative: boolean, level: number): Scale {
  const floorAbs = ABSOLUTE_FLOOR[domain];
  if (domain === 'count' && level > 0) {
    const fwd = (v: number) => Math.asinh(COUNT_PHI * Math.sqrt(Math.max(v, 0)));
    const inv = (y: number) => (y <= 0 ? 0 : (Math.sinh(y) / COUNT_PHI) ** 2);
    return {
      fwd,
      inv,
      floorAt: (yHat) => {
        const e = inv(yHat);
        return fwd(e + Math.max(RELATIVE_FLOOR * e, floorAbs, Math.sqrt(e))) - yHat;
      },
    };
  }
  if (domain !== 'percent' && nonNegative && level > 0) {
    const offset = level * 0.01;
    const inv = (y: number) => Math.exp(y) - offset;
    return {
      fwd: (v) => Math.log(Math.max(v, 0) + offset),
      inv,
      floorAt: (yHat) => Math.max(RELATIVE_FLOOR, floorAbs / (Math.max(inv(yHat), 0) + offset)),
    };
  }
  return {
    fwd: (v) => v,
    inv: (y) => y,
    floorAt: (yHat) => Math.max(RELATIVE_FLOOR * Math.max(Math.abs(yHat), Math.abs(level)), floorAbs, 1e-9),
  };
}

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
  const usable = training.filter((p) => p.at < judged.at && Number.isFinite(p.at) && Number.isFinite(p.value));
  // callers pass points in time order: sort only when they did not
  if (!usable.every((p, i) => i === 0 || usable[i - 1]!.at <= p.at)) usable.sort((a, b) => a.at - b.at);
  const keys = usable.map((p) => seasonKey(p.at, opts.seasonality, opts.timezone));
  const matched = usable.filter((_, i) => keys[i] === key);
  const needed = Math.max(1, Math.ceil(opts.minPoints));
  if (matched.length < needed) return { learning: true, points: matched.length, needed };

  const values = matched.map((p) => p.value);
  const nonNegative = domain !== 'real' || values.every((v) => v >= 0);
  const level = median(values);
  const { fwd, inv, floorAt } = scaleFor(domain, nonNegative, level);

  // Time in days before the judged point: the fitted line's value at t = 0 is the expected value.
  const t = matched.map((p) => (p.at - judged.at) / DAY);
  const y = values.map(fwd);
  const n = matched.length;
  const fit = fitLine(t, y, floorAt);
  const { intercept } = fit;
  // Few points of its own season (8 Mondays) give a noisy σ: it borrows strength from the
  // residuals of the other seasons, each about its own line, as POOL_WEIGHT points' worth.
  const pooled = n < POOL_BELOW ? pooledSigma(usable, keys, key, judged.at, fwd) : undefined;
  const sigma =
    pooled === undefined
      ? fit.sigma
      : Math.max(Math.sqrt((n * fit.sigma ** 2 + POOL_WEIGHT * pooled ** 2) / (n + POOL_WEIGHT)), floorAt(intercept));
  // Prediction interval of a fitted line: wider the further the judged point is from the
  // training points' centre in time, and the fewer of them there are; and σ learnt from few
  // points is itself uncertain, so the multiple of it is the Student's t that is as rare as
  // the band's edge in normal σ (3.5 at sensitivity 3: 4.0 with 28 points, 4.5 with 8 Mondays and the
  // rest of the week, 6.9 with 8 points alone), at most twice that.
  const tMean = t.reduce((a, b) => a + b, 0) / n;
  const sxx = t.reduce((a, ti) => a + (ti - tMean) ** 2, 0);
  const spread = Math.sqrt(1 + 1 / n + (n >= 3 && sxx > 0 ? tMean ** 2 / sxx : 0));
  const s = opts.sensitivity;
  const dof = Math.max(1, n - 2 + (pooled === undefined ? 0 : POOL_WEIGHT));
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

/** A season with fewer points than this borrows σ from the others ... */
const POOL_BELOW = 24;
/** ... as this many points' worth. */
const POOL_WEIGHT = 8;

/** σ of the residuals of every other season's points about that season's own robust line (none: undefined). */
function pooledSigma(
  usable: readonly AnomalyPoint[],
  keys: readonly number[],
  key: number,
  at0: number,
  fwd: (v: number) => number,
): number | undefined {
  const bySeason = new Map<number, AnomalyPoint[]>();
  usable.forEach((p, i) => {
    const k = keys[i]!;
    if (k === key) return;
    let list = bySeason.get(k);
    if (!list) bySeason.set(k, (list = []));
    list.push(p);
  });
  const residuals: number[] = [];
  for (const points of bySeason.values()) {
    if (points.length < 4) continue;
    const t = points.map((p) => (p.at - at0) / DAY);
    const y = points.map((p) => fwd(p.value));
    const slope = theilSenSlopeSplit(t, y, 0);
    const detrended = y.map((yi, i) => yi - slope * t[i]!);
    const level = median(detrended);
    for (const d of detrended) residuals.push(d - level);
  }
  if (residuals.length < 2 * POOL_WEIGHT) return undefined;
  return biweightSigma(residuals);
}

/**
 * Points held beyond the old band for this many in a row at the end of training (and for
 * SHIFT_DAYS) are a level shift, not an incident: the line is refitted with a step there, so the new level
 * becomes normal. Fewer (an outage of up to 3 points) stay an incident and are ignored.
 */
export const SHIFT_POINTS = 4;
/** ... and for at least this many days before the judged point. */
export const SHIFT_DAYS = 3;
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
    // and a new level only once it has held for SHIFT_DAYS too (4 hourly runs are no shift)
    if (-t[c]! < SHIFT_DAYS) continue;
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
