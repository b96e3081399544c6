// `vigil serve`, the real bin/vigil spawned in temp projects with second-level
// cron schedules and real time: schedules firing, no overlap (skipped ticks),
// timeouts, SIGKILL + restart (aborted runs, all-or-nothing results, catch-up
// once), SIGTERM within and past the grace period, reload of check files,
// the CLI handing off to the daemon, /healthz, /metrics and the token.
//
// Slow datasets use a sql check that counts over range(10^12) — it never
// finishes by itself, so a run lasts exactly as long as its `timeout:` (or
// until shutdown interrupts it). DuckDB runs with threads: 1 to leave CPU for
// the rest of the suite.

import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData, writeFile, type CliResult, type SpecResult, type SpecRun } from './helpers.js';
import {
  api, health, healthOf, killAllDaemons, metricValue, queryStore, readServeFile, serveFilePath, sleep, startServe,
  stopServe, storeInvariantProblems, waitFor, type Daemon, type LogLine,
} from './serve-helpers.js';

afterAll(async () => {
  await killAllDaemons();
  cleanupProjects();
});

const SPIN = 'select count(*) from range(1000000000000) t(x) where x % 7 = 3';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** A result as `vigil status --json` shows it: the run result plus when it was evaluated. */
interface Result extends SpecResult {
  evaluated_at: string;
}

type RunJson = SpecRun<Result>;

interface RunRecord {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  trigger: string;
  selectors: string[];
  summary: Record<string, number>;
}

interface StatusJson {
  last_run: RunRecord | null;
  summary: Record<string, number>;
  results: Result[];
  datasets: Array<{ name: string; skippedTicks: number; running?: boolean }>;
  config_problems: Array<{ file: string; line: number; col: number; severity: string; message: string }>;
}

function parseJson<T>(res: CliResult): T {
  try {
    return JSON.parse(res.stdout) as T;
  } catch (err) {
    throw new Error(`stdout is not one JSON document (exit ${res.code}):\n${res.stdout}\n--- stderr ---\n${res.stderr}`, { cause: err });
  }
}

/** The per-dataset-run log lines of a daemon (optionally one dataset): JSON records with dataset, duration_ms and counts by status. */
function datasetRuns(d: Daemon, dataset?: string): LogLine[] {
  return d.logs().filter((l) => typeof l.dataset === 'string' && typeof l.duration_ms === 'number'
    && ['pass', 'warn', 'fail', 'error'].every((k) => typeof l[k] === 'number')
    && (dataset === undefined || l.dataset === dataset));
}

function noLockError(...outs: CliResult[]): void {
  for (const o of outs) {
    expect(`${o.stdout}\n${o.stderr}`).not.toMatch(/\block\b|in use by another process/i);
  }
}

// ---------------------------------------------------------------------------
// One daemon for schedules, overlap, timeout, health, metrics, the token and
// the CLI handoff.
// ---------------------------------------------------------------------------

describe('vigil serve: schedules, overlap, timeouts, health, metrics, token, CLI handoff', () => {
  const TOKEN = 's3cret-dashboard-token-4f1c';
  let dir: string;
  let d: Daemon;
  let maxSlowSkipped = 0;

  beforeAll(async () => {
    dir = makeProject({
      'vigil.yaml': `timezone: UTC
dashboard: { port: 0, token: ${TOKEN} }
concurrency: 4
duckdb: { threads: 1 }
shutdown_grace: 5s
`,
      'checks/fast.yaml': `dataset: fast
source: ../data/fast.parquet
owner: team-a
tags: [tier-1]
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: customer_id, fail: 0 }
  - freshness: { column: updated_at, warn_after: 5000w, fail_after: 6000w }
  - sql: { name: total, query: "select sum(amount) from {{ source }}", fail: { min: 0 } }
`,
      'checks/slow.yaml': `dataset: slow
source: ../data/fast.parquet
owner: team-b
tags: [slowpoke]
schedule: "*/1 * * * * *"
timeout: 2s
checks:
  - sql: { name: spin, query: "${SPIN}", fail: { min: 0 } }
`,
      'checks/stuck.yaml': `dataset: stuck
source: ../data/fast.parquet
schedule: "0 0 1 1 *"
timeout: 1s
checks:
  - row_count: { fail: { min: 1 } }
  - sql: { name: spin, query: "${SPIN}", fail: { min: 0 } }
`,
    });
    await writeData(dir, 'data/fast.parquet',
      "select range as id, range % 3 as customer_id, range * 1.5 as amount, TIMESTAMP '2026-01-01 00:00:00' - range * INTERVAL 1 MINUTE as updated_at from range(20)");
    d = await startServe(dir);
  });

  afterAll(async () => {
    await killAllDaemons();
  });

  it('announces itself in .vigil/serve.json: this pid, a url on 127.0.0.1 (the default host), its own token, mode 0600', () => {
    const file = readServeFile(dir);
    expect(file).not.toBeNull();
    expect(file?.pid).toBe(d.pid);
    const url = new URL(file?.url ?? '');
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBeGreaterThan(0);
    expect(file?.token).toMatch(/^\S{16,}$/);
    expect(file?.token).not.toBe(TOKEN);
    expect(file?.started_at).toMatch(ISO);
    expect(statSync(serveFilePath(dir)).mode & 0o777).toBe(0o600);
    expect(d.stderr()).toContain(`listening on ${file?.url}`);
  });

  it('runs a dataset on its schedule: one run per tick, recorded, one JSON log line per dataset run', async () => {
    await waitFor('4 runs of fast', () => datasetRuns(d, 'fast').length >= 4, { daemon: d });
    const lines = datasetRuns(d, 'fast');
    for (const l of lines) {
      expect(l).toMatchObject({ dataset: 'fast', pass: 4, warn: 0, fail: 0, error: 0 });
      expect(typeof l.duration_ms).toBe('number');
      expect(l.duration_ms as number).toBeGreaterThanOrEqual(0);
      expect(typeof l.run_id).toBe('string');
    }
    // Every stderr line that looks like a log record is exactly one JSON object.
    for (const line of d.lines().filter((x) => x.startsWith('{'))) expect(() => JSON.parse(line) as unknown).not.toThrow();

    // A dataset's log line is written as it finishes, a moment before its run is marked completed:
    // wait until every logged run has left `running`, then check how it was recorded.
    const byId = await waitFor('the logged runs of fast recorded', async () => {
      const runs = await api<{ runs: RunRecord[] }>(d, '/api/runs?limit=500', { auth: TOKEN });
      expect(runs.status).toBe(200);
      const m = new Map(runs.body.runs.map((r) => [r.run_id, r]));
      return lines.every((l) => m.get(l.run_id as string)?.status !== 'running') ? m : null;
    }, { daemon: d });
    const fastRuns = lines.map((l) => byId.get(l.run_id as string));
    for (const r of fastRuns) {
      expect(r).toBeDefined();
      expect(r).toMatchObject({ status: 'completed', summary: { pass: 4, warn: 0, fail: 0, error: 0 } });
      expect(['schedule', 'catch-up']).toContain(r?.trigger);
    }
    // Scheduled runs never overlap (each starts after the previous one finished; under load a late
    // tick may start just before the next on-time one, which is still one run per tick), and there
    // are no more of them than ticks (one per second).
    const scheduled = fastRuns.filter((r) => r?.trigger === 'schedule')
      .map((r) => ({ start: Date.parse(r?.started_at ?? ''), end: Date.parse(r?.finished_at ?? '') }))
      .sort((a, b) => a.start - b.start);
    expect(scheduled.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < scheduled.length; i++) expect((scheduled[i] as { start: number }).start).toBeGreaterThanOrEqual((scheduled[i - 1] as { end: number }).end);
    const span = ((scheduled.at(-1) as { start: number }).start - (scheduled[0] as { start: number }).start) / 1000;
    expect(scheduled.length).toBeLessThanOrEqual(Math.ceil(span) + 1);
  });

  it('never starts a dataset twice at once: ticks during a run are skipped and shown in /healthz, /metrics and vigil status', async () => {
    const slow = await waitFor('2 skipped ticks of slow', async () => {
      const s = await healthOf(d, 'slow');
      return s && s.skipped_ticks >= 2 ? s : null;
    }, { daemon: d });
    maxSlowSkipped = slow.skipped_ticks;
    expect(d.logs().filter((l) => l.dataset === 'slow' && /skip/i.test(l.msg)).length).toBeGreaterThanOrEqual(2);

    const metrics = await api(d, '/metrics', { auth: TOKEN });
    expect(metrics.status).toBe(200);
    expect(metricValue(metrics.text, 'vigil_skipped_ticks_total', { dataset: 'slow' })).toBeGreaterThanOrEqual(2);
    // The process metrics under vigil_, each named once (they were vigil_process_process_cpu_…).
    expect(metrics.text).toMatch(/^vigil_process_cpu_seconds_total /m);
    expect(metrics.text).toMatch(/^vigil_nodejs_heap_size_used_bytes /m);
    expect(metrics.text).not.toMatch(/process_process_/);

    const [text, json] = await Promise.all([vigil(['status'], { cwd: dir }), vigil(['status', '--json'], { cwd: dir })]);
    noLockError(text, json);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/skipped ticks.*slow \d+/);
    expect(json.code, json.stderr).toBe(0);
    const body = parseJson<StatusJson>(json);
    const s = body.datasets.find((x) => x.name === 'slow');
    expect(s?.skippedTicks).toBeGreaterThanOrEqual(2);
    maxSlowSkipped = Math.max(maxSlowSkipped, s?.skippedTicks ?? 0);
  });

  it('timeout: 1s → every check of the dataset is error "timed out after 1s", and the daemon carries on', async () => {
    await waitFor('stuck to have run (catch-up at start)', async () => (await healthOf(d, 'stuck'))?.last_status === 'error', { daemon: d });
    const status = await api<StatusJson>(d, '/api/status', { auth: TOKEN });
    expect(status.status).toBe(200);
    const stuck = status.body.results.filter((r) => r.dataset === 'stuck');
    expect(stuck.map((r) => r.check).sort()).toEqual(['stuck.row_count', 'stuck.spin']);
    for (const r of stuck) {
      expect(r.status).toBe('error');
      expect(r.message).toContain('timed out after 1s');
    }
    const line = datasetRuns(d, 'stuck')[0];
    expect(line).toMatchObject({ error: 2, pass: 0 });
    expect(line?.duration_ms as number).toBeGreaterThanOrEqual(900);
    expect(line?.duration_ms as number).toBeLessThan(5000);

    // Other datasets keep running on schedule and the daemon stays healthy.
    const before = datasetRuns(d, 'fast').length;
    await waitFor('2 more runs of fast', () => datasetRuns(d, 'fast').length >= before + 2, { daemon: d });
    const h = await health(d);
    expect(h.status).toBe('ok');
    expect(h.scheduler.alive).toBe(true);
  });

  it('/healthz: scheduler alive, every dataset with last_run, next_run, last_status and skipped_ticks (with a token; without it only { status })', async () => {
    const bare = await api(d, '/healthz');
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual({ status: 'ok' });
    const res = await api(d, '/healthz', { auth: TOKEN });
    expect(res.status).toBe(200);
    const h = res.body as Awaited<ReturnType<typeof health>>;
    expect(h.status).toBe('ok');
    expect(h.scheduler).toMatchObject({ alive: true, timezone: 'UTC' });
    expect(h.scheduler.started_at).toMatch(ISO);
    expect(h.config_problems).toEqual([]);
    expect(h.datasets.map((x) => x.name).sort()).toEqual(['fast', 'slow', 'stuck']);
    const now = Date.now();
    for (const x of h.datasets) {
      expect(x.last_run, x.name).toMatch(ISO);
      expect(x.next_run, x.name).toMatch(ISO);
      expect(Date.parse(x.next_run ?? '')).toBeGreaterThan(now - 1500);
      expect(typeof x.skipped_ticks).toBe('number');
      expect(typeof x.running).toBe('boolean');
    }
    const fast = h.datasets.find((x) => x.name === 'fast');
    expect(fast).toMatchObject({ schedule: '*/1 * * * * *', last_status: 'pass' });
    expect(Date.parse(fast?.next_run ?? '')).toBeLessThan(now + 3000);
    expect(Date.parse(fast?.last_run ?? '')).toBeGreaterThan(now - 5000);
    const stuck = h.datasets.find((x) => x.name === 'stuck');
    expect(stuck).toMatchObject({ schedule: '0 0 1 1 *', last_status: 'error' });
    expect(new Date(stuck?.next_run ?? '').toISOString()).toMatch(/^\d{4}-01-01T00:00:00\.000Z$/);
  });

  it('/metrics: Prometheus text with check status, check value, run duration and freshness age', async () => {
    const res = await api(d, '/metrics', { auth: TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = res.text;
    for (const name of ['vigil_check_status', 'vigil_check_value', 'vigil_dataset_run_duration_seconds', 'vigil_freshness_age_seconds', 'vigil_skipped_ticks_total']) {
      expect(m).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(metricValue(m, 'vigil_check_status', { dataset: 'fast', check: 'fast.row_count' })).toBe(0);
    expect(metricValue(m, 'vigil_check_status', { dataset: 'stuck', check: 'stuck.spin' })).toBe(3);
    expect(metricValue(m, 'vigil_check_value', { dataset: 'fast', check: 'fast.row_count' })).toBe(20);
    expect(metricValue(m, 'vigil_check_value', { dataset: 'fast', check: 'fast.nulls.customer_id' })).toBe(0);
    expect(metricValue(m, 'vigil_dataset_run_duration_seconds_count', { dataset: 'fast' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(m, 'vigil_dataset_run_duration_seconds_sum', { dataset: 'stuck' })).toBeGreaterThanOrEqual(0.9);
    const age = metricValue(m, 'vigil_freshness_age_seconds', { dataset: 'fast', check: 'fast.freshness' });
    const expectedAge = (Date.now() - Date.parse('2026-01-01T00:00:00Z')) / 1000;
    expect(age).not.toBeNull();
    expect(Math.abs((age as number) - expectedAge)).toBeLessThan(30);
  });

  it('with dashboard.token: /api/* and /metrics answer 401 without it (or with a wrong one), 200 with it or with serve.json\'s token', async () => {
    const runsBefore = (await api<{ runs: RunRecord[] }>(d, '/api/runs?limit=500', { auth: TOKEN })).body.runs.length;
    for (const [method, route] of [['GET', '/metrics'], ['GET', '/api/status'], ['GET', '/api/runs'], ['POST', '/api/runs']] as const) {
      const none = await api(d, route, { method, ...(method === 'POST' ? { body: { select: ['fast'] } } : {}) });
      expect(none.status, `${method} ${route} without a token`).toBe(401);
      const wrong = await api(d, route, { method, auth: `${TOKEN}x`, ...(method === 'POST' ? { body: { select: ['fast'] } } : {}) });
      expect(wrong.status, `${method} ${route} with a wrong token`).toBe(401);
    }
    for (const route of ['/metrics', '/api/status', '/api/runs']) {
      expect((await api(d, route, { auth: TOKEN })).status, route).toBe(200);
      expect((await api(d, route, { auth: d.token })).status, route).toBe(200);
    }
    // The refused POSTs started nothing: no run with trigger api exists yet.
    const runs = (await api<{ runs: RunRecord[] }>(d, '/api/runs?limit=500', { auth: TOKEN })).body.runs;
    expect(runs.filter((r) => r.trigger === 'api')).toEqual([]);
    expect(runs.length).toBeGreaterThanOrEqual(runsBefore);
    // The secret never shows up in the daemon's output.
    expect(d.stderr()).not.toContain(TOKEN);
    expect(d.stdout()).not.toContain(TOKEN);
  });

  it('the CLI on the same project goes through the daemon (its token comes from serve.json): run --json, selectors, status — no lock errors', async () => {
    const [runFast, runTag, statusText, statusJson] = await Promise.all([
      vigil(['run', '--json', 'fast'], { cwd: dir }),
      vigil(['run', 'tag:tier-1'], { cwd: dir }),
      vigil(['status'], { cwd: dir }),
      vigil(['status', '--json'], { cwd: dir }),
    ]);
    noLockError(runFast, runTag, statusText, statusJson);

    expect(runFast.code, runFast.stderr).toBe(0);
    const out = parseJson<RunJson>(runFast);
    expect(Object.keys(out).sort()).toEqual(['finished_at', 'recorded', 'results', 'run_id', 'started_at', 'summary']);
    expect(out.summary).toEqual({ pass: 4, warn: 0, fail: 0, error: 0 });
    expect(out.results.map((r) => r.check).sort()).toEqual(['fast.freshness', 'fast.nulls.customer_id', 'fast.row_count', 'fast.total']);
    expect(out.results.find((r) => r.check === 'fast.row_count')).toMatchObject({ status: 'pass', value: 20, unit: 'rows', kind: 'row_count', dataset: 'fast' });
    expect(out.started_at).toMatch(ISO);

    expect(runTag.code, runTag.stderr).toBe(0);
    expect(runTag.stdout).toContain('fast.row_count');
    expect(runTag.stdout).not.toContain('slow.spin');
    expect(runTag.stdout).toMatch(/4 checks: 4 pass, 0 warn, 0 fail, 0 error/);

    expect(statusText.code, statusText.stderr).toBe(0);
    expect(statusText.stdout).toContain('fast.row_count');
    expect(statusJson.code, statusJson.stderr).toBe(0);
    const st = parseJson<StatusJson>(statusJson);
    expect(st.results.map((r) => r.check)).toEqual(expect.arrayContaining(['fast.row_count', 'stuck.spin', 'slow.spin']));

    // The daemon recorded the CLI's runs.
    const runs = (await api<{ runs: RunRecord[] }>(d, '/api/runs?limit=500', { auth: TOKEN })).body.runs;
    const mine = runs.find((r) => r.run_id === out.run_id);
    expect(mine).toMatchObject({ trigger: 'api', status: 'completed', selectors: ['fast'], summary: { pass: 4, warn: 0, fail: 0, error: 0 } });
    expect(runs.filter((r) => r.trigger === 'api')).toHaveLength(2);

    const unknown = await vigil(['run', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/nothing matches 'nope'/);
  });

  it('vigil run of every dataset through the daemon: waits for runs in flight, exit 2 when checks error, and does not hold up the fast dataset\'s schedule', async () => {
    const fastBefore = (await healthOf(d, 'fast'))?.skipped_ticks ?? 0;
    // Everything: waits for datasets in flight, exit 2 because the slow ones time out.
    const all = await vigil(['run', '--json'], { cwd: dir });
    noLockError(all);
    expect(all.code, all.stderr).toBe(2);
    const everything = parseJson<RunJson>(all);
    expect(new Set(everything.results.map((r) => r.dataset))).toEqual(new Set(['fast', 'slow', 'stuck']));
    expect(everything.summary).toEqual({ pass: 4, warn: 0, fail: 0, error: 3 });
    expect(everything.results.find((r) => r.check === 'slow.spin')?.message).toContain('timed out after 2s');
    expect(everything.results.find((r) => r.check === 'stuck.spin')?.message).toContain('timed out after 1s');
    const mine = (await api<{ runs: RunRecord[] }>(d, '/api/runs?limit=500', { auth: TOKEN })).body.runs.find((r) => r.run_id === everything.run_id);
    expect(mine).toMatchObject({ trigger: 'api', status: 'completed', summary: { pass: 4, warn: 0, fail: 0, error: 3 } });

    // fast's part of that run took milliseconds; its own ticks during the seconds the slow datasets
    // needed must still run. (Under load fast may wait a moment for one of the two connections,
    // which can cost one tick; held for the whole run it would lose several.)
    expect((await healthOf(d, 'fast'))?.skipped_ticks).toBeLessThanOrEqual(fastBefore + 1);
  });

  it('SIGTERM: exits 0 once the run in flight finished within shutdown_grace, removes serve.json; then the CLI uses the store directly', async () => {
    // SIGTERM while slow is in flight (its run lasts 2 s; the grace is 5 s).
    const h = await waitFor('slow in flight', async () => {
      const x = await healthOf(d, 'slow');
      return x?.running ? x : null;
    }, { daemon: d, intervalMs: 20 });
    maxSlowSkipped = Math.max(maxSlowSkipped, h.skipped_ticks);
    const slowRunsBefore = datasetRuns(d, 'slow').length;
    const termAt = Date.now();
    const stopped = await stopServe(d);
    expect(stopped.code, d.stderr().slice(-3000)).toBe(0);
    expect(stopped.ms).toBeLessThan(5000 + 3000);
    expect(existsSync(serveFilePath(dir))).toBe(false);
    expect(d.stderr()).not.toMatch(/grace period over/);
    expect(d.stderr()).not.toContain(TOKEN);
    // The run in flight finished (its query timed out after 2 s, well within the grace) and was recorded.
    expect(datasetRuns(d, 'slow').length).toBe(slowRunsBefore + 1);
    const lastSlow = await queryStore(dir, `select epoch_ms(d.finished_at) as f, r.status from dataset_runs d join runs r using (run_id)
      where d.dataset = 'slow' order by d.finished_at desc limit 1`);
    expect(Number(lastSlow[0]?.f)).toBeGreaterThan(termAt);
    expect(lastSlow[0]?.status).toBe('completed');

    // Store invariants, read directly now that the daemon is gone.
    expect(await storeInvariantProblems(dir, { fast: 4, slow: 1, stuck: 2 })).toEqual([]);
    expect(await queryStore(dir, `select run_id from runs where status <> 'completed'`)).toEqual([]);
    // slow never ran twice at once: each run started after the previous one finished.
    const slowRuns = await queryStore(dir, `select epoch_ms(started_at) as s, epoch_ms(finished_at) as f from dataset_runs where dataset = 'slow' order by started_at`);
    expect(slowRuns.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < slowRuns.length; i++) {
      expect(Number(slowRuns[i]?.s), `slow run ${i} started before run ${i - 1} finished`).toBeGreaterThanOrEqual(Number(slowRuns[i - 1]?.f));
    }
    const skipped = await queryStore(dir, `select dataset, count(*) as n from skipped_ticks group by dataset`);
    expect(Number(skipped.find((r) => r.dataset === 'slow')?.n)).toBeGreaterThanOrEqual(maxSlowSkipped);

    const [status, statusJson] = await Promise.all([vigil(['status'], { cwd: dir }), vigil(['status', '--json'], { cwd: dir })]);
    noLockError(status, statusJson);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/skipped ticks.*slow \d+/);
    expect(parseJson<StatusJson>(statusJson).datasets.find((x) => x.name === 'slow')?.skippedTicks).toBeGreaterThanOrEqual(maxSlowSkipped);

    const run = await vigil(['run', '--json', 'fast'], { cwd: dir });
    noLockError(run);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson<RunJson>(run).summary).toEqual({ pass: 4, warn: 0, fail: 0, error: 0 });
    const cli = await queryStore(dir, `select trigger from runs where run_id = '${parseJson<RunJson>(run).run_id}'`);
    expect(cli).toEqual([{ trigger: 'cli' }]);
  });
});

// ---------------------------------------------------------------------------
// Reload of check files without a restart.
// ---------------------------------------------------------------------------

describe('vigil serve: reloads check files', () => {
  let dir: string;
  let d: Daemon;

  const A = (max: number) => `dataset: a
source: ../data/a.csv
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { max: ${max} } }
`;
  const B = `dataset: b
source: ../data/a.csv
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { min: 1 } }
`;

  async function latest(check: string): Promise<Result | undefined> {
    const res = await api<StatusJson>(d, '/api/status');
    if (res.status !== 200) throw new Error(`/api/status ${res.status}: ${res.text}`);
    return res.body.results.find((r) => r.check === check);
  }

  /** Waits for a result of `check` evaluated after `since` and returns it. */
  async function nextResult(check: string, since: number, what: string): Promise<Result> {
    return waitFor(what, async () => {
      const r = await latest(check);
      return r && Date.parse(r.evaluated_at) > since ? r : null;
    }, { daemon: d, timeoutMs: 15_000 });
  }

  beforeAll(async () => {
    dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\n',
      'checks/a.yaml': A(10),
      'data/a.csv': 'id,v\n1,x\n2,y\n3,z\n',
    });
    d = await startServe(dir);
    await nextResult('a.row_count', 0, 'a first result of a');
  });

  afterAll(async () => {
    await killAllDaemons();
  });

  it('editing a threshold takes effect on the next run, without a restart (no token configured: the API is open)', async () => {
    expect((await latest('a.row_count'))?.status).toBe('pass');
    writeFile(dir, 'checks/a.yaml', A(1));
    const t0 = Date.now();
    const r = await waitFor('a.row_count to fail under the new threshold', async () => {
      const x = await latest('a.row_count');
      return x && Date.parse(x.evaluated_at) > t0 && x.status === 'fail' ? x : null;
    }, { daemon: d, timeoutMs: 15_000 });
    expect(r.value).toBe(3);
    expect(d.alive()).toBe(true);
    expect(readServeFile(dir)?.pid).toBe(d.pid);
  });

  it('adding a check file schedules its dataset', async () => {
    writeFile(dir, 'checks/b.yaml', B);
    const t0 = Date.now();
    await waitFor('b in /healthz', async () => (await healthOf(d, 'b')) !== undefined, { daemon: d, timeoutMs: 15_000 });
    const r = await nextResult('b.row_count', t0, 'a scheduled result of b');
    expect(r).toMatchObject({ status: 'pass', value: 3 });
    await waitFor('a second run of b', () => datasetRuns(d, 'b').length >= 2, { daemon: d, timeoutMs: 15_000 });
  });

  it('deleting a check file unschedules its dataset', async () => {
    rmSync(path.join(dir, 'checks/b.yaml'));
    await waitFor('b gone from /healthz', async () => (await healthOf(d, 'b')) === undefined, { daemon: d, timeoutMs: 15_000 });
    expect(d.logs().some((l) => l.dataset === 'b' && /remov|unschedul/i.test(l.msg))).toBe(true);
    await sleep(300); // a run of b that had already started may still finish
    const runsOfB = datasetRuns(d, 'b').length;
    const aRuns = datasetRuns(d, 'a').length;
    await sleep(2200);
    expect(datasetRuns(d, 'b').length).toBe(runsOfB);
    expect(datasetRuns(d, 'a').length).toBeGreaterThan(aRuns);
    const post = await api(d, '/api/runs', { method: 'POST', body: { select: ['b'] } });
    expect(post.status).toBe(400);
  });

  it.each([
    ['an unknown check kind', `dataset: a
source: ../data/a.csv
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { max: 10 } }
  - row_cont: { fail: 0 }
`],
    ['a YAML syntax error', `dataset: a
source: ../data/a.csv
schedule: "*/1 * * * * *"
checks: [ { row_count: { fail: { max: 10 } }
`],
  ])('a file made invalid (%s) keeps its last valid version running and is reported loudly until fixed', async (_kind, broken) => {
    const errorLogsBefore = d.logs().filter((l) => l.level >= 50 && String(l.file ?? '').endsWith('a.yaml')).length;
    writeFile(dir, 'checks/a.yaml', broken);
    const problems = await waitFor('a config problem in /healthz', async () => {
      const h = await health(d);
      return h.config_problems.filter((p) => p.file.endsWith('a.yaml') && p.severity === 'error').length ? h.config_problems : null;
    }, { daemon: d, timeoutMs: 15_000 });
    expect(problems[0]?.line).toBeGreaterThan(0);
    expect(problems[0]?.message).not.toBe('');
    // stderr: an error-level JSON log line naming the file.
    expect(d.logs().filter((l) => l.level >= 50 && String(l.file ?? '').endsWith('a.yaml')).length).toBeGreaterThan(errorLogsBefore);

    // The last valid version (fail above 1 row) keeps running.
    const h = await health(d);
    expect(h.status).toBe('ok');
    expect(h.datasets.map((x) => x.name)).toEqual(['a']);
    const t0 = Date.now();
    const r1 = await nextResult('a.row_count', t0, 'a result of a after it turned invalid');
    expect(r1.status).toBe('fail');
    const r2 = await nextResult('a.row_count', Date.parse(r1.evaluated_at), 'another result of a');
    expect(r2.status).toBe('fail');

    const [text, json] = await Promise.all([vigil(['status'], { cwd: dir }), vigil(['status', '--json'], { cwd: dir })]);
    noLockError(text, json);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/config problem.*a\.yaml/);
    expect(json.code).toBe(0);
    expect(parseJson<StatusJson>(json).config_problems.some((p) => p.file.endsWith('a.yaml') && p.severity === 'error')).toBe(true);
    const metrics = await api(d, '/metrics');
    expect(metricValue(metrics.text, 'vigil_config_problems')).toBeGreaterThanOrEqual(1);

    // Fixing the file clears the problem and the fixed version runs.
    writeFile(dir, 'checks/a.yaml', A(1));
    await waitFor('config problems cleared', async () => (await health(d)).config_problems.length === 0, { daemon: d, timeoutMs: 15_000 });
    const m2 = await api(d, '/metrics');
    expect(metricValue(m2.text, 'vigil_config_problems')).toBe(0);
    const st = parseJson<StatusJson>(await vigil(['status', '--json'], { cwd: dir }));
    expect(st.config_problems).toEqual([]);
  });

  it('a fixed file with a changed threshold applies it', async () => {
    writeFile(dir, 'checks/a.yaml', A(10));
    const t0 = Date.now();
    await waitFor('a.row_count to pass again', async () => {
      const x = await latest('a.row_count');
      return x && Date.parse(x.evaluated_at) > t0 && x.status === 'pass';
    }, { daemon: d, timeoutMs: 15_000 });
    const stopped = await stopServe(d);
    expect(stopped.code).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// SIGKILL mid-run, restart: aborted runs, all-or-nothing results, catch-up
// once; then SIGTERM with a short grace interrupts the run in flight.
// ---------------------------------------------------------------------------

describe('vigil serve: SIGKILL mid-run and restart; SIGTERM past a short grace', () => {
  let dir: string;
  const CHECKS = { fast: 2, slow: 2, yearly: 1 };
  afterEach(killAllDaemons);

  beforeAll(async () => {
    dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nconcurrency: 4\nduckdb: { threads: 1 }\nshutdown_grace: 1s\n',
      'checks/fast.yaml': `dataset: fast
source: ../data/d.csv
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: id, fail: 0 }
`,
      'checks/slow.yaml': `dataset: slow
source: ../data/d.csv
schedule: "0 0 1 1 *"
timeout: 10m
checks:
  - row_count: { fail: { min: 1 } }
  - sql: { name: spin, query: "${SPIN}", fail: { min: 0 } }
`,
      'checks/yearly.yaml': `dataset: yearly
source: ../data/d.csv
schedule: "0 0 1 1 *"
checks:
  - row_count: { fail: { min: 1 } }
`,
      'data/d.csv': 'id,v\n1,a\n2,b\n',
    });
  });

  it('kill -9 while a slow dataset runs, restart: the run left running is aborted, nothing half-written, catch-up once', async () => {
    // First life: yearly datasets have never run → caught up once at start-up; slow hangs.
    const first = await startServe(dir);
    await waitFor('slow running, yearly done, fast run twice', async () => {
      const h = await health(first);
      const by = (n: string) => h.datasets.find((x) => x.name === n);
      return by('slow')?.running === true && by('yearly')?.last_run && datasetRuns(first, 'fast').length >= 2;
    }, { daemon: first });
    await sleep(1200); // more ticks of fast while slow is still running
    expect(datasetRuns(first, 'yearly')).toHaveLength(1);
    expect(first.logs().filter((l) => l.dataset === 'yearly' && /catch/i.test(l.msg))).toHaveLength(1);
    expect(datasetRuns(first, 'slow')).toHaveLength(0);

    const killed = await stopServe(first, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(serveFilePath(dir))).toBe(true); // stale: nobody removed it

    // With the stale serve.json (dead pid) the CLI reads the store itself.
    const status = await vigil(['status', '--json'], { cwd: dir });
    noLockError(status);
    expect(status.code, status.stderr).toBe(0);
    expect(parseJson<StatusJson>(status).results.map((r) => r.dataset)).not.toContain('slow');

    const running = (await queryStore(dir, `select run_id from runs where status = 'running'`)).map((r) => String(r.run_id));
    expect(running.length).toBeGreaterThanOrEqual(1);
    // The crashed runs wrote nothing for slow; whatever was written is whole.
    expect(await queryStore(dir, `select * from dataset_runs where dataset = 'slow'`)).toEqual([]);
    expect(await storeInvariantProblems(dir, CHECKS)).toEqual([]);
    expect(await queryStore(dir, `select count(*) as n from dataset_runs where dataset = 'yearly'`)).toEqual([{ n: 1 }]);

    // Make yearly's only run five years old: five missed new years → one catch-up, not five.
    await queryStore(dir, `update dataset_runs set started_at = started_at - interval 5 year, finished_at = finished_at - interval 5 year where dataset = 'yearly'`, { write: true });
    const resultsBefore = Number((await queryStore(dir, 'select count(*) as n from check_results'))[0]?.n);

    // Second life.
    const second = await startServe(dir);
    await waitFor('the crashed runs marked aborted', async () => {
      const runs = (await api<{ runs: RunRecord[] }>(second, '/api/runs?limit=500')).body.runs;
      return running.every((id) => runs.find((r) => r.run_id === id)?.status === 'aborted') ? runs : null;
    }, { daemon: second });
    const runs = (await api<{ runs: RunRecord[] }>(second, '/api/runs?limit=500')).body.runs;
    for (const id of running) expect(runs.find((r) => r.run_id === id)?.finished_at).toMatch(ISO);
    expect(second.logs().some((l) => /abort/i.test(l.msg))).toBe(true);

    await waitFor('yearly caught up and slow running again', async () => {
      const h = await health(second);
      return datasetRuns(second, 'yearly').length >= 1 && h.datasets.find((x) => x.name === 'slow')?.running === true;
    }, { daemon: second });
    await sleep(1500);
    expect(datasetRuns(second, 'yearly')).toHaveLength(1);
    expect(second.logs().filter((l) => l.dataset === 'yearly' && /catch/i.test(l.msg))).toHaveLength(1);
    expect((await healthOf(second, 'yearly'))?.last_status).toBe('pass');

    // SIGTERM with shutdown_grace: 1s while slow's query cannot finish: interrupted, recorded aborted, exit 0.
    expect((await healthOf(second, 'slow'))?.running).toBe(true);
    const stopped = await stopServe(second, 'SIGTERM', 20_000);
    expect(stopped.code, second.stderr().slice(-3000)).toBe(0);
    expect(stopped.ms).toBeGreaterThanOrEqual(900);
    expect(stopped.ms).toBeLessThan(8000);
    expect(second.stderr()).toMatch(/grace period over/);
    expect(existsSync(serveFilePath(dir))).toBe(false);

    // The store after it all.
    expect(await queryStore(dir, `select run_id from runs where status = 'running'`)).toEqual([]);
    expect(await storeInvariantProblems(dir, CHECKS)).toEqual([]);
    expect(await queryStore(dir, `select run_id, check_id, count(*) as n from check_results group by all having count(*) > 1`)).toEqual([]);
    expect(Number((await queryStore(dir, 'select count(*) as n from check_results'))[0]?.n)).toBeGreaterThan(resultsBefore);
    expect(await queryStore(dir, `select count(*) as n from dataset_runs where dataset = 'yearly'`)).toEqual([{ n: 2 }]);
    // The interrupted dataset's 'interrupted' errors are not results: nothing is recorded for it, its
    // run is aborted, and so the next start catches it up.
    expect(await queryStore(dir, `select count(*) as n from dataset_runs where dataset = 'slow'`)).toEqual([{ n: 0 }]);
    expect(await queryStore(dir, `select count(*) as n from check_results where dataset = 'slow'`)).toEqual([{ n: 0 }]);
    const abortedCatchUps = await queryStore(dir, `select count(*) as n from runs where status = 'aborted' and trigger = 'catch-up'`);
    expect(Number(abortedCatchUps[0]?.n)).toBeGreaterThanOrEqual(1);
    for (const id of running) {
      expect(await queryStore(dir, `select status from runs where run_id = '${id}'`)).toEqual([{ status: 'aborted' }]);
    }

    // The store was closed: the plain CLI works.
    const after = await vigil(['status'], { cwd: dir });
    noLockError(after);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('yearly.row_count');
    const run = await vigil(['run', '--json', 'yearly'], { cwd: dir });
    noLockError(run);
    expect(run.code, run.stderr).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// SIGTERM with a run in flight that fits in the grace period.
// ---------------------------------------------------------------------------

describe('vigil serve: SIGTERM lets a run in flight finish within shutdown_grace', () => {
  // ~1–3 s of DuckDB on one thread: a real query that completes.
  const N = 600_000_000;
  const expected = Math.floor((N - 1 - 3) / 7) + 1;
  afterEach(killAllDaemons);

  it('waits for the run, records it completed with its results, exits 0 and removes serve.json', async () => {
    const dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nduckdb: { threads: 1 }\nshutdown_grace: 20s\n',
      'checks/medium.yaml': `dataset: medium
source: ../data/m.csv
schedule: "0 0 1 1 *"
timeout: 5m
checks:
  - row_count: { fail: { min: 1 } }
  - sql: { name: count7, query: "select count(*) from range(${N}) t(x) where x % 7 = 3", fail: { min: 1 } }
`,
      'data/m.csv': 'id\n1\n',
    });
    const d = await startServe(dir);
    // Catch-up starts it right away (never run); SIGTERM while it is in flight.
    let finishedUnseen = false;
    await waitFor('medium running', async () => {
      const m = await healthOf(d, 'medium');
      if (m?.last_run) finishedUnseen = true;
      return m?.running || finishedUnseen;
    }, { daemon: d, intervalMs: 20 });
    expect(finishedUnseen, 'medium finished before it was seen running: make N bigger').toBe(false);
    const t0 = Date.now();
    const stopped = await stopServe(d, 'SIGTERM', 30_000);
    expect(stopped.code, d.stderr().slice(-3000)).toBe(0);
    expect(d.stderr()).not.toMatch(/grace period over|interrupted/);
    expect(datasetRuns(d, 'medium')).toHaveLength(1);
    expect(datasetRuns(d, 'medium')[0]).toMatchObject({ pass: 2, error: 0 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(existsSync(serveFilePath(dir))).toBe(false);

    // It finished after the SIGTERM, and was recorded as a completed run.
    const runs = await queryStore(dir, 'select r.status, r.trigger, epoch_ms(d.finished_at) as f from runs r join dataset_runs d using (run_id)');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed', trigger: 'catch-up' });
    expect(Number(runs[0]?.f)).toBeGreaterThan(t0);
    expect(await storeInvariantProblems(dir, { medium: 2 })).toEqual([]);
    const status = await vigil(['status', '--json'], { cwd: dir });
    noLockError(status);
    expect(status.code, status.stderr).toBe(0);
    expect(parseJson<StatusJson>(status).results.find((r) => r.check === 'medium.count7')).toMatchObject({ status: 'pass', value: expected });
  });
});
