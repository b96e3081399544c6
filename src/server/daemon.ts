// `vigil serve` assembled: one store and its engines for the life of the
// process, the scheduler, the HTTP server, a watcher that reloads check files,
// and a discovery file (.vigil/serve.json) through which the CLI hands runs
// and status reads to the daemon — DuckDB allows one writer per file.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { Deliverer } from '../alerts/deliverer.js';
import { incidentPlanner } from '../alerts/plan.js';
import { blockingDiagnostics, loadProject, type LoadOptions } from '../config/loader.js';
import { parseDuration } from '../config/duration.js';
import { defaultConcurrency, openRuntime } from '../run/runtime.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { createApp } from './app.js';
import { daemonFilePath, type DaemonFile } from './discovery.js';
import { Metrics } from './metrics.js';

export interface Daemon {
  url: string;
  scheduler: Scheduler;
  /** Graceful stop: no new ticks, runs in flight get the grace period, then everything closes. */
  stop(): Promise<void>;
}

export async function startDaemon(load: LoadOptions, log: Logger): Promise<Daemon> {
  const first = loadProject(load);
  const configExisted = existsSync(first.project.configFile);
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
  const runtime = await openRuntime(project, { log, datasets: project.datasets, concurrency: defaultConcurrency(project), current: () => current() });
  const { store, engines } = runtime;
  const metrics = new Metrics();
  // Set right below: the scheduler and the deliverer know each other through these callbacks.
  let deliverer: Deliverer | undefined;
  const scheduler = new Scheduler(project, store, engines, log, {
    onRun: (report) => { metrics.observe(report); deliverer?.kick(); },
    onSkip: (dataset) => metrics.skippedTicks.inc({ dataset }),
    incidents: (current, notify) => (dataset, outcome, runId) => incidentPlanner({ project: current, dataset, outcome, runId, notify }),
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
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new VigilError('CONFIG_INVALID',
        err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use — is another vigil serve running? Set dashboard.port in vigil.yaml` : errorMessage(err), { cause: err })));
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    await runtime.close();
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
  const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const folders = [...asList(project.config.checks), ...asList(project.config.alerts)].map((f) => path.resolve(project.root, f));
  const watcher: FSWatcher = watch([project.configFile, ...folders], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
  let pending: NodeJS.Timeout | undefined;
  watcher.on('all', (_event, changed) => {
    if (!/\.ya?ml$/i.test(changed)) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      try {
        if (!existsSync(project.configFile) && first.project.configFile === project.configFile && configExisted) {
          // Without vigil.yaml the loader would fall back to defaults (another checks folder, timezone, store).
          log.error({ file: project.configFile }, 'vigil.yaml is gone: keeping the running configuration until it is back');
          return;
        }
        const next = loadProject(load);
        const badConfig = blockingDiagnostics(next.diagnostics, 'serve', next.project).filter((d) => d.file === project.configFile);
        if (badConfig.length) {
          scheduler.problems = next.diagnostics;
          for (const p of badConfig) log.error({ file: p.file, line: p.line, col: p.col, problem: p.message }, 'invalid vigil.yaml: keeping the running configuration');
        } else {
          // The store, the HTTP address and the files engine are fixed for the life of the process
          // (a connection whose settings change gets a new engine on its next run).
          const before = project.config;
          const after = next.project.config;
          const fixed = [
            next.project.storePath !== project.storePath ? 'store' : '',
            after.dashboard.host !== before.dashboard.host || after.dashboard.port !== before.dashboard.port ? 'dashboard host/port' : '',
            after.dashboard.token !== before.dashboard.token ? 'dashboard.token' : '',
            after.concurrency !== before.concurrency || JSON.stringify(after.duckdb) !== JSON.stringify(before.duckdb) ? 'concurrency/duckdb' : '',
          ].filter(Boolean);
          if (fixed.length) log.warn({ changed: fixed }, 'vigil.yaml changed settings that take effect only after a restart of vigil serve');
          scheduler.reload(next.project, next.project.datasets, next.diagnostics, next.invalidFiles);
        }
        metrics.configProblems.set(problems());
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'reload failed: keeping the running configuration');
      }
    }, 150);
  });

  log.info({ url, datasets: first.project.datasets.length, store: project.storePath }, 'vigil serve: listening');
  const graceMs = (parseDuration(project.config.shutdown_grace) ?? 30) * 1000;
  let stopping: Promise<void> | undefined;
  return {
    url,
    scheduler,
    stop: () => {
      stopping ??= (async () => {
        log.info({ grace_ms: graceMs }, 'vigil serve: shutting down');
        clearTimeout(pending);
        await watcher.close();
        const { interrupted } = await scheduler.stop(graceMs);
        if (interrupted) log.warn('runs interrupted at shutdown were recorded as aborted');
        // What is not delivered by now stays in the outbox for the next start.
        await alertLoop.stop();
        await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
        await runtime.close();
        rmSync(file, { force: true });
        log.info('vigil serve: stopped');
      })();
      return stopping;
    },
  };
}
