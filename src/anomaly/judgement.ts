// From a point and its training points to what a result says: the method's
// judgement (with the season matching the wiring adds), details.anomaly and
// the message.

import type { CheckDef } from '../config/model.js';
import { formatBand, formatValue } from '../util/format.js';
import type { AnomalyConfig } from './config.js';
import { judge, type AnomalyDomain, type AnomalyJudgement, type AnomalyOptions, type AnomalyPoint } from './method.js';
import { localWeekdayHour } from './season.js';

/** What a kind's values can be: the band is clamped to it. */
export function domainOf(check: CheckDef): AnomalyDomain {
  if (check.kind === 'sql') return 'real';
  if (check.kind === 'nulls' && check.anomaly?.timestampColumn !== undefined) return 'percent';
  return 'count';
}

export function methodOptions(a: AnomalyConfig, timezone: string, domain: AnomalyDomain): AnomalyOptions {
  return {
    sensitivity: a.sensitivity, direction: a.direction, seasonality: a.seasonality, timezone, minPoints: a.minPoints, domain,
    ...(a.minChange ? { minChange: a.minChange } : {}),
  };
}

/**
 * The judgement of one point. With hourly buckets, day_of_week compares an hour with the same
 * hour of the same weekday (Monday 9:00 with earlier Mondays 9:00, not with Monday 3:00).
 */
export function judgePoint(a: AnomalyConfig, training: readonly AnomalyPoint[], judged: AnomalyPoint, timezone: string, domain: AnomalyDomain): AnomalyJudgement {
  let points = training;
  if (a.seasonality === 'day_of_week' && a.timestampColumn !== undefined && a.bucket === '1h') {
    const hour = localWeekdayHour(judged.at, timezone).hour;
    points = training.filter((p) => localWeekdayHour(p.at, timezone).hour === hour);
  }
  return judge(points, judged, methodOptions(a, timezone, domain));
}

/** details.anomaly of a judgement (plus what the caller adds, e.g. bucket_start). */
export function anomalyDetails(j: AnomalyJudgement): Record<string, unknown> {
  if (j.learning) return { learning: true, points: j.points, needed: j.needed };
  return {
    expected: j.expected, lower: j.lower, upper: j.upper, points: j.points, score: j.score, method: j.method,
    anomalous: j.anomalous, ...(j.direction ? { direction: j.direction } : {}),
  };
}

/** "learning: 3 of 7 points", or "3,120 rows on 2026-03-09, expected 9,800–12,100; warn". */
export function anomalyMessage(j: AnomalyJudgement, value: number, unit: string, when: string, status: string): string {
  if (j.learning) return `learning: ${j.points} of ${j.needed} points`;
  return `${formatValue(value, unit)}${when ? ` ${when}` : ''}, expected ${formatBand(j.lower, j.upper, unit)}${status === 'pass' ? '' : `; ${status}`}`;
}

