// GET /api/incidents?state=open|resolved|all&limit=N[&dataset=NAME] → IncidentsResponse:
// incidents newest first (open ones on top), with their status history, their
// root cause (the tree), and for muted ones the silence (shown, never hidden). Guarded by the
// app-wide auth (src/server/auth.ts) like every other route.

import { Router } from 'express';
import { runbookHref } from '../alerts/links.js';
import { activeSilences, incidentSilence } from '../alerts/oncall.js';
import { rootCauses } from '../alerts/root-cause.js';
import type { SilenceDef } from '../alerts/schema.js';
import type { Project } from '../config/model.js';
import type { IncidentWithHistory, Store } from '../store/store.js';
import type { IncidentJson, IncidentsResponse } from './api-types.js';

/** An incident as the API shows it: how long it has lasted (to its resolution, or to when it was last seen). */
export function incidentJson(i: IncidentWithHistory): IncidentJson {
  return {
    id: i.id, check: i.checkId, dataset: i.dataset, kind: i.kind, status: i.status, state: i.state,
    opened_at: i.openedAt, last_seen_at: i.lastSeenAt, resolved_at: i.resolvedAt,
    duration_seconds: Math.max(0, Math.round((Date.parse(i.resolvedAt ?? i.lastSeenAt) - Date.parse(i.openedAt)) / 1000)),
    last_notification_at: i.lastSentAt, last_notification_queued_at: i.lastNotifiedAt, last_event: i.lastEvent,
    silenced: i.silencedReason !== null && i.silencedUntil !== null ? { reason: i.silencedReason, until: i.silencedUntil } : null,
    acknowledged: i.acknowledgedBy && i.acknowledgedAt ? { by: i.acknowledgedBy, at: i.acknowledgedAt, reason: i.ackReason ?? null } : null,
    url: `/incidents/${encodeURIComponent(i.id)}`,
    runbook: i.runbook, runbook_url: runbookHref(i.runbook, i.dataset, i.checkId, null), owner: i.owner, message: i.message, history: i.history,
    root: null, held: false, downstream: [],
  };
}

/** What the root-cause rules need to build the tree: the lineage and the group window, as configured now. */
export interface RootCauseConfig {
  upstreamOf: (dataset: string) => readonly string[];
  windowSeconds: number;
}

/**
 * The tree: each incident's root (the failing upstream incident that explains it), whether its
 * notifications are held back (open, nobody told, root open), and for a root the incidents under it.
 * Roots are looked for among the listed incidents and every open one.
 */
export function withRootCauses(list: IncidentJson[], open: IncidentWithHistory[], config: RootCauseConfig): IncidentJson[] {
  const all = new Map<string, { id: string; check: string; dataset: string; status: IncidentJson['status']; state: IncidentJson['state']; openedAt: string; resolvedAt: string | null }>();
  for (const i of open) all.set(i.id, { id: i.id, check: i.checkId, dataset: i.dataset, status: i.status, state: i.state, openedAt: i.openedAt, resolvedAt: i.resolvedAt });
  for (const i of list) all.set(i.id, { id: i.id, check: i.check, dataset: i.dataset, status: i.status, state: i.state, openedAt: i.opened_at, resolvedAt: i.resolved_at });
  const roots = rootCauses([...all.values()], config.upstreamOf, config.windowSeconds);
  const under = new Map<string, string[]>();
  for (const [child, root] of roots) (under.get(root.id) ?? under.set(root.id, []).get(root.id)!).push(child);
  return list.map((i) => {
    const r = roots.get(i.id);
    const root = r ? all.get(r.id) : undefined;
    return {
      ...i,
      root: root ? { id: root.id, check: root.check, dataset: root.dataset, state: root.state } : null,
      held: i.state === 'open' && i.last_notification_queued_at === null && root?.state === 'open',
      downstream: (under.get(i.id) ?? []).sort(),
    };
  });
}

/**
 * Silences as they are now, not as of the incident's last run: one added (or expired) a minute ago shows
 * at once. An open incident shows the silence muting it; a resolved one what its last run recorded.
 */
function withSilences(list: IncidentJson[], rows: Map<string, IncidentWithHistory>, project: Project, silences: SilenceDef[], now: Date): IncidentJson[] {
  return list.map((i) => {
    const row = rows.get(i.id);
    if (!row || i.state !== 'open') return i;
    const s = incidentSilence(project, row, silences, now);
    return { ...i, silenced: s ? { reason: s.reason, until: s.until, ...(s.id ? { id: s.id } : {}), ...(s.by ? { by: s.by } : {}) } : null };
  });
}

export function incidentsRouter(deps: { store: Store; rootCauses?: () => RootCauseConfig; project?: () => Project }): Router {
  const router = Router();
  router.get('/api/incidents', async (req, res, next) => {
    try {
      const state = String(req.query.state ?? 'all');
      if (!['open', 'resolved', 'all'].includes(state)) {
        res.status(400).json({ error: `state must be open, resolved or all (got ${state})` });
        return;
      }
      const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 200) || 200));
      const dataset = typeof req.query.dataset === 'string' && req.query.dataset !== '' ? req.query.dataset : undefined;
      const rows = await deps.store.incidents({ state: state as 'open' | 'resolved' | 'all', limit, ...(dataset !== undefined ? { dataset } : {}) });
      let listed = rows.map(incidentJson);
      const project = deps.project?.();
      if (project) {
        // Silences run on the wall clock (they are added and end in real time), whatever VIGIL_NOW says.
        const now = new Date();
        const silences = activeSilences(project, await deps.store.silences({ now: now.toISOString() }));
        listed = withSilences(listed, new Map(rows.map((r) => [r.id, r])), project, silences, now);
      }
      const config = deps.rootCauses?.();
      const body: IncidentsResponse = {
        incidents: config ? withRootCauses(listed, await deps.store.incidents({ state: 'open', limit: 1000 }), config) : listed,
      };
      res.json(body);
    } catch (err) { next(err); }
  });
  return router;
}
