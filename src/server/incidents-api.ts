// GET /api/incidents?state=open|resolved|all&limit=N[&dataset=NAME] → IncidentsResponse:
// incidents newest first (open ones on top), with their status history and,
// for muted ones, the silence (shown as silenced, never hidden). Guarded by the
// app-wide auth (src/server/auth.ts) like every other route.

import { Router } from 'express';
import type { Store } from '../store/store.js';
import type { IncidentsResponse } from './api-types.js';

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
        incidents: await deps.store.incidents({ state: state as 'open' | 'resolved' | 'all', limit, ...(dataset !== undefined ? { dataset } : {}) }),
      };
      res.json(body);
    } catch (err) { next(err); }
  });
  return router;
}
