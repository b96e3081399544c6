// Builds the dashboard API's JSON (shapes in api-types.ts) from the configured
// datasets and the store's read models: latest results, rollups, run summaries
// and schema snapshots. Only whitelisted fields of the project go out.

import path from 'node:path';
import { STATUS_RANK, type ColumnInfo, type Status } from '../checks/kind.js';
import { problemJson, type Diagnostic } from '../config/diagnostics.js';
import { parseDuration } from '../config/duration.js';
import type { CheckDef, DatasetDef } from '../config/model.js';
import { thresholdsRecord } from '../checks/thresholds.js';
import { buildLineage, type LineageGraph, type LineageNodeKind } from '../lineage/graph.js';
import {
  BURN_WINDOWS, attainment, budgetRemaining, burnWords, computeSlo, runsNeeded, shownBudget, sloData, windowStart, type BurnWindow, type SloResult,
} from '../slo/slo.js';
import { formatDuration } from '../util/format.js';
import { runbookHref } from '../alerts/links.js';

const BURN_WINDOW_NAMES = Object.keys(BURN_WINDOWS) as BurnWindow[];
import type { BucketCount, CountWindow, HistoryRow, LatestResult, Store, WindowCount } from '../store/store.js';
import type {
  CheckHistory, CheckState, DatasetDetail, DatasetStatus, DatasetSummary, DatasetsResponse, FreshnessState, HistoryPoint,
  SchemaChange, SloDetail, SloSummary,
} from './api-types.js';

const RANK_STATUS: Status[] = ['pass', 'warn', 'fail', 'error'];
/** Overview order: failing first; a dataset never run sits between warn and pass. */
const ORDER: Record<DatasetStatus, number> = { error: 0, fail: 1, warn: 2, unknown: 3, pass: 4 };

export interface ViewContext {
  datasets: DatasetDef[];
  problems: Diagnostic[];
  root: string;
  now: Date;
  latest: Map<string, LatestResult>;
  incidents: Map<string, number>;
}

export function latestById(rows: LatestResult[]): Map<string, LatestResult> {
  return new Map(rows.map((r) => [r.check, r]));
}

/**
 * The results of checks configured now: a deleted check file, or a check taken out of one,
 * leaves its history in the store but is no longer part of the project's status. Every result
 * of `keep` (datasets whose file is invalid at the moment) stays: their last word still counts.
 */
export function configuredResults<T extends { check: string; dataset: string }>(
  results: readonly T[], datasets: readonly Pick<DatasetDef, 'checks'>[], keep: readonly string[] = [],
): T[] {
  const ids = new Set(datasets.flatMap((d) => d.checks.map((c) => c.id)));
  const kept = new Set(keep);
  return results.filter((r) => ids.has(r.check) || kept.has(r.dataset));
}

/** Worst status of the dataset's configured checks that have a result; `unknown` when none has. */
export function datasetStatus(ds: Pick<DatasetDef, 'checks'>, latest: Map<string, LatestResult>): DatasetStatus {
  let worst: DatasetStatus = 'unknown';
  for (const c of ds.checks) {
    const r = latest.get(c.id);
    if (!r) continue;
    if (worst === 'unknown' || STATUS_RANK[r.status] > STATUS_RANK[worst]) worst = r.status;
  }
  return worst;
}

function seconds(v: unknown): number | null {
  return typeof v === 'string' ? (parseDuration(v) ?? null) : null;
}

function freshnessOf(ds: DatasetDef, latest: Map<string, LatestResult>): FreshnessState | null {
  const check = ds.checks.find((c) => c.kind === 'freshness');
  const r = check ? latest.get(check.id) : undefined;
  if (!check || !r) return null;
  return {
    check: check.id, status: r.status, age_seconds: r.value, evaluated_at: r.evaluated_at,
    warn_after_seconds: seconds(check.options.warn_after), fail_after_seconds: seconds(check.options.fail_after),
  };
}

/** SLOs are computed over the hourly rollups. */
const SLO_BUCKET_SECONDS = 3600;

/** The hour bucket counts an SLO computation needs: from the oldest window start on. */
export function sloFrom(datasets: DatasetDef[], now: Date): { ids: string[]; from: Date } {
  const ids: string[] = [];
  let longest = 0;
  for (const ds of datasets) {
    if (!ds.slo) continue;
    longest = Math.max(longest, ds.slo.windowSeconds);
    for (const o of ds.slo.objectives) ids.push(`${ds.name}.${o.check}`);
  }
  return { ids, from: new Date(windowStart(now.getTime(), longest, SLO_BUCKET_SECONDS)) };
}

/** Runs and failing runs of each SLO objective's check in its window. */
export type SloTotals = Map<string, WindowCount>;

/** The window of each objective, as computeSlo counts it (inWindow): a summary needs only these sums, not the buckets. */
export function sloWindows(datasets: DatasetDef[], now: Date): CountWindow[] {
  return datasets.flatMap(({ name, slo }) => (slo ? slo.objectives.map((o) => ({
    checkId: `${name}.${o.check}`, after: new Date(windowStart(now.getTime(), slo.windowSeconds, SLO_BUCKET_SECONDS)), upto: now,
  })) : []));
}

function sloResult(ds: DatasetDef, objective: { check: string; target: number }, counts: Map<string, BucketCount[]>, now: Date): SloResult {
  const id = `${ds.name}.${objective.check}`;
  return computeSlo({
    target: objective.target,
    windowSeconds: ds.slo?.windowSeconds ?? 28 * 86400,
    now: now.getTime(),
    bucketSeconds: SLO_BUCKET_SECONDS,
    buckets: (counts.get(id) ?? []).map((b) => ({ at: Date.parse(b.at), runs: b.runs, failing: b.failing })),
  });
}

/** Six decimals: enough for any percentage, without float noise (99.99999999999991). */
function r6(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1e6) / 1e6;
}

/** Attainment and budget left, from the window's sums: the same numbers computeSlo gives (sloDetails). */
function sloSummaries(ds: DatasetDef, totals: SloTotals): SloSummary[] {
  return (ds.slo?.objectives ?? []).map((o) => {
    const { runs, failing } = totals.get(`${ds.name}.${o.check}`) ?? { runs: 0, failing: 0 };
    return {
      check: `${ds.name}.${o.check}`, target: o.target, window_seconds: ds.slo?.windowSeconds ?? 28 * 86400,
      attainment: r6(attainment(runs, failing)), budget_remaining: r6(budgetRemaining(runs, failing, o.target)),
      data: sloData(runs, o.target), runs_needed: runsNeeded(o.target), runs,
    };
  });
}

export function sloDetails(datasets: DatasetDef[], counts: Map<string, BucketCount[]>, now: Date): SloDetail[] {
  return datasets.flatMap((ds) => (ds.slo?.objectives ?? []).map((o): SloDetail => {
    const s = sloResult(ds, o, counts, now);
    const windowSeconds = ds.slo?.windowSeconds ?? 28 * 86400;
    return {
      dataset: ds.name, check: `${ds.name}.${o.check}`, check_id: `${ds.name}.${o.check}`, target: o.target, window_seconds: windowSeconds,
      attainment: r6(s.attainment), budget_remaining: r6(s.budgetRemaining),
      runs_in_window: s.runs, failing_runs: s.failing, budget_runs: r6(s.budgetRuns), budget_remaining_seconds: r6(s.budgetRemainingSeconds),
      burn_rates: { '1h': r6(s.burnRates['1h']), '6h': r6(s.burnRates['6h']), '24h': r6(s.burnRates['24h']), '3d': r6(s.burnRates['3d']) },
      burndown: s.burndown.map((p) => ({ at: new Date(p.at).toISOString(), budget_remaining: r6(p.budgetRemaining) ?? 0 })),
      zero_budget: s.zeroBudget, budget_exhausted: s.exhausted,
      data: sloData(s.runs, o.target), runs_needed: runsNeeded(o.target), runs: s.runs,
      shown: {
        budget_remaining: r6(shownBudget(s.budgetRemaining)),
        budget_remaining_seconds: s.budgetRemainingSeconds === null ? null : r6(Math.max(0, s.budgetRemainingSeconds)),
      },
      burn_words: Object.fromEntries(BURN_WINDOW_NAMES.map((w) => [w, burnWords(w, s.burnCounts[w], o.target, windowSeconds, formatDuration)])) as SloDetail['burn_words'],
    };
  }));
}

export function summaryOf(ds: DatasetDef, ctx: ViewContext, graph: LineageGraph, totals: SloTotals): DatasetSummary {
  const tally: Record<Status, number> = { pass: 0, warn: 0, fail: 0, error: 0 };
  let last: string | null = null;
  for (const c of ds.checks) {
    const r = ctx.latest.get(c.id);
    if (!r) continue;
    tally[r.status]++;
    if (last === null || r.recorded_at > last) last = r.recorded_at;
  }
  return {
    name: ds.name,
    description: ds.description ?? null,
    owner: ds.owner ?? null,
    tags: [...ds.tags],
    runbook: ds.runbook ?? null,
    runbook_url: runbookHref(ds.runbook, ds.name, null, null),
    file: path.relative(ctx.root, ds.file).split(path.sep).join('/'),
    schedule: ds.schedule,
    status: datasetStatus(ds, ctx.latest),
    counts: tally,
    last_run_at: last,
    freshness: freshnessOf(ds, ctx.latest),
    slos: sloSummaries(ds, totals),
    upstream: graph.upstreamOf(ds.name),
    downstream: graph.downstreamOf(ds.name),
    open_incidents: ctx.incidents.get(ds.name) ?? 0,
  };
}

export function datasetsView(ctx: ViewContext, totals: SloTotals): DatasetsResponse {
  const graph = buildLineage(ctx.datasets);
  const rows = ctx.datasets.map((ds) => summaryOf(ds, ctx, graph, totals));
  rows.sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.name.localeCompare(b.name));
  return { generated_at: ctx.now.toISOString(), config_problems: ctx.problems.map(problemJson), datasets: rows };
}

function checkState(c: CheckDef, r: LatestResult | undefined): CheckState {
  return {
    id: c.id, name: c.name, kind: c.kind,
    description: c.description ?? null,
    status: r?.status ?? 'unknown',
    value: r?.value ?? null,
    unit: r?.unit ?? null,
    message: r?.message ?? null,
    thresholds: r?.thresholds ?? configThresholds(c),
    details: r?.details ?? {},
    runbook: c.runbook ?? r?.runbook ?? null,
    runbook_url: runbookHref(c.runbook ?? r?.runbook ?? null, c.dataset, c.id, null),
    evaluated_at: r?.evaluated_at ?? null,
  };
}

/** The thresholds a check is configured with, as results record them. */
export function configThresholds(c: CheckDef): Record<string, unknown> {
  if (c.kind === 'freshness') {
    const out: Record<string, unknown> = {};
    if (c.options.warn_after !== undefined) out.warn_after = c.options.warn_after;
    if (c.options.fail_after !== undefined) out.fail_after = c.options.fail_after;
    return out;
  }
  return thresholdsRecord({ ...(c.warn !== undefined ? { warn: c.warn } : {}), ...(c.fail !== undefined ? { fail: c.fail } : {}) });
}

/** Consecutive snapshots diffed: what each schema change added, removed and retyped. Newest first. */
export function schemaChanges(snapshots: Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const before = new Map((snapshots[i - 1]?.columns ?? []).map((c) => [c.name, c.type]));
    const snap = snapshots[i];
    if (!snap) continue;
    const after = new Map(snap.columns.map((c) => [c.name, c.type]));
    const change: SchemaChange = { at: snap.recorded_at, run_id: snap.run_id, added: [], removed: [], retyped: [] };
    for (const [name, type] of after) {
      const was = before.get(name);
      if (was === undefined) change.added.push({ name, type });
      else if (was !== type) change.retyped.push({ column: name, from: was, to: type });
    }
    for (const [name, type] of before) if (!after.has(name)) change.removed.push({ name, type });
    if (change.added.length || change.removed.length || change.retyped.length) out.push(change);
  }
  return out.reverse();
}

export async function datasetDetailView(ds: DatasetDef, ctx: ViewContext, store: Store, totals: SloTotals): Promise<DatasetDetail> {
  const graph = buildLineage(ctx.datasets);
  const byName = new Map(ctx.datasets.map((d) => [d.name, d]));
  const statusOf = (name: string): DatasetStatus => {
    const d = byName.get(name);
    return d ? datasetStatus(d, ctx.latest) : 'unknown';
  };
  const kinds = new Map(graph.nodes.map((n) => [n.name, n.kind]));
  const kindOf = (name: string): LineageNodeKind => kinds.get(name) ?? 'undeclared';
  const [snapshots, runs] = [await store.schemaSnapshots(ds.name), await store.recentDatasetRuns(ds.name, 20)];
  const problems = await store.notPassingChecks(ds.name, runs.filter((r) => r.status !== 'pass').map((r) => r.run_id));
  const summary = summaryOf(ds, ctx, graph, totals);
  return {
    ...summary,
    source: ds.source.display,
    checks: ds.checks.map((c) => checkState(c, ctx.latest.get(c.id))),
    schema: snapshots.length ? (snapshots[snapshots.length - 1]?.columns ?? null) : null,
    schema_changes: schemaChanges(snapshots),
    recent_runs: runs.map((r) => ({
      run_id: r.run_id, started_at: r.started_at, finished_at: r.finished_at, duration_ms: r.duration_ms, status: r.status, error: r.error,
      not_passing: [...(problems.get(r.run_id) ?? [])].sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || a.check.localeCompare(b.check)),
    })),
    upstream_status: summary.upstream.map((name) => ({ name, status: statusOf(name), kind: kindOf(name) })),
    downstream_status: summary.downstream.map((name) => ({ name, status: statusOf(name), kind: kindOf(name) })),
  };
}

/** Resolution of a history window: every run up to 2 days, hourly below 90 days, daily from 90 days. */
export function historyResolution(days: number): CheckHistory['resolution'] {
  return days <= 2 ? 'run' : days < 90 ? 'hour' : 'day';
}

export function historyPoints(rows: HistoryRow[]): HistoryPoint[] {
  return rows.map((r) => ({ at: r.at, value: r.value, min: r.min, max: r.max, status: RANK_STATUS[r.worst] ?? 'error', runs: r.runs }));
}

export function findCheck(datasets: DatasetDef[], id: string): CheckDef | undefined {
  for (const ds of datasets) for (const c of ds.checks) if (c.id === id) return c;
  return undefined;
}
