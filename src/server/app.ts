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
import { oncallRouter } from './oncall-api.js';
import { runbookRouter } from './runbook.js';
import { buildLineage } from '../lineage/graph.js';
import { apiRouter } from './api.js';
import { configuredResults } from './views.js';
import { healthProblems } from './health.js';
import { createAuth } from './auth.js';
import { tokenlessGuard } from './origin.js';
import type { Project } from '../config/model.js';
import { replaceSecrets, secretList } from '../alerts/redact.js';
import { projectSecrets } from '../config/secrets.js';

/** Values that must never appear in a response: tokens, connection URLs and alert channel secrets. */
function secretsOf(project: Project, deps: Pick<AppDeps, 'token' | 'internalToken'>): string[] {
  return secretList([deps.token ?? '', deps.internalToken, ...projectSecrets(project)]);
}

const BODY_LIMIT = '100kb';
const RUNS_DEFAULT = 50;
const RUNS_MAX = 1000;
const RUN_KEYS = ['select', 'now', 'alerts'];

/** 415 unless the body is JSON: a text/plain or form body is what a cross-site page can send without asking. */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (req.is('application/json')) return next();
  res.status(415).json({ error: 'send the body as JSON with Content-Type: application/json, e.g. {"select": ["orders"]}' });
}

/** POST /api/runs's body, checked: a string select must not quietly run everything. A string is what is wrong. */
export function runRequest(body: unknown): { selectors: string[]; now?: Date; alerts: boolean } | string {
  if (body === undefined || body === null) return { selectors: [], alerts: true };
  if (typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object such as {"select": ["orders"]}';
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !RUN_KEYS.includes(k));
  if (unknown.length) return `unknown key '${unknown[0]}' — the body takes ${RUN_KEYS.join(', ')}`;
  if (b.select !== undefined && !Array.isArray(b.select)) return 'select must be a list of selectors, e.g. {"select": ["orders", "tag:tier-1"]} (or leave it out to run every dataset)';
  const select = (b.select ?? []) as unknown[];
  if (!select.every((x) => typeof x === 'string')) return 'select must be a list of strings: dataset names, tag:NAME or owner:NAME';
  if (b.alerts !== undefined && typeof b.alerts !== 'boolean') return 'alerts must be true or false';
  let now: Date | undefined;
  if (b.now !== undefined && b.now !== '') {
    now = typeof b.now === 'string' ? new Date(b.now) : undefined;
    if (!now || Number.isNaN(now.getTime())) return `now ${JSON.stringify(b.now)} is not an ISO-8601 time`;
  }
  return { selectors: select as string[], alerts: b.alerts !== false, ...(now ? { now } : {}) };
}

/** A request's own fault (a body that is not JSON, too big, in an unknown charset): its status and what to say. */
function clientError(err: unknown): { status: number; message: string } | null {
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (e.type === 'entity.parse.failed') return { status: 400, message: `the body is not valid JSON: ${String(e.message)}` };
  if (e.type === 'entity.too.large') return { status: 413, message: `the body is larger than ${BODY_LIMIT.replace('kb', ' kB')}` };
  return { status: e.status, message: String(e.message ?? 'bad request') };
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
  // Every JSON answer goes out scrubbed of the secrets vigil knows (the dashboard API's own,
  // cached bodies are scrubbed once when built, in api.ts, with the same list).
  const secrets = () => secretsOf(scheduler.projectNow(), deps);
  app.use((_req, res, next) => {
    res.json = (body: unknown) => res.type('application/json').send(replaceSecrets(JSON.stringify(body) ?? '', secrets()));
    next();
  });
  // Without a token: only this server's own names, and state changes only from its own pages.
  app.use(tokenlessGuard({ token: () => deps.token, project: () => scheduler.projectNow() }));
  const auth = createAuth({ token: () => deps.token, internalToken: deps.internalToken });

  // Liveness is public; what runs where (dataset names, file paths, problems) needs the token when one is set.
  app.get('/healthz', async (req, res) => {
    // Degraded: alerts failing for good, or the store refusing writes (server/health.ts); strangers see only that.
    const problems = await healthProblems(store, scheduler.projectNow(), scheduler.storeProblem);
    const status = problems.length ? 'degraded' : 'ok';
    if (!auth.authorized(req)) { res.json({ status }); return; }
    // The processes sharing the store (this one among them); a store that cannot answer is said so, not a failed health check.
    const replicas = await store.coordination.replicas().catch((err: unknown) => { log.warn({ err: errorMessage(err) }, 'healthz: replicas unknown'); return null; });
    res.json({
      status,
      scheduler: { alive: true, started_at: scheduler.startedAt.toISOString(), timezone: scheduler.timezone, replica: store.coordination.replica },
      replicas,
      // Whether anybody is scheduling: `stalled` (nobody took a tick for a while) until a tick is taken.
      schedule: scheduler.scheduleWatch(),
      datasets: scheduler.state().map((s) => ({
        name: s.name, schedule: s.schedule, running: s.running, last_run: s.lastRunAt, last_status: s.lastStatus,
        next_run: s.nextRunAt, skipped_ticks: s.skippedTicks,
      })),
      config_problems: scheduler.problems.map(problemJson),
      problems,
    });
  });

  // Everything below needs dashboard.token when it is set (bearer, or the login form's session).
  app.use(auth.router);

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.get('/api/status', async (_req, res, next) => {
    try {
      const [stored, runs] = [await store.latestResults(), await store.runs(1)];
      // The scheduler's datasets include the last valid version of any file that is invalid now.
      const results = configuredResults(stored, scheduler.datasetsNow());
      const replicas = await store.coordination.replicas().catch((err: unknown) => { log.warn({ err: errorMessage(err) }, 'status: replicas unknown'); return []; });
      res.json({
        last_run: runs[0] ?? null, summary: summarize(results), results,
        datasets: scheduler.state(),
        replicas, schedule: scheduler.scheduleWatch(),
        config_problems: scheduler.problems.map(problemJson),
        problems: await healthProblems(store, scheduler.projectNow(), scheduler.storeProblem),
      });
    } catch (err) { next(err); }
  });

  app.get('/api/runs', async (req, res, next) => {
    try {
      // SPEC 8: the newest N, up to 1000 (a larger N is cut to 1000; a missing or unreadable one is 50).
      const asked = Math.floor(Number(req.query.limit ?? RUNS_DEFAULT));
      const limit = Math.min(RUNS_MAX, Math.max(1, Number.isFinite(asked) && asked >= 1 ? asked : RUNS_DEFAULT));
      res.json({ runs: await store.runs(limit) });
    } catch (err) { next(err); }
  });

  // Trigger a run. { select?: string[], now?: ISO, alerts?: false } — waits for the run and returns it (the CLI's `vigil run`).
  // The body is read only here, after the token was checked, and only as JSON (a cross-site form cannot send that).
  app.post('/api/runs', requireJson, express.json({ limit: BODY_LIMIT }), (req, res, next) => {
    const request = runRequest(req.body);
    if (typeof request === 'string') { res.status(400).json({ error: request }); return; }
    const { selectors, now, alerts } = request;
    const { selected, unmatched } = selectDatasets(scheduler.datasetsNow(), selectors);
    if (unmatched.length > 0) {
      res.status(400).json({ error: `nothing matches ${unmatched.map((u) => `'${u}'`).join(', ')}`, datasets: scheduler.datasetsNow().map((d) => d.name) });
      return;
    }
    scheduler.runNow(selected, 'api', { selectors, alerts, ...(now ? { now } : {}) })
      .then((report) => res.status(201).json(runJson(report)))
      .catch((err: unknown) => {
        if (err instanceof VigilError && err.code === 'SHUTTING_DOWN') res.status(503).json({ error: err.message });
        else next(err);
      });
  });

  app.use(oncallRouter({ store, project: () => scheduler.projectNow(), who: (req) => auth.who(req) }));
  app.use(incidentsRouter({
    store, project: () => scheduler.projectNow(),
    rootCauses: () => {
      const project = scheduler.projectNow();
      const graph = buildLineage(project.datasets);
      return { upstreamOf: graph.upstreamOf, windowSeconds: project.alerts.policy.groupWindowSeconds };
    },
  }));
  const fixedNow = process.env.VIGIL_NOW ? new Date(process.env.VIGIL_NOW) : null;
  app.use(apiRouter({
    scheduler, store,
    now: deps.now ?? (() => (fixedNow && !Number.isNaN(fixedNow.getTime()) ? fixedNow : new Date())),
    incidentCounts: deps.incidentCounts ?? (() => store.openIncidentCounts()),
    secrets,
  }));

  app.use(runbookRouter({ project: () => scheduler.projectNow() }));
  app.use(pagesRouter());

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const client = clientError(err);
    if (client) { res.status(client.status).json({ error: client.message }); return; }
    log.error({ err: errorMessage(err) }, 'API error');
    res.status(500).json({ error: errorMessage(err) });
  });
  return app;
}
