// A check with `anomaly:` as the run sees it: its kind's plan (or, with a
// timestamp_column, the bucketed plan of source.ts), and the judgement of its
// value against the points the method learns from, as status, message and
// details.anomaly (SPEC section 7).

import { KINDS } from '../checks/registry.js';
import type { CheckPlan, Outcome, PlanContext } from '../checks/kind.js';
import type { CheckDef } from '../config/model.js';
import { errorMessage } from '../util/errors.js';
import type { AnomalyConfig } from './config.js';
import { anomalyDetails, anomalyMessage, domainOf, judgePoint } from './judgement.js';
import type { AnomalyDomain, AnomalyPoint } from './method.js';
import { planBuckets } from './source.js';

/** Training points of history-based checks, by check id (an Error: the store could not be read). */
export type TrainingHistory = ReadonlyMap<string, readonly AnomalyPoint[]> | Error;

/** The plan of any check: its kind's, with the anomaly judgement on top where it has `anomaly:`. */
export function planCheck(check: CheckDef, ctx: PlanContext, history: TrainingHistory = new Map()): CheckPlan {
  const a = check.anomaly;
  if (!a) return KINDS[check.kind].plan(check, ctx);
  if (a.timestampColumn !== undefined) return planBuckets(check, a, ctx);
  const base = KINDS[check.kind].plan(check, ctx);
  return {
    needs: base.needs,
    evaluate(ectx) {
      const outcome = base.evaluate(ectx);
      if (history instanceof Error) {
        return { ...outcome, status: 'error', message: `could not read this check's history to learn from: ${errorMessage(history)}` };
      }
      return judgeOutcome(outcome, a, history.get(check.id) ?? [], ectx.now.getTime(), { timezone: ctx.dataset.timezone, domain: domainOf(check) });
    },
  };
}

/**
 * A history-based check's outcome judged against its training points: thresholds first (a
 * threshold's warn or fail stands, with the band in its details), then the band.
 */
export function judgeOutcome(outcome: Outcome, a: AnomalyConfig, training: readonly AnomalyPoint[], at: number, ctx: { timezone: string; domain: AnomalyDomain }): Outcome {
  // A value that could not be measured (an error, freshness with no timestamp) is not judged.
  if (outcome.status === 'error' || outcome.value === null || !Number.isFinite(outcome.value)) return outcome;
  const j = judgePoint(a, training, { at, value: outcome.value }, ctx.timezone, ctx.domain);
  const details = { ...outcome.details, anomaly: anomalyDetails(j) };
  if (outcome.status !== 'pass') return { ...outcome, details };
  const status = !j.learning && j.anomalous ? a.level : 'pass';
  return { ...outcome, status, details, message: anomalyMessage(j, outcome.value, outcome.unit, '', status) };
}
