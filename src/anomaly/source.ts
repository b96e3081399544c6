// Where an anomaly check's points come from when it has a timestamp_column:
// the rows grouped into time buckets of that column, in the same statement as
// the dataset's other metrics (the dialect writes the bucket keys).

import { asNumber, type AggregateNeed, type BucketCounts, type BucketsNeed, type CheckPlan, type ColumnInfo, type PlanContext } from '../checks/kind.js';
import { missingPredicate } from '../checks/nulls.js';
import type { CheckDef } from '../config/model.js';
import type { NullsSpec } from '../config/schema.js';
import type { BucketUnit, TimeCategory } from '../sql/dialect.js';
import { VigilError } from '../util/errors.js';
import { bucketsIn, bucketWindow, describeBucket, type Bucket } from './buckets.js';
import type { AnomalyConfig, BucketSize } from './config.js';
import { anomalyDetails, anomalyMessage, judgePoint } from './judgement.js';

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

/** One training point per complete bucket of the window, judged against the latest complete bucket. */
export function planBuckets(check: CheckDef, a: AnomalyConfig, ctx: PlanContext): CheckPlan {
  const { column, category } = timestampColumn(check, ctx);
  const { dialect } = ctx;
  const tz = ctx.dataset.timezone;
  const q = dialect.quoteIdent(column.name);
  const { judged, training } = bucketWindow(ctx.now.getTime(), a.bucket, bucketsIn(a.trainingSeconds, a.bucket), tz);
  const from = training[0]?.start ?? judged.start;
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
  const unit = isNulls ? '%' : 'rows';
  const domain = isNulls ? 'percent' : 'count';
  return {
    needs: isNulls ? [need] : [need, earliest],
    evaluate(ectx) {
      const counts = new Map(((ectx.value(need) as BucketCounts[] | null) ?? []).map((b) => [b.k, b]));
      const first = isNulls ? null : asNumber(ectx.value(earliest));
      const pointOf = (b: Bucket): number | null => {
        const c = counts.get(b.key);
        if (isNulls) return c && c.n > 0 ? (c.m / c.n) * 100 : null;
        if (first === null || b.end <= first) return null;
        return c?.n ?? 0;
      };
      const points = training.flatMap((b) => {
        const v = pointOf(b);
        return v === null ? [] : [{ at: b.start, value: v }];
      });
      const value = pointOf(judged);
      const span = { bucket_start: new Date(judged.start).toISOString(), bucket_end: new Date(judged.end).toISOString() };
      const when = describeBucket(judged, a.bucket, tz);
      const extra = isNulls ? { column: check.column, rows: counts.get(judged.key)?.n ?? 0 } : {};
      if (value === null) {
        // Nothing to judge: no rows in the judged bucket (nulls), or none yet at all (row_count).
        const message = isNulls ? `no rows ${when}: no NULL rate to judge` : `learning: ${points.length} of ${a.minPoints} points (no rows ${when} or before)`;
        return {
          status: 'pass', value: null, unit, message, thresholds: {},
          details: { ...extra, anomaly: { learning: true, points: points.length, needed: a.minPoints, ...span } },
        };
      }
      const j = judgePoint(a, points, { at: judged.start, value }, tz, domain);
      const status = !j.learning && j.anomalous ? a.level : 'pass';
      return {
        status, value, unit, thresholds: {},
        message: anomalyMessage(j, value, unit, `${label.trim() ? `${label} ` : ' '}${when}`.trim(), status),
        details: { ...extra, anomaly: { ...anomalyDetails(j), ...span } },
      };
    },
  };
}

const UNIT: Record<BucketSize, BucketUnit> = { '1h': 'hour', '1d': 'day', '1w': 'week' };
