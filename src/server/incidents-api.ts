// GET /api/incidents?state=open|resolved|all&limit=N[&dataset=NAME] → IncidentsResponse:
// incidents newest first (open ones on top), with their status history and,
// for muted ones, the silence (shown as silenced, never hidden). Guarded by the
// app-wide auth (src/server/auth.ts) like every other route.

import { Router } from 'express';
import type { IncidentWithHistory, Store } from '../store/store.js';
import type { IncidentJson, IncidentsResponse } from './api-types.js';

/** An incident as the API shows it: how long it has lasted (to its resolution, or to when it was last seen). */
export function incidentJson(i: IncidentWithHistory): IncidentJson {
  return {
    id: i.id, check: i.checkId, dataset: i.dataset, kind: i.kind, status: i.status, state: i.state,
    opened_at: i.openedAt, last_seen_at: i.lastSeenAt, resolved_at: i.resolvedAt,
    duration_seconds: Math.max(0, Math.round((Date.parse(i.resolvedAt ?? i.lastSeenAt) - Date.parse(i.openedAt)) / 1000)),
    last_notification_at: i.lastNotifiedAt, last_event: i.lastEvent,
    silenced: i.silencedReason !== null && i.silencedUntil !== null ? { reason: i.silencedReason, until: i.silencedUntil } : null,
    runbook: i.runbook, owner: i.owner, message: i.message, history: i.history,
  };
}

export function incidentsRouter(deps: { store: Store }): Router {
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
      const body: IncidentsResponse = {
        incidents: (await deps.store.incidents({ state: state as 'open' | 'resolved' | 'all', limit, ...(dataset !== undefined ? { dataset } : {}) })).map(incidentJson),
      };
      res.json(body);
    } catch (err) { next(err); }
  });
  return router;
}
