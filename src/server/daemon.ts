// `vigil serve` assembled: one store and its engines for the life of the
// process, the scheduler, the HTTP server, a watcher that reloads check files,
// and a discovery file (.vigil/serve.json) through which the CLI hands runs
// and status reads to the daemon — DuckDB allows one writer per file.

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Deliverer } from '../alerts/deliverer.js';
import { planWithBurnRates } from '../alerts/slo-burn.js';
import { blockedBy } from '../config/diagnostics.js';
import { blockingDiagnostics, loadProject, type LoadOptions } from '../config/loader.js';
import { parseDuration } from '../config/duration.js';
import { defaultConcurrency, openRuntime, type Runtime } from '../run/runtime.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { storeLabel } from '../store/open.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { createApp } from './app.js';
import { announceStart, daemonFilePath, whoHoldsTheStore, type DaemonFile } from './discovery.js';
import { Heartbeat } from './heartbeat.js';
import { Metrics } from './metrics.js';
import { watchProject } from './reload.js';

export interface Daemon {
  url: string;
  scheduler: Scheduler;
  /** Graceful stop: no new ticks, runs in flight get the grace period, then everything closes. */
  stop(): Promise<void>;
}

export async function startDaemon(load: LoadOptions, log: Logger): Promise<Daemon> {
  // Whatever is open so far is closed again, last first, if the start fails: a start that fails
  // leaves nothing listening, locked or announced, and the process exits non-zero.
  const opened: Array<() => unknown> = [];
  try {
    return await start(load, log, opened);
  } catch (err) {
    for (const close of opened.splice(0).reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw err;
  }
}

/** Everything it opens is pushed onto `opened` (as what closes it) before the next step can fail. */
async function start(load: LoadOptions, log: Logger, opened: Array<() => unknown>): Promise<Daemon> {
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

  // The engines read the project as the scheduler has it now, so a reload's new connections are used.
  let current = () => project;
  let runtime: Runtime;
  try {
    runtime = await openRuntime(project, { log, datasets: project.datasets, concurrency: defaultConcurrency(project), current: () => current() });
  } catch (err) {
    throw whoHoldsTheStore(project, err);
  }
  opened.push(() => runtime.close());
  const { store, engines } = runtime;
  // This process holds the store now: it is the project's vigil serve (see whoHoldsTheStore).
  const released = announceStart(project);
  opened.push(released);

  const metrics = new Metrics();
  // Set right below: the scheduler and the deliverer know each other through these callbacks.
  let deliverer: Deliverer | undefined;
  const scheduler = new Scheduler(project, store, engines, log, {
    onRun: (report) => { metrics.observe(report); deliverer?.kick(); },
    onSkip: (dataset) => metrics.skippedTicks.inc({ dataset }),
    incidents: (current, notify) => (dataset, outcome, runId, run) => planWithBurnRates({ project: current, dataset, outcome, runId, notify, run }, store),
  });
  current = () => scheduler.projectNow();
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new VigilError('CONFIG_INVALID',
      err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use — is another vigil serve running? Set dashboard.port in vigil.yaml` : errorMessage(err), { cause: err })));
    server.listen(port, host, () => resolve());
  });
  opened.push(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  opened.push(() => scheduler.stop(0));
  // The scheduler knows its datasets before serve.json announces the daemon to the CLI.
  try {
    // A check file with errors (an unset ${VAR}, a lineage cycle among them) has none of its datasets
    // scheduled, as vigil run does not run them; the other datasets run.
    const runnable = blockedBy(blockingDiagnostics(first.diagnostics, 'serve', project), project, first.invalidDatasets).runnable;
    await scheduler.start(runnable, first.diagnostics);
  } catch (err) {
    throw new VigilError('STORE_FAILED', `cannot start: the results store ${storeLabel(project.storePath)} could not be read (${errorMessage(err).split('\n')[0]}) — `
      + 'restore it from a backup, or move it aside to start with an empty one', { cause: err });
  }
  // Undelivered notifications of earlier processes go out now, then every few seconds and after each run.
  const alertLoop = deliverer;
  alertLoop.start(Number(process.env.VIGIL_ALERT_INTERVAL_MS ?? '') || 5000);
  opened.push(() => alertLoop.stop());
  metrics.configProblems.set(problems());
  // The heartbeat, when vigil.yaml has one: from now on, while this replica is healthy.
  const heartbeat = new Heartbeat({
    config: () => scheduler.projectNow().config.heartbeat,
    healthy: () => scheduler.healthy(),
    about: () => ({ replica: store.coordination.replica, last_tick_at: scheduler.scheduleWatch().last_tick_at }),
    log,
  });
  heartbeat.start();
  opened.push(() => heartbeat.stop());
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  const file = daemonFilePath(project);
  if (file !== null) {
    mkdirSync(path.dirname(file), { recursive: true });
    const info: DaemonFile = { pid: process.pid, url, token: internalToken, started_at: new Date().toISOString() };
    writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    opened.push(() => rmSync(file, { force: true }));
  }

  // Reload on any change to vigil.yaml, the check folders or the alert folders, debounced.
  const reloader = watchProject({ project, load, scheduler, log, onReloaded: () => metrics.configProblems.set(problems()) });

  log.info({ url, datasets: first.project.datasets.length, store: storeLabel(project.storePath) }, 'vigil serve: listening');
  const graceMs = (parseDuration(project.config.shutdown_grace) ?? 30) * 1000;
  let stopping: Promise<void> | undefined;
  return {
    url,
    scheduler,
    stop: () => {
      stopping ??= (async () => {
        log.info({ grace_ms: graceMs }, 'vigil serve: shutting down');
        heartbeat.stop();
        await reloader.close();
        const { interrupted } = await scheduler.stop(graceMs);
        if (interrupted) log.warn('runs interrupted at shutdown were recorded as aborted');
        // What is not delivered by now stays in the outbox for the next start.
        await alertLoop.stop();
        await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
        await runtime.close();
        if (file !== null) rmSync(file, { force: true });
        released();
        log.info('vigil serve: stopped');
      })();
      return stopping;
    },
  };
}
