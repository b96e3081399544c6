// The anomaly method: from a check's earlier points, the expected value of the
// judged one and the band around it; pure, deterministic, no I/O. docs/anomaly.md explains it.

import { madSigma, median, theilSenSlope } from './robust.js';
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
      /** signed distance of the value from `expected` in σ of the model (outside the band ≈ |score| > sensitivity) */
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

  // Time in days before the judged point: the fitted line's intercept is the expected value.
  const t = matched.map((p) => (p.at - judged.at) / DAY);
  const y = values.map(fwd);
  const slope = matched.length >= 3 ? theilSenSlope(t, y) : 0;
  const intercept = median(y.map((yi, i) => yi - slope * t[i]!));
  const residuals = y.map((yi, i) => yi - intercept - slope * t[i]!);

  const n = matched.length;
  const expectedValue = inv(intercept);
  const floorAbs = ABSOLUTE_FLOOR[domain];
  const floor = log
    ? Math.max(RELATIVE_FLOOR, floorAbs / (expectedValue + offset))
    : Math.max(RELATIVE_FLOOR * Math.max(Math.abs(expectedValue), Math.abs(level)), floorAbs, 1e-9);
  const sigma = Math.max(madSigma(residuals), floor);
  // Prediction interval of a fitted line: wider the further the judged point is from the
  // training points' centre in time, and the fewer of them there are.
  const tMean = t.reduce((a, b) => a + b, 0) / n;
  const sxx = t.reduce((a, ti) => a + (ti - tMean) ** 2, 0);
  const spread = Math.sqrt(1 + 1 / n + (n >= 3 && sxx > 0 ? tMean ** 2 / sxx : 0));
  const half = opts.sensitivity * sigma * spread;

  const [lo, hi] = clampRange(domain, nonNegative, inv(intercept - half), inv(intercept + half));
  const expected = clamp(domain, nonNegative, expectedValue);
  const score = (fwd(judged.value) - intercept) / (sigma * spread);

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
