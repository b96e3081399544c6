// `anomaly:` as the run uses it: the check file's keys with their defaults
// applied, and the rules of SPEC section 7 that the zod schema cannot say
// (which kinds take a timestamp_column, thresholds beside it, seasonality
// against the training length).

import type { AnomalySpec, CheckKindName } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import type { ValidationProblem } from '../checks/kind.js';

export type BucketSize = '1h' | '1d' | '1w';
export type Seasonality = 'none' | 'day_of_week' | 'hour_of_day';

export interface AnomalyConfig {
  timestampColumn?: string;
  bucket: BucketSize;
  trainingSeconds: number;
  minPoints: number;
  seasonality: Seasonality;
  sensitivity: number;
  direction: 'both' | 'up' | 'down';
  minChange?: { amount: number; percent: boolean };
  level: 'warn' | 'fail';
}

export const BUCKET_SECONDS: Record<BucketSize, number> = { '1h': 3600, '1d': 86400, '1w': 604800 };
export const DEFAULT_TRAINING = '28d';
export const DEFAULT_MIN_POINTS = 7;

/** Kinds whose points can come from the data (one per time bucket). */
export const BUCKETED_KINDS: ReadonlySet<CheckKindName> = new Set(['row_count', 'nulls']);
/** Kinds with a numeric value that may take `anomaly:`. */
export const ANOMALY_KINDS: ReadonlySet<CheckKindName> = new Set(['row_count', 'freshness', 'nulls', 'duplicates', 'sql']);

/** The schema-valid `anomaly:` of a check with its defaults. */
export function resolveAnomaly(spec: AnomalySpec): AnomalyConfig {
  const out: AnomalyConfig = {
    bucket: spec.bucket ?? '1d',
    trainingSeconds: parseDuration(spec.training ?? DEFAULT_TRAINING) ?? 28 * 86400,
    minPoints: spec.min_points ?? DEFAULT_MIN_POINTS,
    seasonality: spec.seasonality ?? 'none',
    sensitivity: spec.sensitivity ?? 3,
    direction: spec.direction ?? 'both',
    level: spec.level ?? 'warn',
  };
  if (spec.timestamp_column !== undefined) out.timestampColumn = spec.timestamp_column;
  if (spec.min_change !== undefined) {
    out.minChange = typeof spec.min_change === 'number'
      ? { amount: spec.min_change, percent: false }
      : { amount: Number(spec.min_change.replace('%', '').trim()), percent: true };
  }
  return out;
}

/** How often a seasonal slot comes round: the training points one slot gets are training / period. */
function seasonPeriodSeconds(seasonality: Seasonality): number | null {
  if (seasonality === 'day_of_week') return 7 * 86400;
  if (seasonality === 'hour_of_day') return 86400;
  return null;
}

/**
 * Misuse of `anomaly:` in one check's options (paths below the kind's key). Errors stop the
 * check from loading; `warning: true` ones are printed and the check still runs.
 */
export function anomalyProblems(kind: CheckKindName, options: { anomaly?: AnomalySpec; warn?: unknown; fail?: unknown }): Array<ValidationProblem & { warning?: boolean }> {
  const spec = options.anomaly;
  if (!spec) return [];
  const out: Array<ValidationProblem & { warning?: boolean }> = [];
  const a = resolveAnomaly(spec);
  if (spec.timestamp_column !== undefined) {
    if (!BUCKETED_KINDS.has(kind)) {
      out.push({
        path: ['anomaly', 'timestamp_column'],
        message: `timestamp_column works on row_count and nulls only (their value can be counted per time bucket); a ${kind} check learns from its own recorded history — remove timestamp_column`,
      });
    }
    for (const level of ['warn', 'fail'] as const) {
      if (options[level] !== undefined) {
        out.push({
          path: [level],
          message: `${level} cannot be used with anomaly.timestamp_column (the value is one time bucket's, not the whole table's) — put the thresholds in a second ${kind} check without timestamp_column`,
        });
      }
    }
  } else if (spec.bucket !== undefined) {
    out.push({ path: ['anomaly', 'bucket'], message: 'bucket only applies with timestamp_column (points per time bucket of that column) — add timestamp_column: <column>, or remove bucket (without it the points are this check\'s recorded runs)' });
  }
  if (a.seasonality === 'hour_of_day' && spec.timestamp_column !== undefined && a.bucket !== '1h') {
    out.push({ path: ['anomaly', 'seasonality'], message: `seasonality hour_of_day needs bucket: 1h (a ${a.bucket} bucket has no hour) — set bucket: 1h, or use seasonality: ${a.bucket === '1d' ? 'day_of_week' : 'none'}` });
  }
  if (a.seasonality === 'day_of_week' && spec.timestamp_column !== undefined && a.bucket === '1w') {
    out.push({ path: ['anomaly', 'seasonality'], message: 'seasonality day_of_week needs bucket: 1d or 1h (a 1w bucket spans every weekday) — use seasonality: none, or a smaller bucket' });
  }
  const period = seasonPeriodSeconds(a.seasonality);
  if (period !== null && !(a.seasonality === 'hour_of_day' && spec.timestamp_column !== undefined && a.bucket !== '1h')
    && !(a.seasonality === 'day_of_week' && spec.timestamp_column !== undefined && a.bucket === '1w')) {
    const perSlot = Math.floor(a.trainingSeconds / period);
    if (perSlot < a.minPoints) {
      const needed = formatWeeksOrDays(a.minPoints * period);
      const unit = a.seasonality === 'day_of_week' ? 'week' : 'day';
      out.push({
        path: ['anomaly', spec.training !== undefined ? 'training' : 'seasonality'],
        // With a timestamp_column the points per slot are exact; from history they depend on the schedule.
        warning: spec.timestamp_column === undefined,
        message: `seasonality ${a.seasonality} compares each point only with the same ${a.seasonality === 'day_of_week' ? 'weekday' : 'hour'}: a training of ${spec.training ?? DEFAULT_TRAINING} gives ${perSlot} such point${perSlot === 1 ? '' : 's'} (one a ${unit}), fewer than min_points ${a.minPoints}, so the check would stay learning — set training: ${needed} or more, or lower min_points`,
      });
    }
  }
  return out;
}

function formatWeeksOrDays(seconds: number): string {
  return seconds % 604800 === 0 ? `${seconds / 604800}w` : `${Math.ceil(seconds / 86400)}d`;
}
