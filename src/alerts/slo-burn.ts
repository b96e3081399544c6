// SLO burn-rate alerts (`alert: burn_rate` on an objective): each run of the
// objective's check is judged against its recent history by decideBurn (src/slo/burn.ts),
// and the verdict becomes one more result of the dataset for the incident planner —
// `<dataset>.slo:<check>`, fail for a page, warn for a ticket, pass otherwise — so it
// has an incident life of its own: opened, escalated (ticket → page), reminded,
// acknowledged, silenced, resolved, through the same routes and channels.

import type { DatasetDef, Project } from '../config/model.js';
import { DEFAULT_BURN_RULES, decideBurn, longestWindow, type BurnDecision, type BurnRun, type BurnWindowRate } from '../slo/burn.js';
import type { CheckResult, DatasetRun, IncidentPlanner, Store } from '../store/store.js';
import { formatDuration } from '../util/format.js';
import { incidentPlanner, type PlanContext } from './plan.js';

export const SLO_BURN_KIND = 'slo_burn_rate';

/** The id of an objective's burn-rate alert: `:` never appears in a check name, so it cannot clash with one. */
export function burnCheckId(dataset: string, check: string): string {
  return `${dataset}.slo:${check}`;
}

const rateText = (w: BurnWindowRate): string => (w.rate === null ? 'no run' : w.rate === Infinity ? '∞×' : `${w.rate < 10 ? w.rate.toFixed(1) : Math.round(w.rate)}×`);

const THRESHOLDS = {
  fail: DEFAULT_BURN_RULES.filter((r) => r.severity === 'page').map((r) => `${r.factor}× (${formatDuration(r.long)} and ${formatDuration(r.short)})`).join(' or '),
  warn: DEFAULT_BURN_RULES.filter((r) => r.severity === 'ticket').map((r) => `${r.factor}× (${formatDuration(r.long)} and ${formatDuration(r.short)})`).join(' or '),
};

/** The burn-rate verdict as a result: what the message and the incident show. */
export function burnResult(ds: DatasetDef, objective: { check: string; target: number }, source: CheckResult, d: BurnDecision): CheckResult {
  const shown = d.rules.find((r) => r.rule === d.rule) ?? d.rules[0];
  const value = shown?.long.rate ?? null;
  const status = d.severity === 'page' ? 'fail' : d.severity === 'ticket' ? 'warn' : 'pass';
  const slo = `SLO ${objective.target}% on ${source.check}`;
  const message = d.rule && shown
    ? `${slo}: the error budget burns ${rateText(shown.long)} over ${formatDuration(shown.long.seconds)} and ${rateText(shown.short)} over ${formatDuration(shown.short.seconds)} (${d.severity} at ${d.rule.factor}×)`
    : `${slo}: no fast burn (${d.rules.map((r) => `${rateText(r.long)} over ${formatDuration(r.long.seconds)}`).join(', ')})`;
  return {
    check: burnCheckId(ds.name, objective.check), dataset: ds.name, kind: SLO_BURN_KIND, name: `slo:${objective.check}`, status,
    value: value === null || !Number.isFinite(value) ? null : Math.round(value * 100) / 100, unit: '× budget', message,
    runbook: source.runbook, owner: source.owner, tags: source.tags, thresholds: THRESHOLDS,
    details: {
      slo: {
        check: source.check, target: objective.target, severity: d.severity,
        windows: d.rules.map((r) => ({
          severity: r.rule.severity, factor: r.rule.factor, fires: r.fires,
          long: { seconds: r.long.seconds, runs: r.long.runs, failing: r.long.failing, burn_rate: Number.isFinite(r.long.rate ?? 0) ? r.long.rate : null },
          short: { seconds: r.short.seconds, runs: r.short.runs, failing: r.short.failing, burn_rate: Number.isFinite(r.short.rate ?? 0) ? r.short.rate : null },
        })),
      },
    },
    evaluated_at: source.evaluated_at, duration_ms: 0,
  };
}

/** The burn-rate results of a dataset's run: one per objective with alert: burn_rate whose check ran. */
export async function burnResults(ds: DatasetDef, outcome: DatasetRun, store: Store): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const o of ds.slo?.objectives ?? []) {
    if (o.alert !== 'burn_rate') continue;
    const source = outcome.results.find((r) => r.check === `${ds.name}.${o.check}`);
    if (!source) continue;
    const now = Date.parse(source.evaluated_at);
    const history = await store.checkHistory(source.check, new Date(now - longestWindow() * 1000), new Date(now), 'run');
    // This run's own result is not recorded yet: it is judged with the history before it.
    const runs: BurnRun[] = history.points.rows().map((p) => ({ at: Date.parse(p.at), failing: p.failing > 0 })).filter((r) => r.at < now);
    runs.push({ at: now, failing: source.status === 'fail' || source.status === 'error' });
    out.push(burnResult(ds, o, source, decideBurn(runs, o.target, now)));
  }
  return out;
}

/** The incident planner of a dataset's run, its burn-rate verdicts included (read from the store first). */
export async function planWithBurnRates(ctx: PlanContext, store: Store): Promise<IncidentPlanner> {
  const extra = ctx.dataset.slo?.objectives.some((o) => o.alert === 'burn_rate') ? await burnResults(ctx.dataset, ctx.outcome, store) : [];
  return incidentPlanner(extra.length ? { ...ctx, outcome: { ...ctx.outcome, results: [...ctx.outcome.results, ...extra] } } : ctx);
}
