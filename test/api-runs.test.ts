// GET /api/runs as SPEC 8 promises it, on both stores, from real processes:
// every run says trigger (schedule, catch-up, cli, api), datasets,
// scheduled_for, replica and status (running, completed, aborted — a SIGKILLed
// vigil serve's run), newest first, ?limit=N up to 1000.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open.js';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { api, health, killAllDaemons, startServe, waitFor, type Daemon } from './serve-helpers.js';

interface ApiRun {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  trigger: string;
  selectors: string[];
  summary: Record<string, number>;
  datasets: string[];
  scheduled_for: string | null;
  replica: string | null;
}

const KEYS = ['run_id', 'started_at', 'finished_at', 'status', 'trigger', 'selectors', 'summary', 'datasets', 'scheduled_for', 'replica'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Runs written before the processes start, so that ?limit can be held to its cap of 1000. */
const SEEDED = 1010;

let pg: PgServer;
beforeAll(async () => { pg = await startPostgres(); }, 60_000);
afterAll(async () => { await killAllDaemons(); await pg?.destroy(); cleanupProjects(); });

const KINDS = [
  { name: 'DuckDB', store: () => Promise.resolve({ yaml: '', env: {} as NodeJS.ProcessEnv }) },
  { name: 'PostgreSQL', store: async () => ({ yaml: 'store: "${VIGIL_STORE_URL}"\n', env: { VIGIL_STORE_URL: await pg.createDatabase('apiruns') } as NodeJS.ProcessEnv }) },
];

const shapes = new Map<string, unknown>();

describe.each(KINDS)('GET /api/runs on the $name store', (kind) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let second: Daemon;
  let runs: ApiRun[];
  let killedRun: ApiRun;
  let cliRunId: string;
  let apiRunId: string;
  let firstReplica: string;

  beforeAll(async () => {
    const store = await kind.store();
    env = store.env;
    dir = makeProject({
      'vigil.yaml': `${store.yaml}replicas: { lease: 2s }\ndashboard: { port: 0 }\nduckdb: { threads: 1 }\nschedule: "0 0 1 1 *"\n`,
      'checks/fast.yaml': 'dataset: fast\nsource: ../data/fast.parquet\nschedule: "*/2 * * * * *"\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
      // Long enough to be caught running (a few seconds of DuckDB's time); its yearly tick is caught up at start.
      'checks/slow.yaml': 'dataset: slow\nsource: ../data/fast.parquet\nchecks:\n'
        + '  - sql: { name: heavy, query: "select sum(hash(x)) % 7 from range(200000000) t(x)", fail: 100 }\n',
    });
    await writeData(dir, 'data/fast.parquet', 'select range as id from range(10)');
    const location = kind.name === 'DuckDB' ? `${dir}/.vigil/vigil.duckdb` : String(env.VIGIL_STORE_URL);
    const seed = await openStore(location);
    for (let i = 0; i < SEEDED; i++) {
      const started = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
      await seed.beginRun({ runId: `seed-${String(i).padStart(4, '0')}`, startedAt: started, trigger: 'cli', selectors: [], datasets: ['fast'] });
      await seed.finishRun(`seed-${String(i).padStart(4, '0')}`, started, { pass: 1, warn: 0, fail: 0, error: 0 }, 'completed');
    }
    await seed.close();

    const cli = await vigil(['run', '--json', 'fast'], { cwd: dir, env });
    expect(cli.code, cli.stderr).toBe(0);
    cliRunId = (JSON.parse(cli.stdout) as { run_id: string }).run_id;

    // The first serve catches slow up (it never ran) and is killed while that run is going.
    const first = await startServe(dir, { env });
    firstReplica = (await health(first) as unknown as { scheduler: { replica: string } }).scheduler.replica;
    killedRun = await waitFor('slow running, seen through the API', async () =>
      (await api<{ runs: ApiRun[] }>(first, '/api/runs?limit=5')).body.runs.find((r) => r.status === 'running' && r.datasets[0] === 'slow'),
    { timeoutMs: 30_000, daemon: first });
    first.child.kill('SIGKILL');
    await first.exited;

    second = await startServe(dir, { env });
    const posted = await api<{ run_id: string }>(second, '/api/runs', { method: 'POST', body: { select: ['fast'] } });
    expect(posted.status).toBe(201);
    apiRunId = posted.body.run_id;
    runs = await waitFor('the killed run aborted and a scheduled run of fast', async () => {
      const all = (await api<{ runs: ApiRun[] }>(second, '/api/runs?limit=1000')).body.runs;
      const aborted = all.find((r) => r.run_id === killedRun.run_id)?.status === 'aborted';
      const scheduled = all.some((r) => r.trigger === 'schedule' && r.status === 'completed' && r.datasets[0] === 'fast');
      return aborted && scheduled ? all : null;
    }, { timeoutMs: 40_000, intervalMs: 250, daemon: second });
  }, 180_000);

  it('every run has exactly the fields of SPEC 8, of the right types', () => {
    for (const r of runs) {
      expect(Object.keys(r).sort(), r.run_id).toEqual([...KEYS].sort());
      expect(['schedule', 'catch-up', 'cli', 'api']).toContain(r.trigger);
      expect(['running', 'completed', 'aborted']).toContain(r.status);
      expect(r.started_at).toMatch(ISO);
      if (r.finished_at !== null) expect(r.finished_at).toMatch(ISO);
      expect(Array.isArray(r.datasets) && r.datasets.every((d) => typeof d === 'string')).toBe(true);
      expect(r.replica).toMatch(UUID);
      // A scheduled run names its tick; a run somebody asked for has none.
      if (r.trigger === 'schedule' || r.trigger === 'catch-up') expect(r.scheduled_for, r.run_id).toMatch(ISO);
      else expect(r.scheduled_for, r.run_id).toBeNull();
    }
  });

  it('the four triggers: cli, api, catch-up and schedule, each with the datasets it ran', async () => {
    const byId = new Map(runs.map((r) => [r.run_id, r]));
    expect(byId.get(cliRunId)).toMatchObject({ trigger: 'cli', status: 'completed', datasets: ['fast'], selectors: ['fast'], scheduled_for: null });
    expect(byId.get(apiRunId)).toMatchObject({ trigger: 'api', status: 'completed', datasets: ['fast'], selectors: ['fast'], scheduled_for: null });
    const scheduled = runs.find((r) => r.trigger === 'schedule' && r.datasets[0] === 'fast');
    // A tick of */2 seconds: an even second, on the dot.
    expect(scheduled?.scheduled_for).toMatch(/:\d[02468]\.000Z$/);
    expect(scheduled?.datasets).toEqual(['fast']);
    const catchUp = runs.find((r) => r.run_id === killedRun.run_id);
    expect(catchUp).toMatchObject({ trigger: 'catch-up', datasets: ['slow'] });
    // Its tick is the yearly one, 1 January 00:00 UTC.
    expect(catchUp?.scheduled_for).toMatch(/-01-01T00:00:00\.000Z$/);
    const replica = (await health(second) as unknown as { scheduler: { replica: string } }).scheduler.replica;
    expect(byId.get(apiRunId)?.replica).toBe(replica);
    expect(scheduled?.replica).toBe(replica);
    expect(new Set([byId.get(cliRunId)?.replica, firstReplica, replica]).size).toBe(3);
  });

  it('running and aborted: the run a SIGKILLed serve left is aborted, with a finish time, and was seen running', () => {
    expect(killedRun).toMatchObject({ status: 'running', finished_at: null, replica: firstReplica });
    const after = runs.find((r) => r.run_id === killedRun.run_id);
    expect(after?.status).toBe('aborted');
    expect(after?.finished_at).toMatch(ISO);
  });

  it('newest first; ?limit=N gives the newest N, 50 by default, at most 1000', async () => {
    const starts = runs.map((r) => Date.parse(r.started_at));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(runs).toHaveLength(1000);
    const few = (await api<{ runs: ApiRun[] }>(second, '/api/runs?limit=3')).body.runs;
    const now = (await api<{ runs: ApiRun[] }>(second, '/api/runs?limit=1000')).body.runs;
    expect(few.map((r) => r.run_id)).toEqual(now.slice(0, 3).map((r) => r.run_id));
    expect((await api<{ runs: ApiRun[] }>(second, '/api/runs')).body.runs).toHaveLength(50);
    expect((await api<{ runs: ApiRun[] }>(second, '/api/runs?limit=5000')).body.runs).toHaveLength(1000);
    expect((await api<{ runs: ApiRun[] }>(second, '/api/runs?limit=nonsense')).body.runs).toHaveLength(50);
    // What fast's runs look like (slow's rerun differs by design: a restarted DuckDB serve catches it
    // up, a PostgreSQL replica takes the dead one's tick over as a scheduled run).
    // Whether fast also gets a catch-up run depends on whether the kill fell between two of its
    // 2-second ticks (timing, not the store): its cli, api and schedule runs are compared.
    shapes.set(kind.name, [...new Set(runs.filter((r) => !r.run_id.startsWith('seed-') && r.datasets[0] === 'fast' && r.trigger !== 'catch-up')
      .map((r) => JSON.stringify({ trigger: r.trigger, datasets: r.datasets, keys: Object.keys(r) })))].sort());
  });
});

describe('both stores', () => {
  it('answer the runs of fast with the same triggers and datasets, and the same keys in the same order', () => {
    expect(shapes.get('PostgreSQL')).toEqual(shapes.get('DuckDB'));
    expect(shapes.get('DuckDB')).toBeDefined();
  });
});
