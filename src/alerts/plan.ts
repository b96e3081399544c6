// From one dataset's results to what its transaction writes besides them:
// incident updates (decideIncident), their history, and one outbox row per
// routed message (silenced ones recorded as such). The store calls the
// planner with the open incidents it read inside that transaction.

import { createHash } from 'node:crypto';
import { bandOf } from '../anomaly/band.js';
import type { DatasetDef, Project } from '../config/model.js';
import { buildLineage } from '../lineage/graph.js';
import type { CheckResult, DatasetRun, IncidentPlanner, IncidentRow, IncidentWrites } from '../store/store.js';
import type { RunSoFar } from '../run/run.js';
import { decideIncident, incidentId } from './incidents.js';
import { dashboardBase, dashboardLink, incidentLink, runbookHref } from './links.js';
import { holdDecision, rootCauses, type FailingIncident } from './root-cause.js';
import type { AlertMessage } from './message.js';
import { routeNotifications, silenceDef, silenceFor, silencedNote, type NotificationItem } from './routing.js';

/** Stable idempotency key of a message: its channel and each (incident, event, event time) it carries. */
export function messageKey(channel: string, items: Array<Pick<NotificationItem, 'incidentId' | 'event' | 'at'>>): string {
  const parts = items.map((i) => `${i.incidentId}|${i.event}|${i.at}`).sort();
  return createHash('sha256').update(JSON.stringify([channel, parts])).digest('hex').slice(0, 32);
}

export { dashboardLink } from './links.js';

export interface PlanContext {
  project: Project;
  dataset: DatasetDef;
  outcome: DatasetRun;
  runId: string;
  /** false with --no-alerts: incidents still move, nothing is queued (and nobody counts as told). */
  notify: boolean;
  /** The rest of the run (other datasets' outcomes, open incidents): what root causes are found from. */
  run?: RunSoFar;
}

/**
 * Every other dataset's failing incidents as of this moment: open incidents as the run began, moved on
 * by the outcomes of this run's datasets that have already run (a pass resolves one, a new failure is a
 * new incident with the id decideIncident gives it).
 */
export function failingElsewhere(run: RunSoFar | undefined, dataset: string): FailingIncident[] {
  if (!run) return [];
  const byCheck = new Map<string, FailingIncident>();
  for (const i of run.openIncidents) {
    if (i.dataset !== dataset) byCheck.set(i.checkId, { id: i.id, dataset: i.dataset, status: i.status, state: 'open', openedAt: i.openedAt, resolvedAt: null });
  }
  for (const [name, outcome] of run.outcomes) {
    if (name === dataset) continue;
    for (const r of outcome.results) {
      const prev = byCheck.get(r.check);
      if (r.status === 'pass') {
        if (prev && prev.state === 'open') byCheck.set(r.check, { ...prev, state: 'resolved', resolvedAt: r.evaluated_at });
      } else if (prev && prev.state === 'open') {
        byCheck.set(r.check, { ...prev, status: r.status });
      } else {
        byCheck.set(r.check, { id: incidentId(r.check, r.evaluated_at), dataset: r.dataset, status: r.status, state: 'open', openedAt: r.evaluated_at, resolvedAt: null });
      }
    }
  }
  return [...byCheck.values()];
}

export function incidentPlanner(ctx: PlanContext): IncidentPlanner {
  const { project, dataset, outcome, runId } = ctx;
  // The alert files' silences and those kept in the store (read as the run began).
  const alerts = { ...project.alerts, silences: [...project.alerts.silences, ...(ctx.run?.silences ?? []).map(silenceDef)] };
  const base = dashboardBase(project);
  return (open: Map<string, IncidentRow>): IncidentWrites => {
    const writes: IncidentWrites = { incidents: [], history: [], outbox: [] };
    const items: NotificationItem[] = [];
    const pending: Array<{ row: IncidentRow; insert: boolean; prev: IncidentRow | null; item: NotificationItem | null; at: string; result: CheckResult['status']; statusChanged: boolean }> = [];
    for (const r of outcome.results) {
      const prev = open.get(r.check) ?? null;
      const d = decideIncident(prev, { checkId: r.check, status: r.status, at: r.evaluated_at }, alerts.policy);
      if (!d.next) continue;
      const row: IncidentRow = {
        ...(prev ?? { silencedReason: null, silencedUntil: null, lastSentAt: null }),
        ...d.next,
        dataset: r.dataset, kind: r.kind, runbook: r.runbook, owner: r.owner,
        // A resolved incident keeps the message of its failure.
        message: r.status === 'pass' && prev ? prev.message : r.message,
      };
      let item: NotificationItem | null = null;
      if (d.event) {
        item = {
          event: d.event, incidentId: row.id, at: r.evaluated_at, check: r.check, name: r.name, kind: r.kind, dataset: r.dataset,
          status: r.status, previousStatus: d.event === 'escalated' || d.event === 'resolved' ? (prev?.notifiedStatus ?? null) : null,
          value: r.value, unit: r.unit, message: r.message, thresholds: r.thresholds, runbook: runbookHref(r.runbook, r.dataset, r.check, base), owner: r.owner, tags: r.tags,
          openedAt: row.openedAt, incidentUrl: incidentLink(project, row.id),
        };
        const band = bandOf(r.details);
        if (band) item.band = { expected: band.expected, lower: band.lower, upper: band.upper };
      }
      pending.push({ row, insert: d.opened, prev, item, at: r.evaluated_at, result: r.status, statusChanged: d.statusChanged });
    }

    // Root causes: a first notification explained by a failing upstream incident that is open is held back.
    const graph = buildLineage(project.datasets);
    const elsewhere = failingElsewhere(ctx.run, dataset.name);
    const own: FailingIncident[] = pending.map((p) => ({ id: p.row.id, dataset: p.row.dataset, status: p.row.status, state: p.row.state, openedAt: p.row.openedAt, resolvedAt: p.row.resolvedAt }));
    const roots = rootCauses([...elsewhere, ...own], graph.upstreamOf, alerts.policy.groupWindowSeconds);
    const ownIds = new Set(own.map((o) => o.id));
    for (const p of pending) {
      const held = p.item ? holdDecision(p.item.event, roots.get(p.row.id)) : { hold: false as const };
      if (p.item && !held.hold) items.push(p.item);
      const event = held.hold ? null : (p.item?.event ?? null);
      if (p.statusChanged || event) writes.history.push({ incidentId: p.row.id, at: p.at, status: p.result, event, runId });
    }
    // This dataset as a root: the downstream datasets failing because of it, named in its message.
    const downstreamFailing = [...new Set(elsewhere.filter((x) => x.state === 'open' && ownIds.has(roots.get(x.id)?.id ?? '')).map((x) => x.dataset))].sort();

    const groups = ctx.notify ? routeNotifications(items, alerts, new Date(outcome.finishedAt)) : [];
    const routed = new Set<string>();
    const atRisk = items.some((i) => i.event !== 'resolved') ? buildLineage(project.datasets).atRisk(dataset.name) : [];
    // What a silence muted on a channel is named in what that channel is still sent for this dataset.
    const mutedOn = new Map<string, NonNullable<AlertMessage['silenced']>>();
    for (const g of groups) {
      if (!g.silence) continue;
      const list = mutedOn.get(g.channel) ?? mutedOn.set(g.channel, []).get(g.channel)!;
      for (const i of g.items) list.push({ check: i.check, ...g.silence });
    }
    for (const g of groups) {
      const key = messageKey(g.channel, g.items);
      const muted = g.silence ? [] : (mutedOn.get(g.channel) ?? []);
      const createdAt = outcome.finishedAt;
      const message: AlertMessage = {
        key, channel: g.channel, dataset: dataset.name, runId, createdAt,
        description: dataset.description ?? null, owner: dataset.owner ?? null, tags: dataset.tags, runbook: runbookHref(dataset.runbook, dataset.name, null, base),
        dashboardUrl: dashboardLink(project, dataset.name), atRisk, items: g.items,
        ...(downstreamFailing.length && g.items.some((i) => i.event !== 'resolved') ? { downstreamFailing } : {}),
        ...(muted.length ? { silenced: muted } : {}),
      };
      writes.outbox.push({
        key, channel: g.channel, dataset: dataset.name, runId, payload: message,
        state: g.silence ? 'silenced' : 'pending', attempts: 0, nextAttemptAt: g.silence ? null : createdAt,
        lastError: g.silence ? silencedNote(g.silence) : null, createdAt, deliveredAt: null,
      });
      for (const i of g.items) routed.add(i.incidentId);
    }

    for (const p of pending) {
      const row = { ...p.row };
      // Told only if a message was queued (or muted): with no route or --no-alerts the next run tries again.
      if (p.item && !routed.has(row.id)) {
        row.notifiedStatus = p.prev?.notifiedStatus ?? null;
        row.lastNotifiedAt = p.prev?.lastNotifiedAt ?? null;
        row.lastEvent = p.prev?.lastEvent ?? null;
      }
      const silence = row.state === 'open'
        ? silenceFor({ dataset: row.dataset, owner: row.owner, tags: tagsOf(outcome, row.checkId), kind: row.kind, status: row.status, check: row.checkId }, alerts.silences, new Date(outcome.finishedAt))
        : null;
      row.silencedReason = silence?.reason ?? null;
      row.silencedUntil = silence?.until ?? null;
      writes.incidents.push({ row, insert: p.insert });
    }
    return writes;
  };
}

function tagsOf(outcome: DatasetRun, checkId: string): string[] {
  return outcome.results.find((r) => r.check === checkId)?.tags ?? [];
}
