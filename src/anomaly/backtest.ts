// vigil backtest: the check's anomaly detection replayed over the last days —
// per bucket straight from the data (timestamp_column: no history needed), or
// over the check's recorded runs — so a sensitivity can be tuned before it
// alerts anyone ("how many alerts would I have had last month?").

import type { CheckDef, DatasetDef } from '../config/model.js';
import type { Engines } from '../run/runtime.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { runDataset } from '../run/dataset-run.js';
import { BUCKET_SECONDS, type AnomalyConfig } from './config.js';
import { planCheck } from './evaluate.js';
import { domainOf, judgePoint } from './judgement.js';
import type { AnomalyPoint } from './method.js';
import { backtestPoint, planBucketBacktest, type BacktestPoint } from './source.js';

export interface Backtest {
  check: string;
  /** data: per time bucket of the timestamp_column; history: the check's recorded runs. */
  source: 'data' | 'history';
  bucket: string | null;
  unit: string;
  from: string;
  to: string;
  /** Oldest first. */
  points: BacktestPoint[];
  /** Points that would have been warn or fail. */
  alerts: number;
  /** Set when the points could not be read (the source, the store). */
  error: string | null;
}

export interface BacktestInput {
  dataset: DatasetDef;
  check: CheckDef & { anomaly: AnomalyConfig };
  days: number;
  now: Date;
  engines: Engines;
  /** Needed for points from history only. */
  store: (() => Promise<Pick<Store, 'checkValues'>>) | null;
  log: Logger;
}

export async function backtest(input: BacktestInput): Promise<Backtest> {
  const { check, days, now } = input;
  const a = check.anomaly;
  const from = new Date(now.getTime() - days * 86_400_000);
  const base = { check: check.id, from: from.toISOString(), to: now.toISOString() };
  if (a.timestampColumn !== undefined) {
    const n = Math.max(1, Math.ceil((days * 86_400) / BUCKET_SECONDS[a.bucket]));
    const ds: DatasetDef = { ...input.dataset, checks: [check] };
    const run = await runDataset(ds, {
      engines: input.engines, now: () => now, previousSchema: null, log: input.log,
      plan: (c, ctx) => (c.id === check.id ? planBucketBacktest(c, a, ctx, n) : planCheck(c, ctx)),
    });
    const r = run.results[0];
    const points = (r?.status === 'error' ? [] : (r?.details.backtest as BacktestPoint[] | undefined)) ?? [];
    return {
      ...base, source: 'data', bucket: a.bucket, unit: r?.unit ?? 'rows', points,
      alerts: points.filter((p) => p.status !== 'pass').length, error: r?.status === 'error' ? r.message : null,
    };
  }
  // From history: each recorded run in the window, judged against the runs of `training` before it.
  const windowStart = new Date(from.getTime() - a.trainingSeconds * 1000);
  let recorded: AnomalyPoint[] = [];
  let error: string | null = null;
  try {
    const store = await (input.store as NonNullable<BacktestInput['store']>)();
    const found = (await store.checkValues([{ checkId: check.id, from: windowStart, to: now }])).get(check.id) ?? [];
    recorded = found.map((v) => ({ at: Date.parse(v.at), value: v.value }));
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const domain = domainOf(check);
  const points = recorded.filter((p) => p.at >= from.getTime()).map((p) => {
    const training = recorded.filter((q) => q.at < p.at && q.at >= p.at - a.trainingSeconds * 1000);
    return backtestPoint(p.at, p.value, judgePoint(a, training, p, input.dataset.timezone, domain), a);
  });
  return { ...base, source: 'history', bucket: null, unit: unitOf(check), points, alerts: points.filter((p) => p.status !== 'pass').length, error };
}

function unitOf(check: CheckDef): string {
  if (check.kind === 'freshness') return 'seconds';
  if (check.kind === 'sql') return 'value';
  return 'rows';
}
