// `vigil serve` assembled: one store and one engine for the life of the
// process, the scheduler, the HTTP server, a watcher that reloads check files,
// and a discovery file (.vigil/serve.json) through which the CLI hands runs
// and status reads to the daemon — DuckDB allows one writer per file.

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Deliverer } from '../alerts/deliverer.js';
import { incidentPlanner } from '../alerts/plan.js';
import { blockingDiagnostics, loadProject, type LoadOptions } from '../config/loader.js';
import { parseDuration } from '../config/duration.js';
import { createEngine, defaultConcurrency } from '../run/run.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { openStore } from '../store/open.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { createApp } from './app.js';
import { daemonFilePath, type DaemonFile } from './discovery.js';
import { Metrics } from './metrics.js';
import { watchProject } from './reload.js';

export interface Daemon {
  url: string;
  scheduler: Scheduler;
  /** Graceful stop: no new ticks, runs in flight get the grace period, then everything closes. */
  stop(): Promise<void>;
}

export async function startDaemon(load: LoadOptions, log: Logger): Promise<Daemon> {
  const first = loadProject(load);
  const project = first.project;
  // serve needs all of vigil.yaml, secrets included (an unset dashboard token must not mean an open API).
  const configErrors = blockingDiagnostics(first.diagnostics, 'serve', project).filter((d) => d.file === project.configFile);
  if (configErrors.length) {
    throw new VigilError('CONFIG_INVALID', `vigil.yaml is invalid:\n${configErrors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n')}`);
  }
  for (const p of first.diagnostics.filter((d) => d.severity === 'error')) {
    log.error({ file: p.file, line: p.line, col: p.col, problem: p.message }, 'invalid check file: its datasets are not scheduled until it is fixed');
  }

  const [store, engine] = await Promise.all([
    openStore(project.storePath),
    createEngine(project, defaultConcurrency(project)),
  ]);
  const metrics = new Metrics();
  // Set right below: the scheduler and the deliverer know each other through these callbacks.
  let deliverer: Deliverer | undefined;
  const scheduler = new Scheduler(project, store, engine, log, {
    onRun: (report) => { metrics.observe(report); deliverer?.kick(); },
    onSkip: (dataset) => metrics.skippedTicks.inc({ dataset }),
    incidents: (current, notify) => (dataset, outcome, runId) => incidentPlanner({ project: current, dataset, outcome, runId, notify }),
  });
  deliverer = new Deliverer({
    store, log, alerts: () => scheduler.projectNow().alerts,
    onResult: (channel, result) => metrics.notifications.inc({ channel, result }),
  });
  const alertErrors = first.diagnostics.filter((d) => d.severity === 'error' && project.alerts.files.includes(d.file));
  for (const p of alertErrors) {
    log.error({ file: p.file, line: p.line, col: p.col, problem: p.message }, 'invalid alert file: its channels and routes are not used until it is fixed');
  }
  const problems = () => scheduler.problems.filter((p) => p.severity === 'error').length;

  const internalToken = randomBytes(24).toString('hex');
  const token = project.config.dashboard.token ? project.config.dashboard.token : null;
  const app = createApp({ scheduler, store, metrics, log, token, internalToken });
  const { host, port } = project.config.dashboard;
  // The port first: if it is taken, nothing has been scheduled yet and the process can simply exit.
  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new VigilError('CONFIG_INVALID',
        err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use — is another vigil serve running? Set dashboard.port in vigil.yaml` : errorMessage(err), { cause: err })));
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    await store.close();
    await engine.close();
    throw err;
  }
  // The scheduler knows its datasets before serve.json announces the daemon to the CLI.
  await scheduler.start(first.project.datasets, first.diagnostics);
  // Undelivered notifications of earlier processes go out now, then every few seconds and after each run.
  const alertLoop = deliverer;
  alertLoop.start(Number(process.env.VIGIL_ALERT_INTERVAL_MS ?? '') || 5000);
  metrics.configProblems.set(problems());
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  const file = daemonFilePath(project);
  mkdirSync(path.dirname(file), { recursive: true });
  const info: DaemonFile = { pid: process.pid, url, token: internalToken, started_at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(info), { mode: 0o600 });


  // Reload on any change to vigil.yaml, the check folders or the alert folders, debounced.
  const reloader = watchProject({ project, load, scheduler, log, onReloaded: () => metrics.configProblems.set(problems()) });

  log.info({ url, datasets: first.project.datasets.length, store: project.storePath }, 'vigil serve: listening');
  const graceMs = (parseDuration(project.config.shutdown_grace) ?? 30) * 1000;
  let stopping: Promise<void> | undefined;
  return {
    url,
    scheduler,
    stop: () => {
      stopping ??= (async () => {
        log.info({ grace_ms: graceMs }, 'vigil serve: shutting down');
        await reloader.close();
        const { interrupted } = await scheduler.stop(graceMs);
        if (interrupted) log.warn('runs interrupted at shutdown were recorded as aborted');
        // What is not delivered by now stays in the outbox for the next start.
        await alertLoop.stop();
        await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
        await store.close();
        await engine.close();
        rmSync(file, { force: true });
        log.info('vigil serve: stopped');
      })();
      return stopping;
    },
  };
}
