// Helpers for the `vigil serve` tests: spawn the real bin/vigil serve in a temp
// project (vigil.yaml must say dashboard: { port: 0 }), wait until it has
// announced itself in .vigil/serve.json and answers /healthz, talk to its HTTP
// API, poll for conditions, read the store once the daemon is gone, and make
// sure no daemon outlives its test file.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { queryDb, VIGIL } from './helpers.js';

export interface ServeFile {
  pid: number;
  url: string;
  token: string;
  started_at: string;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Daemon {
  dir: string;
  child: ChildProcessWithoutNullStreams;
  pid: number;
  url: string;
  /** The daemon's own token from serve.json (what the CLI sends). */
  token: string;
  serveFile: ServeFile;
  /** Every stderr line so far. */
  lines(): string[];
  /** The stderr lines that are JSON log records. */
  logs(): LogLine[];
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or signal name) when the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

const live = new Set<ChildProcessWithoutNullStreams>();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function serveFilePath(dir: string): string {
  return path.join(dir, '.vigil', 'serve.json');
}

export function readServeFile(dir: string): ServeFile | null {
  try {
    return JSON.parse(readFileSync(serveFilePath(dir), 'utf8')) as ServeFile;
  } catch {
    return null;
  }
}

/** Polls `probe` until it returns something truthy; fails with `what` and the last value seen. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; daemon?: Daemon } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (opts.daemon && !opts.daemon.alive()) {
      throw new Error(`daemon exited while waiting for ${what}\n--- stderr ---\n${opts.daemon.stderr().slice(-4000)}`);
    }
    if (Date.now() > deadline) {
      const tail = opts.daemon ? `\n--- daemon stderr (tail) ---\n${opts.daemon.stderr().slice(-4000)}` : '';
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}${lastErr ? `; last error: ${String(lastErr)}` : ''}${tail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Spawns `bin/vigil serve` in `dir` and waits until it is up (serve.json of this pid + /healthz answers). */
export async function startServe(dir: string, opts: { env?: NodeJS.ProcessEnv; args?: string[]; timeoutMs?: number } = {}): Promise<Daemon> {
  const child = spawn(process.execPath, [VIGIL, ...(opts.args ?? []), 'serve'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', VIGIL_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  let isAlive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { isAlive = false; live.delete(child); resolve({ code, signal }); });
  });
  const partial = {
    dir, child, pid: child.pid as number, exited,
    lines: () => stderr.split('\n').filter((l) => l !== ''),
    logs: () => stderr.split('\n').flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try { return [JSON.parse(l) as LogLine]; } catch { return []; }
    }),
    stderr: () => stderr,
    stdout: () => stdout,
    alive: () => isAlive,
  };
  const fake = { ...partial, url: '', token: '', serveFile: {} as ServeFile } as Daemon;
  // On a file store the daemon announces itself in .vigil/serve.json; on a shared (URL) store, where
  // there may be many, only in its 'listening' log line (and its own token is not handed out).
  const file = await waitFor('.vigil/serve.json of the new daemon (or its listening line)', () => {
    const f = readServeFile(dir);
    if (f && f.pid === child.pid) return f;
    const listening = partial.logs().find((l) => l.msg === 'vigil serve: listening' && typeof l.url === 'string');
    return listening && !existsSync(serveFilePath(dir)) ? { pid: child.pid as number, url: String(listening.url), token: '', started_at: '' } : null;
  }, { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 50, daemon: fake });
  await waitFor('/healthz to answer', async () => (await fetch(`${file.url}/healthz`)).ok, { timeoutMs: 10_000, intervalMs: 50, daemon: fake });
  return { ...partial, url: file.url, token: file.token, serveFile: file };
}

/** SIGTERM (or another signal) and wait for the exit; returns code, signal and how long it took. */
export async function stopServe(d: Daemon, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  if (d.alive()) d.child.kill(signal);
  const timer = sleep(timeoutMs).then(() => 'timeout' as const);
  const out = await Promise.race([d.exited, timer]);
  if (out === 'timeout') {
    d.child.kill('SIGKILL');
    throw new Error(`vigil serve did not exit within ${timeoutMs} ms of ${signal}\n${d.stderr().slice(-4000)}`);
  }
  return { ...out, ms: Date.now() - t0 };
}

/** SIGKILLs every daemon still running (afterEach/afterAll). */
export async function killAllDaemons(): Promise<void> {
  const waits: Array<Promise<unknown>> = [];
  for (const child of [...live]) {
    waits.push(new Promise((r) => { child.once('exit', r); }));
    child.kill('SIGKILL');
  }
  await Promise.race([Promise.all(waits), sleep(5000)]);
  live.clear();
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** One HTTP call to a daemon; `auth` is a bearer token (or none). */
export async function api<T = any>(d: { url: string }, route: string, opts: { method?: string; auth?: string | null; body?: unknown } = {}): Promise<ApiResponse<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = `Bearer ${opts.auth}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${d.url}${route}`, {
    method: opts.method ?? 'GET', headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON (e.g. /metrics) */ }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

export interface HealthDataset {
  name: string;
  schedule: string;
  running: boolean;
  last_run: string | null;
  last_status: string | null;
  next_run: string | null;
  skipped_ticks: number;
}

export interface Health {
  status: string;
  scheduler: { alive: boolean; started_at: string; timezone: string };
  datasets: HealthDataset[];
  config_problems: Array<{ file: string; line: number; col: number; severity: string; message: string }>;
}

/** /healthz in full: with the daemon's own token when it has one (with dashboard.token set, strangers get only { status }). */
export async function health(d: { url: string; token?: string }): Promise<Health> {
  const res = await api<Health>(d, '/healthz', { auth: d.token ?? null });
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function healthOf(d: { url: string; token?: string }, dataset: string): Promise<HealthDataset | undefined> {
  return (await health(d)).datasets.find((x) => x.name === dataset);
}

/** One Prometheus sample value: metric name plus labels that must all match. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return null;
}

/** Reads the store with a plain DuckDB (read-only); the daemon must be gone. BIGINTs come back as numbers. */
export async function queryStore(dir: string, sql: string, opts: { write?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, '.vigil', 'vigil.duckdb');
  if (!existsSync(file)) throw new Error(`no store at ${file}`);
  return queryDb(file, sql, opts);
}

/**
 * Store invariants that hold after any sequence of runs, crashes and restarts:
 * every (run, dataset) that has results has all of that dataset's checks
 * exactly once (all or nothing), and a dataset_runs row exactly once.
 */
export async function storeInvariantProblems(dir: string, checksPerDataset: Record<string, number>): Promise<string[]> {
  const problems: string[] = [];
  const groups = await queryStore(dir, `select run_id, dataset, count(*) as n, count(distinct check_id) as distinct_checks
    from check_results group by run_id, dataset`);
  for (const g of groups) {
    const want = checksPerDataset[String(g.dataset)];
    if (want === undefined) continue;
    if (g.n !== want || g.distinct_checks !== want) problems.push(`run ${String(g.run_id)} ${String(g.dataset)}: ${String(g.n)} result rows (${String(g.distinct_checks)} distinct), want ${want}`);
  }
  const dups = await queryStore(dir, `select run_id, dataset, count(*) as n from dataset_runs group by all having count(*) > 1`);
  for (const d of dups) problems.push(`dataset_runs has ${String(d.n)} rows for run ${String(d.run_id)} ${String(d.dataset)}`);
  const orphans = await queryStore(dir, `select distinct c.run_id, c.dataset from check_results c
    anti join dataset_runs d on d.run_id = c.run_id and d.dataset = c.dataset`);
  for (const o of orphans) problems.push(`results of run ${String(o.run_id)} ${String(o.dataset)} have no dataset_runs row`);
  const noRun = await queryStore(dir, `select distinct d.run_id from dataset_runs d anti join runs r on r.run_id = d.run_id`);
  for (const o of noRun) problems.push(`dataset_runs of ${String(o.run_id)} has no runs row`);
  const dupRuns = await queryStore(dir, `select run_id, count(*) as n from runs group by run_id having count(*) > 1`);
  for (const d of dupRuns) problems.push(`runs has ${String(d.n)} rows for ${String(d.run_id)}`);
  return problems;
}
