// Replicas: several real `vigil serve` processes on one PostgreSQL store.
// Each tick of a dataset runs exactly once across them, a SIGKILLed replica's
// run is marked aborted and run again by another within the lease, each
// notification is sent once, a reload reaches every replica, /healthz lists
// them, and `vigil run` with the store's URL works while they run.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, VIGIL, writeData, writeFile } from './helpers.js';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { sleep, waitFor } from './serve-helpers.js';

interface Replica {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  url: string;
  stderr(): string;
  alive(): boolean;
}

const children = new Set<ChildProcessWithoutNullStreams>();
let pg: PgServer;
let slack: SlackStandIn;
beforeAll(async () => { [pg, slack] = await Promise.all([startPostgres(), slackStandIn()]); }, 60_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await slack?.close();
  await pg?.destroy();
  cleanupProjects();
});

async function startReplica(dir: string, env: NodeJS.ProcessEnv): Promise<Replica> {
  const child = spawn(process.execPath, [VIGIL, 'serve'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', VIGIL_LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  let alive = true;
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', () => undefined);
  child.on('exit', () => { alive = false; children.delete(child); });
  const url = await waitFor('a replica to listen', () => {
    if (!alive) throw new Error(`replica exited:\n${stderr.slice(-3000)}`);
    for (const line of stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { msg?: string; url?: string };
      if (rec.msg === 'vigil serve: listening' && rec.url) return rec.url;
    }
    return null;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  return { child, pid: child.pid as number, url, stderr: () => stderr, alive: () => alive };
}

interface HealthReplica { id: string; pid: number; alive: boolean; running: string[] }
const healthOf = async (r: Replica) => (await (await fetch(`${r.url}/healthz`)).json()) as { replicas: HealthReplica[]; datasets: Array<{ name: string }> };

async function rows(db: string, sql: string): Promise<Array<Record<string, unknown>>> {
  return (await pg.sql(sql, db)).rows as Array<Record<string, unknown>>;
}

describe('three replicas on one PostgreSQL store', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const db = 'replicas';
  let replicas: Replica[] = [];
  let cliRun: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    const url = await pg.createDatabase(db);
    dir = makeProject({
      'vigil.yaml': 'store: "${VIGIL_STORE_URL}"\nschedule: "*/2 * * * * *"\nreplicas: { lease: 3s }\ndashboard: { port: 0 }\nduckdb: { threads: 1 }\n',
      // A slow dataset (a second or more of DuckDB's time) whose tick comes every 10 s.
      'checks/slow.yaml': 'dataset: slow\nsource: ../data/orders.csv\nschedule: "*/10 * * * * *"\nchecks:\n'
        + '  - sql: { name: heavy, query: "select sum(hash(x)) % 7 from range(60000000) t(x)", fail: 100 }\n',
      'checks/orders.yaml': 'dataset: orders\nsource: ../data/orders.csv\nchecks:\n  - row_count: { fail: { min: 5 } }\n',
      'checks/customers.yaml': 'dataset: customers\nsource: ../data/customers.parquet\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
      'data/orders.csv': 'id\n1\n2\n',
      'alerts/alerts.yaml': 'channels:\n  - name: data-alerts\n    type: slack\n    webhook_url: ${SLACK_WEBHOOK_URL}\nroutes:\n  - channels: [data-alerts]\n',
    });
    await writeData(dir, 'data/customers.parquet', 'select range as id from range(10)');
    env = { VIGIL_STORE_URL: url, SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/x`, VIGIL_ALERT_INTERVAL_MS: '200' };
    replicas = await Promise.all([0, 1, 2].map(() => startReplica(dir, env)));
    await sleep(4000);
    cliRun = await vigil(['run', '--json', 'customers'], { cwd: dir, env });
    await sleep(6000);
  }, 180_000);

  it('/healthz of every replica lists the three, alive, each with its pid', async () => {
    for (const r of replicas) {
      const h = await healthOf(r);
      expect(h.replicas.filter((x) => x.alive).map((x) => x.pid).sort()).toEqual(replicas.map((x) => x.pid).sort());
    }
  });

  it('each tick of each dataset ran exactly once across the replicas, and no tick between the first and the last was lost', async () => {
    const ticks = await rows(db, `select datasets::text as ds, scheduled_for, count(*)::int as n, count(*) filter (where status = 'completed')::int as done
      from vigil.runs where trigger in ('schedule', 'catch-up') and scheduled_for < now() - interval '5 seconds' group by 1, 2 order by 1, 2`);
    expect(ticks.length).toBeGreaterThan(6);
    for (const t of ticks) expect(t, JSON.stringify(t)).toMatchObject({ n: 1, done: 1 });
    const skipped = Number((await rows(db, 'select count(*)::int as n from vigil.skipped_ticks'))[0]?.n);
    for (const ds of ['["orders"]', '["customers"]']) {
      const at = ticks.filter((t) => t.ds === ds && t.scheduled_for !== null).map((t) => (t.scheduled_for as Date).getTime());
      const gaps = at.slice(1).map((x, i) => x - (at[i] as number)).filter((g) => g !== 2000);
      // A gap is only a tick skipped because the dataset was still running (recorded as such).
      expect(gaps.length).toBeLessThanOrEqual(skipped);
    }
    const byReplica = await rows(db, `select count(distinct replica)::int as n from vigil.runs where trigger = 'schedule'`);
    expect(Number(byReplica[0]?.n)).toBeGreaterThanOrEqual(1);
  });

  it('the failing dataset\'s incident was notified once, whichever replica sent it', () => {
    const opened = slack.requests.filter((r) => r.body.text.includes('orders'));
    expect(opened).toHaveLength(1);
  });

  it('vigil run with the store URL worked while the replicas ran, and its run is recorded as the CLI\'s', async () => {
    expect(cliRun.code, cliRun.stderr).toBe(0);
    const id = (JSON.parse(cliRun.stdout) as { run_id: string }).run_id;
    expect(await rows(db, `select trigger, status, datasets::text as ds from vigil.runs where run_id = '${id}'`)).toEqual([{ trigger: 'cli', status: 'completed', ds: '["customers"]' }]);
  });

  it('a new check file reaches every replica', async () => {
    writeFile(dir, 'checks/late.yaml', 'dataset: late\nsource: ../data/orders.csv\nschedule: "0 0 1 1 *"\nchecks:\n  - row_count: { fail: { min: 1 } }\n');
    for (const r of replicas) await waitFor('the reload', async () => (await healthOf(r)).datasets.some((d) => d.name === 'late'), { timeoutMs: 20_000 });
  });

  it('a replica SIGKILLed mid-run: its run is marked aborted and the tick run again by another replica within the lease', async () => {
    const running = await waitFor('a replica running slow', async () => {
      const r = await rows(db, `select run_id, replica, scheduled_for from vigil.runs where status = 'running' and datasets::text = '["slow"]'`);
      return r[0];
    }, { timeoutMs: 40_000, intervalMs: 200 });
    const [owner] = await rows(db, `select pid from vigil.vigil_replicas where id = '${String(running.replica)}'`);
    const victim = replicas.find((r) => r.pid === Number(owner?.pid));
    expect(victim).toBeDefined();
    victim?.child.kill('SIGKILL');
    const killedAt = Date.now();
    const tick = (running.scheduled_for as Date).toISOString();
    const rerun = await waitFor('the tick run again by another replica', async () => {
      const r = await rows(db, `select status, replica from vigil.runs where datasets::text = '["slow"]' and scheduled_for = '${tick}' and status = 'completed'`);
      return r[0];
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(rerun.replica).not.toBe(running.replica);
    expect(await rows(db, `select status from vigil.runs where run_id = '${String(running.run_id)}'`)).toEqual([{ status: 'aborted' }]);
    // Found dead after its 3 s lease, then the run: well inside lease + run + a renewal.
    expect(Date.now() - killedAt).toBeLessThan(25_000);
    const h = await healthOf(replicas.find((r) => r !== victim) as Replica);
    expect(h.replicas.find((x) => x.pid === victim?.pid)?.alive ?? false).toBe(false);
  });
});
