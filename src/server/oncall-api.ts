// Acknowledging and silencing from the API (and so from the incidents page and
// `vigil ack` / `vigil silence` through a running daemon): JSON bodies only,
// behind the app's token and same-origin guards (auth.ts, origin.ts) like POST /api/runs.
//
//   POST /api/incidents/:id/ack        { by?, reason? }                        → 200 { outcome, incident }
//   GET  /api/silences?all=true&dataset=NAME                                   → 200 { silences }
//   POST /api/silences                 { selector | match, for | until, reason, by? } → 201 { silence }
//   POST /api/silences/:id/expire      { by? }                                 → 200 { silence, already }

import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { acknowledgeIncident, affectsDataset, expireSilence, listSilences, newSilence, storedSilenceJson, whoOf } from '../alerts/oncall.js';
import type { Project } from '../config/model.js';
import type { Store } from '../store/store.js';
import { incidentJson } from './incidents-api.js';

const BODY_LIMIT = '20kb';

/** 415 unless the body is JSON: a form a cross-site page posts is not (and a session-cookie call must be JSON, auth.ts). */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (req.is('application/json')) return next();
  res.status(415).json({ error: 'send the body as JSON with Content-Type: application/json, e.g. {"reason": "looking into it"}' });
}

function body(req: Request): Record<string, unknown> | null {
  const b: unknown = req.body;
  if (b === undefined || b === null) return {};
  return typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
}

export interface OncallDeps {
  store: Store;
  project: () => Project;
  /** Who a request acts as when its body names nobody: the credential it came with. */
  who: (req: Request) => string;
}

export function oncallRouter(deps: OncallDeps): Router {
  const router = Router();
  const json = [requireJson, express.json({ limit: BODY_LIMIT })];

  router.post('/api/incidents/:id/ack', ...json, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const b = body(req);
      if (b === null) { res.status(400).json({ error: 'the body must be a JSON object such as {"reason": "looking into it"}' }); return; }
      if (b.reason !== undefined && b.reason !== null && typeof b.reason !== 'string') { res.status(400).json({ error: 'reason must be a string' }); return; }
      const reason = typeof b.reason === 'string' && b.reason.trim() !== '' ? b.reason.trim().slice(0, 500) : null;
      const r = await acknowledgeIncident(deps.store, deps.project(), String(req.params.id), whoOf(b.by, deps.who(req)), reason, new Date());
      if (r.incident === null) { res.status(r.outcome === 'ambiguous' ? 409 : 404).json({ error: 'error' in r ? r.error : `no incident ${String(req.params.id)}` }); return; }
      const incident = incidentJson({ ...r.incident, history: [] });
      if (r.outcome === 'resolved') { res.status(409).json({ error: `incident ${r.incident.id} is resolved: there is nothing to acknowledge`, outcome: r.outcome, incident }); return; }
      res.status(200).json({ outcome: r.outcome, incident });
    } catch (err) { next(err); }
  });

  router.get('/api/silences', async (req, res, next) => {
    try {
      const all = req.query.all === 'true' || req.query.all === '1';
      const project = deps.project();
      let silences = await listSilences(deps.store, project, new Date(), all);
      const dataset = typeof req.query.dataset === 'string' && req.query.dataset !== '' ? req.query.dataset : undefined;
      if (dataset !== undefined) silences = silences.filter((s) => affectsDataset(project, dataset, s.match));
      res.json({ silences });
    } catch (err) { next(err); }
  });

  router.post('/api/silences', ...json, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const b = body(req);
      if (b === null) { res.status(400).json({ error: 'the body must be a JSON object such as {"selector": "orders", "for": "2h", "reason": "backfill"}' }); return; }
      const unknown = Object.keys(b).filter((k) => !['selector', 'match', 'for', 'until', 'reason', 'by'].includes(k));
      if (unknown.length) { res.status(400).json({ error: `unknown key '${unknown[0]}' — the body takes selector (or match), for (or until), reason and by` }); return; }
      const now = new Date();
      const made = newSilence({
        ...(b.selector !== undefined ? { selector: b.selector as string | string[] } : {}), ...(b.match !== undefined ? { match: b.match } : {}),
        ...(b.for !== undefined ? { for: b.for as string } : {}), ...(b.until !== undefined ? { until: b.until as string } : {}),
        reason: b.reason, by: whoOf(b.by, deps.who(req)),
      }, now);
      if (typeof made === 'string') { res.status(400).json({ error: made }); return; }
      await deps.store.addSilence(made);
      res.status(201).json({ silence: storedSilenceJson(made, now) });
    } catch (err) { next(err); }
  });

  router.post('/api/silences/:id/expire', ...json, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const b = body(req) ?? {};
      const now = new Date();
      const r = await expireSilence(deps.store, String(req.params.id), whoOf(b.by, deps.who(req)), now);
      if ('error' in r) { res.status(r.status).json({ error: r.error }); return; }
      res.json({ silence: storedSilenceJson(r.silence, now), already: r.already });
    } catch (err) { next(err); }
  });
  return router;
}
