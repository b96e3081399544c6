// Watching the watcher, with real processes: vigil status lists the replicas
// sharing a PostgreSQL store and what each runs; when every replica is dead, or
// a live one's scheduler cannot take ticks, the next process to start (status,
// run, serve) says loudly that nobody is scheduling, and /healthz shows it
// until a tick is taken again. The same on a DuckDB store whose serve stopped.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { api, killAllDaemons, sleep, startServe, stopServe, waitFor, type Daemon } from './serve-helpers.js';

interface StatusReplica { id: string; host: string; pid: number; started_at: string; last_seen: string; alive: boolean; running: string[] }
interface Watch { stalled: boolean; last_tick_at: string | null; quiet_seconds: number | null; overdue: Array<{ dataset: string; due_since: string; overdue_seconds: number }> }
interface StatusJson { replicas: StatusReplica[]; schedule: Watch }

let pg: PgServer;
/** A dead-man's switch: the heartbeats it received, by pid of the sender. */
let receiver: Server;
const beats: Array<{ pid: number; at: number }> = [];
beforeAll(async () => {
  pg = await startPostgres();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => { beats.push({ pid: Number((JSON.parse(body || '{}') as { pid?: number }).pid), at: Date.now() }); res.end(); });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
}, 60_000);
afterAll(async () => { await killAllDaemons(); await new Promise((r) => receiver.close(r)); await pg?.destroy(); cleanupProjects(); });

const FAST = 'dataset: fast\nsource: ../data/ids.parquet\nschedule: "*/2 * * * * *"\nchecks:\n  - row_count: { fail: { min: 1 } }\n';
// Seconds of DuckDB's time, so a replica can be seen running it.
const SLOW = 'dataset: slow\nsource: ../data/ids.parquet\nschedule: "*/4 * * * * *"\nchecks:\n'
  + '  - sql: { name: heavy, query: "select sum(hash(x)) % 7 from range(150000000) t(x)", fail: 100 }\n';

async function project(yaml: string, files: Record<string, string>): Promise<string> {
  const dir = makeProject({ 'vigil.yaml': `${yaml}replicas: { lease: 2s }\ndashboard: { port: 0 }\nduckdb: { threads: 1 }\n`, ...files });
  await writeData(dir, 'data/ids.parquet', 'select range as id from range(10)');
  return dir;
}

const statusJson = async (dir: string, env: NodeJS.ProcessEnv) => {
  const res = await vigil(['status', '--json'], { cwd: dir, env });
  expect(res.code, res.stderr).toBe(0);
  return { body: JSON.parse(res.stdout) as StatusJson, stderr: res.stderr };
};
const healthSchedule = async (d: Daemon) => (await api<{ schedule: Watch }>(d, '/healthz')).body.schedule;

describe('replicas on a PostgreSQL store: vigil status, and nobody scheduling', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let a: Daemon;
  let b: Daemon;

  beforeAll(async () => {
    env = { VIGIL_STORE_URL: await pg.createDatabase('watch') };
    const port = (receiver.address() as AddressInfo).port;
    dir = await project(`store: "\${VIGIL_STORE_URL}"\nheartbeat: { url: "http://127.0.0.1:${port}/ping", every: 1s, method: POST }\n`, { 'checks/fast.yaml': FAST, 'checks/slow.yaml': SLOW });
    [a, b] = await Promise.all([startServe(dir, { env, timeoutMs: 60_000 }), startServe(dir, { env, timeoutMs: 60_000 })]);
  }, 120_000);

  it('vigil status --json lists both replicas, alive, and which of them is running slow', async () => {
    let asked = { from: '', to: '' };
    const seen = await waitFor('a replica listed running slow', async () => {
      const from = new Date().toISOString();
      const { body } = await statusJson(dir, env);
      asked = { from, to: new Date().toISOString() };
      return body.replicas.some((r) => r.running.includes('slow')) ? body : null;
    }, { timeoutMs: 40_000, intervalMs: 300 });
    expect(seen.replicas.map((r) => r.pid).sort()).toEqual([a.pid, b.pid].sort());
    expect(seen.replicas.every((r) => r.alive && r.host.length > 0 && !Number.isNaN(Date.parse(r.last_seen)))).toBe(true);
    // The one running it is the one whose run of slow was running in the store while status was asked
    // (asking the store afterwards for runs still running raced with that run finishing).
    const running = await pg.sql(`select p.pid from vigil.runs r join vigil.vigil_replicas p on p.id = r.replica
      where r.datasets::text = '["slow"]' and r.started_at <= '${asked.to}'::timestamptz
        and (r.finished_at is null or r.finished_at >= '${asked.from}'::timestamptz)`, 'watch');
    const runner = seen.replicas.find((r) => r.running.includes('slow'));
    expect(running.rows.map((r: { pid: number }) => r.pid)).toContain(runner?.pid);
    expect(seen.schedule.stalled).toBe(false);
    // Both replicas ping the heartbeat while healthy.
    await waitFor('both replicas\' heartbeats', () => [a.pid, b.pid].every((pid) => beats.some((x) => x.pid === pid)), { timeoutMs: 10_000 });
  });

  it('vigil status (text) names each replica with its host and pid, and what it runs', async () => {
    const res = await vigil(['status'], { cwd: dir, env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^replicas: 2 alive$/m);
    for (const d of [a, b]) expect(res.stdout).toMatch(new RegExp(`pid ${d.pid}  up \\S+.*(idle|running: )`));
    expect(res.stderr).not.toContain('NOBODY');
  });

  it('every replica dead: status, run and the next serve say nobody is scheduling, for how long and what is overdue', async () => {
    for (const d of [a, b]) d.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    // Two ticks of fast (2 s apart), past the 2 s lease.
    await sleep(7000);
    const { body, stderr } = await statusJson(dir, env);
    expect(stderr).toMatch(/NOBODY IS SCHEDULING: no replica has taken a tick for \d+s \(the last at \S+\); overdue: .*fast \(due \d+s ago\)/);
    expect(body.schedule.stalled).toBe(true);
    expect(body.schedule.quiet_seconds).toBeGreaterThanOrEqual(6);
    expect(body.schedule.overdue.map((o) => o.dataset)).toContain('fast');
    expect(body.replicas.map((r) => [r.pid, r.alive]).sort()).toEqual([[a.pid, false], [b.pid, false]].sort());
    const text = await vigil(['status'], { cwd: dir, env });
    expect(text.stdout).toMatch(/^replicas: 0 alive, 2 dead$/m);
    expect(text.stdout).toMatch(new RegExp(`pid ${a.pid}  dead: last seen \\d+s ago`));

    const run = await vigil(['run', 'fast'], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/NOBODY IS SCHEDULING.*fast \(due/);

    const c = await startServe(dir, { env, timeoutMs: 60_000 });
    const said = c.logs().find((l) => l.level === 50 && l.msg.startsWith('NOBODY IS SCHEDULING'));
    expect(said?.overdue).toEqual(expect.arrayContaining([expect.objectContaining({ dataset: 'fast' })]));
    expect(c.stderr()).toMatch(/^NOBODY IS SCHEDULING: .*$/m);
    // It schedules from then on: /healthz is clear once it has taken a tick.
    await waitFor('/healthz clear', async () => (await healthSchedule(c)).stalled === false, { timeoutMs: 10_000, daemon: c });
    a = c;
  }, 90_000);

  it('a live replica whose scheduler cannot take ticks: /healthz and its log say nobody is scheduling until a tick is taken again', async () => {
    const c = a;
    const withheldLogs = () => c.logs().filter((l) => l.msg.startsWith('heartbeat withheld')).length;
    const withheldBefore = withheldLogs();
    // The store refuses every claim of a tick (as a broken scheduler would never make one); the lease is still renewed.
    await pg.sql(`create function vigil.refuse() returns trigger language plpgsql as $$ begin raise exception 'no ticks today'; end $$;
      create trigger refuse before insert on vigil.schedule_claims for each row execute function vigil.refuse();`, 'watch');
    const stalled = await waitFor('/healthz to say stalled', async () => {
      const w = await healthSchedule(c);
      return w.stalled ? w : null;
    }, { timeoutMs: 20_000, intervalMs: 250, daemon: c });
    expect(stalled.overdue.map((o) => o.dataset)).toContain('fast');
    // Its heartbeat stops while it is stuck (one ping may already be on its way), so the switch pages.
    const withheld = beats.filter((x) => x.pid === c.pid).length;
    await sleep(3000);
    expect(beats.filter((x) => x.pid === c.pid).length).toBeLessThanOrEqual(withheld + 1);
    expect(withheldLogs()).toBeGreaterThan(withheldBefore);
    // Said again in its log (once per stall: at start, and now), within a lease of the watch's next look.
    await waitFor('the log to say it', () => c.logs().filter((l) => l.level === 50 && l.msg.startsWith('NOBODY IS SCHEDULING')).length >= 2, { timeoutMs: 10_000, daemon: c });
    const { body } = await statusJson(dir, env);
    expect(body.replicas.find((r) => r.pid === c.pid)?.alive).toBe(true);
    expect(body.schedule.stalled).toBe(true);
    await pg.sql('drop trigger refuse on vigil.schedule_claims', 'watch');
    await waitFor('/healthz clear again', async () => (await healthSchedule(c)).stalled === false, { timeoutMs: 15_000, intervalMs: 250, daemon: c });
    const resumed = beats.filter((x) => x.pid === c.pid).length;
    await waitFor('the heartbeat back', () => beats.filter((x) => x.pid === c.pid).length >= resumed + 2, { timeoutMs: 10_000, daemon: c });
  }, 60_000);
});

describe('a DuckDB store whose vigil serve stopped', () => {
  it('vigil status and vigil run say nobody is scheduling; a store never scheduled says nothing', async () => {
    const dir = await project('', { 'checks/fast.yaml': FAST });
    const quiet = await vigil(['run', 'fast'], { cwd: dir });
    expect(quiet.stderr).not.toContain('NOBODY');
    const d = await startServe(dir);
    await waitFor('a scheduled run', async () => (await api<{ runs: Array<{ trigger: string }> }>(d, '/api/runs')).body.runs.some((r) => r.trigger === 'schedule'), { daemon: d });
    await stopServe(d);
    await sleep(7000);
    const status = await vigil(['status', '--json'], { cwd: dir });
    expect(status.stderr).toMatch(/NOBODY IS SCHEDULING.*fast \(due/);
    expect((JSON.parse(status.stdout) as StatusJson).schedule).toMatchObject({ stalled: true, overdue: [{ dataset: 'fast' }] });
    expect((JSON.parse(status.stdout) as StatusJson).replicas).toEqual([]);
    const run = await vigil(['run', '--json', 'fast'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/NOBODY IS SCHEDULING/);
    expect(JSON.parse(run.stdout)).toHaveProperty('run_id');
  }, 60_000);
});
