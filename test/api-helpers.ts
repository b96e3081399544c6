// The dashboard's HTTP app in-process on a real store and real port 0: the
// project in `dir` is loaded, its datasets handed to a scheduler (no catch-up
// run: the tests decide what has run), and createApp() serves them.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadProject } from '../src/config/loader.js';
import { createEngines } from '../src/run/runtime.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { createApp } from '../src/server/app.js';
import { Metrics } from '../src/server/metrics.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import type { Store } from '../src/store/store.js';
import { silentLogger } from '../src/util/log.js';

export interface TestApp {
  url: string;
  internalToken: string;
  close(): Promise<void>;
}

export async function startApp(dir: string, opts: { env?: NodeJS.ProcessEnv; now?: Date | (() => Date); store?: (store: Store) => Store } = {}): Promise<TestApp> {
  const { project, diagnostics } = loadProject({ cwd: dir, env: { ...process.env, ...opts.env } });
  const opened = await DuckDBStore.open(project.storePath);
  const store = opts.store ? opts.store(opened) : opened;
  const engines = createEngines(project, { log: silentLogger, datasets: project.datasets });
  const scheduler = new Scheduler(project, store, engines, silentLogger);
  scheduler.apply(project.datasets);
  scheduler.problems = diagnostics;
  const internalToken = 'internal-token-for-tests-0123456789';
  const app = createApp({
    scheduler, store, metrics: new Metrics(), log: silentLogger, internalToken,
    token: project.config.dashboard.token ? project.config.dashboard.token : null,
    ...(opts.now ? { now: typeof opts.now === 'function' ? opts.now : () => opts.now as Date } : {}),
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    internalToken,
    close: async () => {
      await scheduler.stop(5000);
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await opened.close();
      await engines.close();
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** One request; never follows redirects (the tests look at them). */
export async function http<T = any>(base: string, route: string, init: RequestInit & { auth?: string } = {}): Promise<Reply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers = new Headers(init.headers);
  if (init.auth) headers.set('authorization', `Bearer ${init.auth}`);
  const res = await fetch(`${base}${route}`, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* HTML, Prometheus text */ }
  return { status: res.status, body: body as T, text, headers: res.headers };
}
