// Where an anomaly check's points come from when it has a timestamp_column:
// the rows grouped into time buckets of that column, in the same statement as
// the dataset's other metrics (the dialect writes the bucket keys).

import { asNumber, type AggregateNeed, type BucketCounts, type BucketsNeed, type CheckPlan, type ColumnInfo, type EvalContext, type Need, type PlanContext } from '../checks/kind.js';
import { missingPredicate } from '../checks/nulls.js';
import type { CheckDef } from '../config/model.js';
import type { NullsSpec } from '../config/schema.js';
import type { BucketUnit, TimeCategory } from '../sql/dialect.js';
import { VigilError } from '../util/errors.js';
import { bucketsIn, bucketWindow, describeBucket, type Bucket } from './buckets.js';
import type { AnomalyConfig, BucketSize } from './config.js';
import { anomalyDetails, anomalyMessage, judgePoint } from './judgement.js';
import type { AnomalyDomain, AnomalyJudgement, AnomalyPoint } from './method.js';

/** The check's timestamp_column and how its type reads as time; a typed error when it is missing or not a time. */
export function timestampColumn(check: CheckDef, ctx: Pick<PlanContext, 'column' | 'dialect'>): { column: ColumnInfo; category: Exclude<TimeCategory, 'other'> } {
  const name = check.anomaly?.timestampColumn;
  if (name === undefined) throw new Error(`${check.id} has no anomaly.timestamp_column`);
  const column = ctx.column(name);
  const category = ctx.dialect.timeCategory(column.type);
  if (category === 'other') {
    throw new VigilError('BAD_COLUMN_TYPE',
      `anomaly.timestamp_column ${column.name} is ${column.type}, not a timestamp or date — name a TIMESTAMP/DATE column, or set source options (e.g. types) so it is read as one`);
  }
  return { column, category };
}

/** The measures behind a series of buckets, and each bucket's point once they are measured. */
interface BucketSeries {
  needs: Need[];
  /** The latest complete bucket at ctx.now. */
  judged: Bucket;
  /** The `count` buckets before it, oldest first. */
  before: Bucket[];
  unit: string;
  domain: AnomalyDomain;
  /** " NULL email" for nulls, "" for row_count. */
  label: string;
  points(ectx: EvalContext): { pointOf(b: Bucket): number | null; rows(b: Bucket): number };
}

function bucketSeries(check: CheckDef, a: AnomalyConfig, ctx: PlanContext, count: number): BucketSeries {
  const { column, category } = timestampColumn(check, ctx);
  const { dialect } = ctx;
  const tz = ctx.dataset.timezone;
  const q = dialect.quoteIdent(column.name);
  const { judged, training: before } = bucketWindow(ctx.now.getTime(), a.bucket, count, tz);
  const from = before[0]?.start ?? judged.start;
  const t = dialect.epochMs(q, category, tz);
  const scoped = (p: string) => (check.where ? `(${check.where}) AND ${p}` : p);
  // Rows at or after the end of the judged bucket are still filling their bucket: never read.
  const need: BucketsNeed = {
    type: 'buckets', key: dialect.bucketKey(q, category, tz, UNIT[a.bucket]), filter: scoped(`${t} >= ${from} AND ${t} < ${judged.end}`),
  };
  const isNulls = check.kind === 'nulls';
  let label = '';
  if (isNulls) {
    const col = ctx.column(check.column as string);
    const missing = (check.options as NullsSpec).missing_values ?? [];
    need.measure = missingPredicate(dialect, col, missing);
    label = missing.length ? ` missing ${col.name}` : ` NULL ${col.name}`;
  }
  // row_count: buckets before the data's first row are no points (an empty bucket after it is an outage: 0).
  const earliest: AggregateNeed = { type: 'aggregate', fn: 'min', arg: t, filter: scoped(`${t} < ${judged.end}`) };
  return {
    needs: isNulls ? [need] : [need, earliest], judged, before, label,
    unit: isNulls ? '%' : 'rows', domain: isNulls ? 'percent' : 'count',
    points(ectx) {
      const counts = new Map(((ectx.value(need) as BucketCounts[] | null) ?? []).map((b) => [b.k, b]));
      const first = isNulls ? null : asNumber(ectx.value(earliest));
      return {
        rows: (b) => counts.get(b.key)?.n ?? 0,
        pointOf: (b) => {
          const c = counts.get(b.key);
          if (isNulls) return c && c.n > 0 ? (c.m / c.n) * 100 : null;
          if (first === null || b.end <= first) return null;
          return c?.n ?? 0;
        },
      };
    },
  };
}

const toPoints = (buckets: Bucket[], pointOf: (b: Bucket) => number | null): AnomalyPoint[] => buckets.flatMap((b) => {
  const v = pointOf(b);
  return v === null ? [] : [{ at: b.start, value: v }];
});

const spanOf = (b: Bucket) => ({ bucket_start: new Date(b.start).toISOString(), bucket_end: new Date(b.end).toISOString() });

/** One training point per complete bucket of the window, judged against the latest complete bucket. */
export function planBuckets(check: CheckDef, a: AnomalyConfig, ctx: PlanContext): CheckPlan {
  const tz = ctx.dataset.timezone;
  const series = bucketSeries(check, a, ctx, bucketsIn(a.trainingSeconds, a.bucket));
  const { judged, unit, label } = series;
  return {
    needs: series.needs,
    evaluate(ectx) {
      const { pointOf, rows } = series.points(ectx);
      const points = toPoints(series.before, pointOf);
      const value = pointOf(judged);
      const span = spanOf(judged);
      const when = describeBucket(judged, a.bucket, tz);
      const extra = check.kind === 'nulls' ? { column: check.column, rows: rows(judged) } : {};
      if (value === null) {
        // Nothing to judge: no rows in the judged bucket (nulls), or none yet at all (row_count).
        const message = check.kind === 'nulls' ? `no rows ${when}: no NULL rate to judge` : `learning: ${points.length} of ${a.minPoints} points (no rows ${when} or before)`;
        return {
          status: 'pass', value: null, unit, message, thresholds: {},
          details: { ...extra, anomaly: { learning: true, points: points.length, needed: a.minPoints, ...span } },
        };
      }
      const j = judgePoint(a, points, { at: judged.start, value }, tz, series.domain);
      const status = !j.learning && j.anomalous ? a.level : 'pass';
      return {
        status, value, unit, thresholds: {},
        message: anomalyMessage(j, value, unit, `${label.trim() ? `${label} ` : ' '}${when}`.trim(), status),
        details: { ...extra, anomaly: { ...anomalyDetails(j), ...span } },
      };
    },
  };
}

/** One point of a backtest: a bucket (or a recorded run) judged as a run would have judged it. */
export interface BacktestPoint {
  at: string;
  /** The bucket in the dataset's timezone: "2026-03-09", "2026-03-09 14:00", "week of 2026-03-09". */
  local?: string;
  bucket_end?: string;
  value: number | null;
  status: 'pass' | 'warn' | 'fail';
  learning: boolean;
  points: number;
  expected: number | null;
  lower: number | null;
  upper: number | null;
  score: number | null;
}

export function backtestPoint(at: number, value: number | null, j: AnomalyJudgement | null, a: AnomalyConfig): BacktestPoint {
  const status = j && !j.learning && j.anomalous ? a.level : 'pass';
  return {
    at: new Date(at).toISOString(), value, status, learning: !j || j.learning, points: j?.points ?? 0,
    expected: j && !j.learning ? j.expected : null, lower: j && !j.learning ? j.lower : null,
    upper: j && !j.learning ? j.upper : null, score: j && !j.learning ? j.score : null,
  };
}

/**
 * The last `n` complete buckets at ctx.now, each judged against the training buckets before it
 * (what runs at the end of each would have said): one statement for the whole series.
 * The outcome's details.backtest lists them, oldest first.
 */
export function planBucketBacktest(check: CheckDef, a: AnomalyConfig, ctx: PlanContext, n: number): CheckPlan {
  const tz = ctx.dataset.timezone;
  const trainingCount = bucketsIn(a.trainingSeconds, a.bucket);
  const series = bucketSeries(check, a, ctx, trainingCount + n - 1);
  const all = [...series.before, series.judged];
  return {
    needs: series.needs,
    evaluate(ectx) {
      const { pointOf } = series.points(ectx);
      const out: BacktestPoint[] = [];
      for (let i = all.length - n; i < all.length; i++) {
        const b = all[i] as Bucket;
        const value = pointOf(b);
        const training = toPoints(all.slice(Math.max(0, i - trainingCount), i), pointOf);
        const j = value === null ? null : judgePoint(a, training, { at: b.start, value }, tz, series.domain);
        const local = describeBucket(b, a.bucket, tz).replace(/^on |^in the /, '');
        out.push({ ...backtestPoint(b.start, value, j, a), local, bucket_end: new Date(b.end).toISOString(), ...(j === null ? { points: training.length } : {}) });
      }
      return { status: 'pass', value: null, unit: series.unit, message: '', thresholds: {}, details: { backtest: out } };
    },
  };
}

const UNIT: Record<BucketSize, BucketUnit> = { '1h': 'hour', '1d': 'day', '1w': 'week' };
