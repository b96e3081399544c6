// Labelled series for the anomaly benchmark (npm run bench:anomaly) and its test:
// seeded generators of several families with planted incidents, and per-point scoring.

import { judge, type AnomalyOptions, type AnomalyPoint } from '../src/anomaly/method.js';
import { localWeekdayHour } from '../src/anomaly/season.js';

export const FAMILIES = ['flat', 'trending', 'weekly', 'hourly', 'level_shift', 'past_incident', 'nulls', 'small_counts', 'heavy_tail', 'cold_start'] as const;
export type Family = (typeof FAMILIES)[number];

/** `ignore`: not scored either way (the days right after a permanent level shift, see SETTLE_DAYS). */
export type Label = 'normal' | 'anomaly' | 'ignore';

export interface LabelledPoint extends AnomalyPoint {
  label: Label;
  /** what was planted, for anomalies */
  incident?: string;
}

export interface Series {
  family: Family;
  name: string;
  /** how far back training reaches, ms (28 days; 8 weeks with day_of_week) */
  trainingMs: number;
  opts: AnomalyOptions;
  points: LabelledPoint[];
  /** index of the first judged point: every earlier one is training only */
  judgeFrom: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2026-01-05 00:00 UTC: the first point of every daily series. */
const START = Date.UTC(2026, 0, 5);
/** Days judged after the first training window. */
export const JUDGED_DAYS = 84;
/** Days judged of an hourly series (every hour of them). */
export const JUDGED_DAYS_HOURLY = 28;
/**
 * A permanent level shift: its first day is an anomaly, the next SETTLE_DAYS − 1 days are not
 * scored (is a step that has held for three days still news? either answer is defensible), and
 * from then on the new level is normal — an alert there is a false positive.
 */
export const SETTLE_DAYS = 7;

/** mulberry32: small, fast, and the same numbers on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return Math.floor(this.uniform(lo, hi + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  logUniform(lo: number, hi: number): number {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** A count around `mu`: multiplicative day-to-day noise, then Poisson-like counting noise. */
  count(mu: number, sigma: number): number {
    const m = mu * Math.exp(sigma * this.normal());
    return Math.max(0, Math.round(m + Math.sqrt(m) * this.normal()));
  }
}

/** Days of the judged region that get an incident: spread out, at least `gap` apart. */
function incidentDays(r: Rand, from: number, to: number, count: number, gap: number): number[] {
  const days: number[] = [];
  for (let tries = 0; days.length < count && tries < 1000; tries++) {
    const d = r.int(from, to);
    if (days.every((x) => Math.abs(x - d) >= gap)) days.push(d);
  }
  return days.sort((a, b) => a - b);
}

const BASE_OPTS: AnomalyOptions = {
  sensitivity: 3,
  direction: 'both',
  seasonality: 'none',
  timezone: 'UTC',
  minPoints: 7,
  domain: 'count',
};

type DailyIncident = 'drop' | 'spike' | 'zero' | 'outage2';

/** Multiplies the normal value by what the incident does. */
function plant(r: Rand, kind: DailyIncident, normal: number): number {
  switch (kind) {
    case 'drop':
      return Math.round(normal * r.uniform(0.2, 0.6));
    case 'spike':
      return Math.round(normal * r.uniform(1.7, 3));
    case 'zero':
    case 'outage2':
      return 0;
  }
}

/** A daily count series: `mu(day)` the normal level, incidents planted on the given days. */
function dailySeries(
  r: Rand,
  family: Family,
  name: string,
  trainingDays: number,
  mu: (day: number) => number,
  sigma: number,
  incidents: Map<number, DailyIncident>,
  opts: Partial<AnomalyOptions> = {},
): Series {
  const points: LabelledPoint[] = [];
  const total = trainingDays + JUDGED_DAYS;
  for (let d = 0; d < total; d++) {
    const normal = r.count(mu(d), sigma);
    const kind = incidents.get(d) ?? (incidents.get(d - 1) === 'outage2' ? 'outage2' : undefined);
    const value = kind ? plant(r, kind, normal) : normal;
    points.push({ at: START + d * DAY, value, label: kind ? 'anomaly' : 'normal', ...(kind ? { incident: kind } : {}) });
  }
  return { family, name, trainingMs: trainingDays * DAY, opts: { ...BASE_OPTS, ...opts }, points, judgeFrom: trainingDays };
}

const DAILY_KINDS: readonly DailyIncident[] = ['drop', 'spike', 'zero', 'drop', 'spike', 'outage2'];

function plantDaily(r: Rand, from: number, to: number, count: number, gap: number): Map<number, DailyIncident> {
  return new Map(incidentDays(r, from, to, count, gap).map((d) => [d, r.pick(DAILY_KINDS)]));
}

/** One series of `family`; `seed` and `index` fix every random choice. */
export function generate(family: Family, seed: number, index: number): Series {
  const r = new Rand((seed * 7919 + index * 104_729 + FAMILIES.indexOf(family) * 15_485_863) >>> 0);
  const name = `${family}-${seed}-${index}`;
  const T = 28;
  const end = T + JUDGED_DAYS - 1;
  switch (family) {
    case 'flat': {
      // One in three is near constant (a dimension table): only counting noise and 0.2%.
      const level = r.logUniform(500, 200_000);
      const sigma = index % 3 === 0 ? 0.002 : r.uniform(0.02, 0.08);
      return dailySeries(r, family, name, T, () => level, sigma, plantDaily(r, T, end - 1, r.int(3, 6), 6));
    }
    case 'trending': {
      // A business growing 1–2% a day (one in four shrinking 1% a day).
      const level = r.logUniform(500, 50_000);
      const growth = index % 4 === 3 ? -0.01 : r.uniform(0.01, 0.02);
      const sigma = r.uniform(0.02, 0.06);
      return dailySeries(r, family, name, T, (d) => level * Math.exp(growth * d), sigma, plantDaily(r, T, end - 1, r.int(3, 6), 6));
    }
    case 'weekly':
      return weekly(r, name);
    case 'hourly':
      return hourly(r, name);
    case 'level_shift':
      return levelShift(r, name);
    case 'past_incident': {
      // Incidents in the first training window and close together after it: each judged one has
      // another within its training window, so neither blinding nor "new normal" goes unnoticed.
      const level = r.logUniform(500, 100_000);
      const sigma = r.uniform(0.02, 0.06);
      const incidents = plantDaily(r, 4, end - 1, r.int(10, 14), 4);
      incidents.set(r.int(10, T - 3), r.pick(['zero', 'outage2', 'spike'] as const));
      return dailySeries(r, family, name, T, () => level, sigma, incidents);
    }
    case 'nulls':
      return nulls(r, name);
    case 'cold_start': {
      // Judged from the first day with min_points (7) of training: the band is learnt from 7, 8,
      // 9 … points, not 28. Trending, with incidents from day 8 on.
      const level = r.logUniform(500, 50_000);
      const growth = r.uniform(0, 0.02);
      const sigma = r.uniform(0.02, 0.06);
      const s = dailySeries(r, family, name, T, (d) => level * Math.exp(growth * d), sigma, plantDaily(r, 8, end - 1, r.int(6, 10), 6));
      return { ...s, judgeFrom: 7 };
    }
    case 'small_counts': {
      // A few rows a day (8–60): counting noise dominates; incidents are zero days and spikes ×3–5.
      const level = r.logUniform(8, 60);
      const days = new Set(incidentDays(r, T, end, r.int(3, 5), 6));
      const points: LabelledPoint[] = [];
      for (let d = 0; d < T + JUDGED_DAYS; d++) {
        const normal = r.count(level, 0.05);
        const kind = days.has(d) ? r.pick(['zero', 'spike'] as const) : undefined;
        const value = kind === 'zero' ? 0 : kind === 'spike' ? Math.round(level * r.uniform(3, 5)) : normal;
        points.push({ at: START + d * DAY, value, label: kind ? 'anomaly' : 'normal', ...(kind ? { incident: kind } : {}) });
      }
      return { family, name, trainingMs: T * DAY, opts: BASE_OPTS, points, judgeFrom: T };
    }
    case 'heavy_tail': {
      // Noise with heavy tails (Student's t, 3 degrees of freedom, 3–6% scale), as real loads have:
      // the odd day 15% off is normal. Incidents as flat, with day_of_week seasonality.
      const level = r.logUniform(1_000, 100_000);
      const scale = r.uniform(0.03, 0.06);
      const weekend = r.uniform(0.3, 0.8);
      const incidents = plantDaily(r, 56, 56 + JUDGED_DAYS - 2, r.int(4, 7), 6);
      const points: LabelledPoint[] = [];
      const t3 = () => r.normal() / Math.sqrt((r.normal() ** 2 + r.normal() ** 2 + r.normal() ** 2) / 3);
      for (let d = 0; d < 56 + JUDGED_DAYS; d++) {
        const mu = level * (d % 7 >= 5 ? weekend : 1) * Math.exp(scale * t3());
        const normal = Math.max(0, Math.round(mu + Math.sqrt(mu) * r.normal()));
        const kind = incidents.get(d) ?? (incidents.get(d - 1) === 'outage2' ? 'outage2' : undefined);
        const value = kind ? plant(r, kind, normal) : normal;
        points.push({ at: START + d * DAY, value, label: kind ? 'anomaly' : 'normal', ...(kind ? { incident: kind } : {}) });
      }
      return { family, name, trainingMs: 56 * DAY, opts: { ...BASE_OPTS, seasonality: 'day_of_week' }, points, judgeFrom: 56 };
    }
  }
}

function weekly(r: Rand, name: string): Series {
  const T = 56;
  const level = r.logUniform(1_000, 100_000);
  const weekend = r.uniform(0.15, 0.5);
  const growth = r.uniform(0, 0.01);
  const sigma = r.uniform(0.02, 0.06);
  const mu = (d: number) => level * Math.exp(growth * d) * (d % 7 >= 5 ? weekend : 1);
  const points: LabelledPoint[] = [];
  const days = new Set(incidentDays(r, T, T + JUDGED_DAYS - 1, r.int(4, 7), 5));
  for (let d = 0; d < T + JUDGED_DAYS; d++) {
    let value = r.count(mu(d), sigma);
    let incident: string | undefined;
    if (days.has(d)) {
      const isWeekend = d % 7 >= 5;
      incident = isWeekend ? r.pick(['zero', 'spike']) : r.pick(['weekend_level', 'weekend_level', 'drop', 'zero']);
      if (incident === 'weekend_level') value = r.count(mu(d) * weekend, sigma);
      else if (incident === 'zero') value = 0;
      else if (incident === 'drop') value = Math.round(value * r.uniform(0.2, 0.6));
      else value = Math.round(value * r.uniform(1.7, 3));
    }
    points.push({ at: START + d * DAY, value, label: incident ? 'anomaly' : 'normal', ...(incident ? { incident } : {}) });
  }
  return {
    family: 'weekly',
    name,
    trainingMs: T * DAY,
    opts: { ...BASE_OPTS, seasonality: 'day_of_week' },
    points,
    judgeFrom: T,
  };
}

/** Hourly buckets in Europe/Berlin (across the spring DST change), busy by day, quiet at night. */
function hourly(r: Rand, name: string): Series {
  const tz = 'Europe/Berlin';
  const T = 28 * 24;
  const total = T + JUDGED_DAYS_HOURLY * 24;
  const start = Date.UTC(2026, 1, 16); // the judged region spans 2026-03-29, when Berlin moves to summer time
  const level = r.logUniform(100, 5_000);
  const sigma = r.uniform(0.03, 0.08);
  const profile = (h: number) => 0.1 + 0.9 * Math.max(0, Math.sin((Math.PI * (h - 6)) / 16));
  const starts = incidentDays(r, T, total - 4, r.int(6, 10), 72);
  const incidents = new Map<number, string>();
  for (const s of starts) {
    const kind = r.pick(['zero', 'drop', 'spike', 'outage3']);
    for (let k = 0; k < (kind === 'outage3' ? 3 : 1); k++) incidents.set(s + k, kind);
  }
  const points: LabelledPoint[] = [];
  for (let i = 0; i < total; i++) {
    const at = start + i * HOUR;
    const normal = r.count(level * profile(localWeekdayHour(at, tz).hour), sigma);
    const kind = incidents.get(i);
    let value = normal;
    if (kind === 'zero' || kind === 'outage3') value = 0;
    else if (kind === 'drop') value = Math.round(normal * r.uniform(0.1, 0.4));
    else if (kind === 'spike') value = Math.round(normal * r.uniform(2, 4));
    points.push({ at, value, label: kind ? 'anomaly' : 'normal', ...(kind ? { incident: kind } : {}) });
  }
  return {
    family: 'hourly',
    name,
    trainingMs: 28 * DAY,
    opts: { ...BASE_OPTS, seasonality: 'hour_of_day', timezone: tz },
    points,
    judgeFrom: T,
  };
}

function levelShift(r: Rand, name: string): Series {
  const T = 28;
  const level = r.logUniform(500, 100_000);
  const sigma = r.uniform(0.02, 0.06);
  const growth = r.pick([0, 0, 0.01]);
  const shiftDay = r.int(T + 5, T + 30);
  const factor = r.pick([r.uniform(0.35, 0.6), r.uniform(1.7, 2.5)]);
  const after = plantDaily(r, shiftDay + SETTLE_DAYS + 2, T + JUDGED_DAYS - 2, r.int(2, 4), 6);
  const before = plantDaily(r, T, shiftDay - 3, 1, 6);
  const s = dailySeries(r, 'level_shift', name, T, (d) => level * Math.exp(growth * d) * (d >= shiftDay ? factor : 1), sigma, new Map([...before, ...after]));
  s.points[shiftDay] = { ...s.points[shiftDay]!, label: 'anomaly', incident: 'level_shift' };
  for (let d = shiftDay + 1; d < shiftDay + SETTLE_DAYS; d++) s.points[d] = { ...s.points[d]!, label: 'ignore' };
  return s;
}

/** The NULL percentage of a column, day by day; incidents are NULL-rate spikes. */
function nulls(r: Rand, name: string): Series {
  const T = 28;
  const rows = r.logUniform(2_000, 50_000);
  const rate = r.logUniform(0.002, 0.05);
  const days = new Set(incidentDays(r, T, T + JUDGED_DAYS - 1, r.int(3, 6), 6));
  const points: LabelledPoint[] = [];
  for (let d = 0; d < T + JUDGED_DAYS; d++) {
    const n = Math.max(1, r.count(rows, 0.1));
    let p = Math.min(1, rate * Math.exp(0.1 * r.normal()));
    const spike = days.has(d);
    if (spike) p = r.uniform(0, 1) < 0.2 ? 1 : Math.min(1, p + r.uniform(0.05, 0.4));
    // binomial, by its normal approximation
    const k = Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * r.normal())));
    points.push({ at: START + d * DAY, value: (100 * k) / n, label: spike ? 'anomaly' : 'normal', ...(spike ? { incident: 'null_spike' } : {}) });
  }
  return { family: 'nulls', name, trainingMs: T * DAY, opts: { ...BASE_OPTS, domain: 'percent' }, points, judgeFrom: T };
}

/** A detector says whether the judged point is anomalous given what came before it. */
export type Detector = (training: readonly AnomalyPoint[], judged: AnomalyPoint, series: Series) => boolean;

export const vigilDetector: Detector = (training, judged, series) => {
  const j = judge(training, judged, series.opts);
  return !j.learning && j.anomalous;
};

/** The plain trailing z-score other tools use: mean and standard deviation of the previous 28 points, |z| > 3. */
export const zScoreDetector: Detector = (training, judged) => {
  const last = training.slice(-28);
  if (last.length < 2) return false;
  const mean = last.reduce((a, p) => a + p.value, 0) / last.length;
  const sd = Math.sqrt(last.reduce((a, p) => a + (p.value - mean) ** 2, 0) / (last.length - 1));
  if (sd === 0) return judged.value !== mean;
  return Math.abs((judged.value - mean) / sd) > 3;
};

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function emptyCounts(): Counts {
  return { tp: 0, fp: 0, fn: 0, tn: 0 };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

/** Judges every point from `judgeFrom` on, each with the points of its training window before it. */
export function scoreSeries(series: Series, detector: Detector, misses?: (p: LabelledPoint, flagged: boolean) => void): Counts {
  const c = emptyCounts();
  const pts = series.points;
  let lo = 0;
  for (let i = series.judgeFrom; i < pts.length; i++) {
    const p = pts[i]!;
    while (pts[lo]!.at < p.at - series.trainingMs) lo++;
    if (p.label === 'ignore') continue;
    const flagged = detector(pts.slice(lo, i), { at: p.at, value: p.value }, series);
    if (p.label === 'anomaly') flagged ? c.tp++ : c.fn++;
    else flagged ? c.fp++ : c.tn++;
    if (misses && flagged !== (p.label === 'anomaly')) misses(p, flagged);
  }
  return c;
}

export function prf(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
