// The HTTP side of `vigil serve`: health, Prometheus metrics, and the API the
// CLI uses to hand `run` and `status` to a running daemon (which owns the
// store). Bound to 127.0.0.1 unless configured otherwise.

import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { selectDatasets } from '../run/select.js';
import { problemJson } from '../config/diagnostics.js';
import { runJson } from '../run/report.js';
import { summarize } from '../run/run.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Metrics } from './metrics.js';
import { pagesRouter } from './pages.js';
import { incidentsRouter } from './incidents-api.js';
import { apiRouter } from './api.js';
import { configuredResults } from './views.js';
import { createAuth } from './auth.js';
import type { Project } from '../config/model.js';
import { channelSecrets, replaceSecrets } from '../alerts/redact.js';

/** Values that must never appear in a response: tokens, connection URLs and alert channel secrets. */
function secretsOf(project: Project, deps: Pick<AppDeps, 'token' | 'internalToken'>): string[] {
  return [deps.token ?? '', deps.internalToken, project.config.dashboard.token ?? '', ...Object.values(project.config.connections).map((c) => c.url),
    ...channelSecrets(project.alerts.channels)]
    .filter((s) => s !== '');
}

export interface AppDeps {
  scheduler: Scheduler;
  store: Store;
  metrics: Metrics;
  log: Logger;
  /** dashboard.token, when set: every page and API call (not /healthz) needs it, as a bearer token or the login form's session. */
  token: string | null;
  /** The daemon's own token (in .vigil/serve.json, mode 0600), which the CLI sends; always accepted. */
  internalToken: string;
  /** Open incidents per dataset (the alerting side); 0 everywhere without it. */
  incidentCounts?: () => Promise<Map<string, number>>;
  /** The clock for SLO and history windows; default VIGIL_NOW or the real time. */
  now?: () => Date;
}

export function createApp(deps: AppDeps): express.Express {
  const { scheduler, store, metrics, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Pages load only their own scripts and styles: text from check files or data can never run.
  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'connect-src': ["'self'"], 'upgrade-insecure-requests': null },
    },
    // Served over plain http on localhost by default: no HSTS/upgrade that would lock a browser out.
    strictTransportSecurity: false,
  }));
  app.use(express.json({ limit: '100kb' }));
  // Every JSON answer goes out scrubbed of the secrets vigil knows (the dashboard API's own,
  // cached bodies are scrubbed once when built, in api.ts, with the same list).
  const secrets = () => secretsOf(scheduler.projectNow(), deps);
  app.use((_req, res, next) => {
    res.json = (body: unknown) => res.type('application/json').send(replaceSecrets(JSON.stringify(body) ?? '', secrets()));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({
      status: 'ok',
      scheduler: { alive: true, started_at: scheduler.startedAt.toISOString(), timezone: scheduler.timezone },
      datasets: scheduler.state().map((s) => ({
        name: s.name, schedule: s.schedule, running: s.running, last_run: s.lastRunAt, last_status: s.lastStatus,
        next_run: s.nextRunAt, skipped_ticks: s.skippedTicks,
      })),
      config_problems: scheduler.problems.map(problemJson),
    });
  });

  // Everything below needs dashboard.token when it is set (bearer, or the login form's session).
  app.use(createAuth({ token: () => deps.token, internalToken: deps.internalToken }).router);

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.get('/api/status', async (_req, res, next) => {
    try {
      const [stored, runs] = [await store.latestResults(), await store.runs(1)];
      // The scheduler's datasets include the last valid version of any file that is invalid now.
      const results = configuredResults(stored, scheduler.datasetsNow());
      res.json({
        last_run: runs[0] ?? null, summary: summarize(results), results,
        datasets: scheduler.state(),
        config_problems: scheduler.problems.map(problemJson),
      });
    } catch (err) { next(err); }
  });

  app.get('/api/runs', async (req, res, next) => {
    try {
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
      res.json({ runs: await store.runs(limit) });
    } catch (err) { next(err); }
  });

  // Trigger a run. { select?: string[], now?: ISO, alerts?: false } — waits for the run and returns it (the CLI's `vigil run`).
  app.post('/api/runs', (req, res, next) => {
    const body = (req.body ?? {}) as { select?: unknown; now?: unknown; alerts?: unknown };
    const selectors = Array.isArray(body.select) ? body.select.map(String) : [];
    let now: Date | undefined;
    if (typeof body.now === 'string' && body.now !== '') {
      now = new Date(body.now);
      if (Number.isNaN(now.getTime())) { res.status(400).json({ error: `now ${body.now} is not an ISO-8601 time` }); return; }
    }
    const { selected, unmatched } = selectDatasets(scheduler.datasetsNow(), selectors);
    if (unmatched.length > 0) {
      res.status(400).json({ error: `nothing matches ${unmatched.map((u) => `'${u}'`).join(', ')}`, datasets: scheduler.datasetsNow().map((d) => d.name) });
      return;
    }
    scheduler.runNow(selected, 'api', { selectors, alerts: body.alerts !== false, ...(now ? { now } : {}) })
      .then((report) => res.status(201).json(runJson(report)))
      .catch((err: unknown) => {
        if (err instanceof VigilError && err.code === 'SHUTTING_DOWN') res.status(503).json({ error: err.message });
        else next(err);
      });
  });

  app.use(incidentsRouter({ store }));
  const fixedNow = process.env.VIGIL_NOW ? new Date(process.env.VIGIL_NOW) : null;
  app.use(apiRouter({
    scheduler, store,
    now: deps.now ?? (() => (fixedNow && !Number.isNaN(fixedNow.getTime()) ? fixedNow : new Date())),
    incidentCounts: deps.incidentCounts ?? (() => store.openIncidentCounts()),
    secrets,
  }));

  app.use(pagesRouter());

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: errorMessage(err) }, 'API error');
    res.status(500).json({ error: errorMessage(err) });
  });
  return app;
}
