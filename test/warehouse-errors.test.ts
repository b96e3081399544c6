// Bad input on a warehouse connection (a real PostgreSQL): a wrong password, a
// server that is down or killed mid-run, a missing table, an unknown column, a
// SQL error, a timeout, a query that tries to write — each is `error` on that
// dataset's checks (or on the one check) with a message that says what and
// where, never the password; the other datasets keep running; the same engines
// recover when the server is back.

import { readFileSync } from 'node:fs';
import pg from 'pg';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { runChecks } from '../src/run/run.js';
import { createEngines } from '../src/run/runtime.js';
import { openStore } from '../src/store/open.js';
import { silentLogger } from '../src/util/log.js';
import { cleanupProjects, makeProject, runProject, vigil, writeData, writeFile, type InProcessRun } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

const WRONG = 'Wr0ng-Secret-4711';

const GOOD = `dataset: good
source: ../data/good.parquet
checks:
  - row_count: { fail: { min: 1 } }
`;

const ORDERS = `dataset: orders
source: { connection: wh, table: analytics.orders }
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: customer_id, fail: 0 }
`;

function result(run: InProcessRun, id: string) {
  const r = run.byId.get(id);
  if (!r) throw new Error(`no result for ${id}; have ${[...run.byId.keys()].join(', ')}`);
  return r;
}

describe('bad input on a PostgreSQL connection', () => {
  let server: PgServer;
  let env: NodeJS.ProcessEnv;
  let downUrl: string;

  async function project(files: Record<string, string>): Promise<string> {
    const dir = makeProject({
      'vigil.yaml': [
        'store: .vigil/vigil.duckdb',
        'connections:',
        '  wh: { type: postgres, url: "${WH_URL}" }',
        '  badpw: { type: postgres, url: "${BAD_URL}" }',
        '  down: { type: postgres, url: "${DOWN_URL}" }',
        '',
      ].join('\n'),
      'checks/good.yaml': GOOD,
      ...files,
    });
    await writeData(dir, 'data/good.parquet', 'select range as id from range(10)');
    return dir;
  }

  beforeAll(async () => {
    server = await startPostgres();
    await server.sql('CREATE SCHEMA analytics; CREATE TABLE analytics.orders (id bigint, customer_id bigint); INSERT INTO analytics.orders SELECT g, g FROM generate_series(1, 100) g; CREATE SEQUENCE analytics.seq');
    // A port nothing listens on: the one a stopped second server used.
    const other = await startPostgres();
    downUrl = other.url;
    await other.destroy();
    env = { ...process.env, WH_URL: server.url, BAD_URL: server.url.replace(`:${server.password}@`, `:${WRONG}@`), DOWN_URL: downUrl };
  }, 120_000);

  afterAll(async () => {
    await server?.destroy();
    cleanupProjects();
  });

  it('a wrong password, a server that is down and a missing table: every check of that dataset errors, saying what and where; files and the good table still run', async () => {
    const dir = await project({
      'checks/orders.yaml': ORDERS,
      'checks/badpw.yaml': ORDERS.replace('dataset: orders', 'dataset: badpw').replace('connection: wh', 'connection: badpw'),
      'checks/down.yaml': ORDERS.replace('dataset: orders', 'dataset: down').replace('connection: wh', 'connection: down'),
      'checks/missing.yaml': ORDERS.replace('dataset: orders', 'dataset: missing').replace('analytics.orders', 'analytics.order'),
    });
    const run = await runProject(dir, { env });
    expect(result(run, 'good.row_count').status).toBe('pass');
    expect(result(run, 'orders.row_count')).toMatchObject({ status: 'pass', value: 100 });
    expect(result(run, 'orders.nulls.customer_id').status).toBe('pass');
    for (const ds of ['badpw', 'down', 'missing']) {
      expect(result(run, `${ds}.row_count`).status).toBe('error');
      expect(result(run, `${ds}.nulls.customer_id`).message).toBe(result(run, `${ds}.row_count`).message);
    }
    const port = new URL(server.url).port;
    expect(result(run, 'badpw.row_count').message).toBe(`cannot connect to badpw (postgres://vigil@127.0.0.1:${port}/vigil): password authentication failed for user "vigil"`);
    expect(result(run, 'down.row_count').message).toMatch(/^cannot connect to down \(postgres:\/\/vigil@127\.0\.0\.1:\d+\/vigil\): connection refused .* is the server running/);
    expect(result(run, 'missing.row_count').message).toMatch(/^table analytics\.order does not exist on wh \(postgres:\/\/vigil@127\.0\.0\.1:\d+\/vigil\) — did you mean analytics\.orders\? — check source: table in .*missing\.yaml$/);
  }, 120_000);

  it('an unknown column, a bad where and a failing query error only their own check', async () => {
    const dir = await project({
      'checks/orders.yaml': `${ORDERS}  - nulls: { column: custmer_id, fail: 0 }
  - row_count: { name: bad_where, where: "no_such = 1", fail: { min: 1 } }
  - sql: { name: broken, query: "select count(*) from {{ source }} where", fail: 0 }
  - sql: { name: fine, query: "select count(*) from {{ source }} s where s.id > 90", fail: { max: 10 } }
`,
    });
    const run = await runProject(dir, { env });
    expect(result(run, 'orders.row_count')).toMatchObject({ status: 'pass', value: 100 });
    expect(result(run, 'orders.fine')).toMatchObject({ status: 'pass', value: 10 });
    expect(result(run, 'orders.nulls.custmer_id')).toMatchObject({ status: 'error' });
    expect(result(run, 'orders.nulls.custmer_id').message).toBe('unknown column custmer_id in wh:analytics.orders — did you mean \'customer_id\'?; columns are: id, customer_id');
    expect(result(run, 'orders.bad_where').message).toMatch(/^query failed \(where: no_such = 1\): column "no_such" does not exist/);
    expect(result(run, 'orders.broken').message).toMatch(/^query failed: syntax error/);
  }, 120_000);

  it('only reads: a write, a second statement or nextval() is refused and nothing changes', async () => {
    const dir = await project({
      'checks/orders.yaml': `${ORDERS}  - sql: { name: two, query: "select 1; delete from analytics.orders", fail: 0 }
  - sql: { name: cte_write, query: "with d as (delete from analytics.orders returning 1) select count(*) from d", fail: 0 }
  - sql: { name: seq, query: "select nextval('analytics.seq')", fail: 0 }
`,
    });
    const run = await runProject(dir, { env });
    for (const id of ['orders.two', 'orders.cte_write', 'orders.seq']) expect(result(run, id).status).toBe('error');
    expect(result(run, 'orders.seq').message).toMatch(/read-only transaction/);
    expect((await server.sql('select count(*)::int as n from analytics.orders')).rows[0].n).toBe(100);
    expect((await server.sql('select last_value, is_called from analytics.seq')).rows[0]).toEqual({ last_value: '1', is_called: false });
  }, 120_000);

  it('a dataset past its timeout has its statement cancelled on the server and says so; the next dataset runs', async () => {
    const dir = await project({
      'checks/slow.yaml': `dataset: slow\ntimeout: 1s\nsource: { connection: wh, table: analytics.orders }\nchecks:\n  - sql: { name: sleepy, query: "select count(*) from {{ source }}, pg_sleep(30)", fail: 0 }\n`,
      'checks/orders.yaml': ORDERS,
    });
    const t0 = Date.now();
    const run = await runProject(dir, { env });
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(result(run, 'slow.sleepy').status).toBe('error');
    expect(result(run, 'slow.sleepy').message).toMatch(/^timed out after 1s/);
    expect(result(run, 'orders.row_count').status).toBe('pass');
    // Nothing of vigil's is left sleeping on the server.
    let left = 1;
    for (let i = 0; i < 50 && left > 0; i++) {
      left = Number((await server.sql("select count(*) as n from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")).rows[0].n);
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
  }, 120_000);

  it('a server killed mid-run errors the dataset in flight; the same engines work again once it is back', async () => {
    const dir = await project({
      'checks/slow.yaml': `dataset: slow\nsource: { connection: wh, table: analytics.orders }\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - sql: { name: sleepy, query: "select count(*) from {{ source }}, pg_sleep(3)", fail: { min: 1 } }\n`,
    });
    const { project: p } = loadProject({ cwd: dir, env });
    const store = await openStore(p.storePath);
    const engines = createEngines(p, { log: silentLogger, datasets: p.datasets });
    try {
      const running = runChecks({ project: p, datasets: p.datasets, store, log: silentLogger, engines });
      await new Promise((r) => setTimeout(r, 1000));
      await server.kill();
      const first = await running;
      const sleepy = first.results.find((r) => r.check === 'slow.sleepy');
      expect(sleepy?.status).toBe('error');
      expect(sleepy?.message).toMatch(/^query failed: lost the connection to wh \(postgres:\/\/vigil@127\.0\.0\.1:\d+\/vigil\)/);
      expect(first.results.find((r) => r.check === 'good.row_count')?.status).toBe('pass');
      const down = await runChecks({ project: p, datasets: p.datasets, store, log: silentLogger, engines });
      expect(down.results.find((r) => r.check === 'slow.row_count')?.message).toMatch(/^cannot connect to wh .*connection refused/);
      await server.start();
      const back = await runChecks({ project: p, datasets: p.datasets, store, log: silentLogger, engines });
      expect(back.results.find((r) => r.check === 'slow.row_count')).toMatchObject({ status: 'pass', value: 100 });
      expect(back.results.find((r) => r.check === 'slow.sleepy')).toMatchObject({ status: 'pass', value: 100 });
    } finally {
      await engines.close();
      await store.close();
    }
  }, 120_000);

  it('the password appears nowhere: not in the table, --json, the log, the store, or vigil validate', async () => {
    const dir = await project({
      'checks/badpw.yaml': ORDERS.replace('dataset: orders', 'dataset: badpw').replace('connection: wh', 'connection: badpw'),
      'checks/orders.yaml': `${ORDERS}  - sql: { name: broken, query: "select count(*) from {{ source }} where", fail: 0 }\n`,
    });
    const table = await vigil(['run'], { cwd: dir, env: { ...env, VIGIL_LOG_LEVEL: 'debug' } });
    const json = await vigil(['run', '--json'], { cwd: dir, env });
    const validate = await vigil(['validate'], { cwd: dir, env });
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('password authentication failed');
    expect(JSON.parse(json.stdout).summary.error).toBeGreaterThan(0);
    const store = readFileSync(path.join(dir, '.vigil', 'vigil.duckdb')).toString('latin1');
    for (const text of [table.stdout, table.stderr, json.stdout, json.stderr, validate.stdout, validate.stderr, store]) {
      expect(text).not.toContain(WRONG);
      expect(text).not.toContain(server.password);
    }
  }, 120_000);

  it('vigil validate checks column names, filters, wheres and queries against the catalog without reading the table', async () => {
    const dir = await project({
      'checks/orders.yaml': `dataset: orders
source: { connection: wh, table: analytics.orders }
filter: "id > 0"
checks:
  - nulls: { column: custmer_id, fail: 0 }
  - row_count: { where: "no_such = 1", fail: { min: 1 } }
  - sql: { name: broken, query: "select count(*) from {{ source }} where nope", fail: 0 }
  - sql: { name: fine, query: "select count(*) from {{ source }}", fail: 0 }
`,
      'checks/nofresh.yaml': 'dataset: nofresh\nsource: { connection: wh, sql: "select * from analytics.orders" }\nchecks:\n  - freshness: { fail_after: 1h }\n',
    });
    writeFile(dir, 'checks/ok.yaml', 'dataset: ok\nsource: { connection: wh, sql: "select id, customer_id from analytics.orders where id < 50" }\nchecks:\n  - nulls: { column: customer_id, fail: 0 }\n  - duplicates: { keys: [id], fail: 0 }\n');
    const before = Number((await server.sql("select coalesce(sum(seq_scan), 0) as n from pg_stat_user_tables where relname = 'orders'")).rows[0].n);
    const out = await vigil(['validate'], { cwd: dir, env });
    expect(out.code).toBe(3);
    const text = out.stdout + out.stderr;
    expect(text).toMatch(/orders\.yaml:5:\d+: .*unknown column custmer_id.*did you mean 'customer_id'/);
    expect(text).toMatch(/orders\.yaml:6:\d+: .*where \(no_such = 1\) does not compile: column "no_such" does not exist/);
    expect(text).toMatch(/orders\.yaml:7:\d+: .*query does not compile: column "nope" does not exist/);
    expect(text).toMatch(/nofresh\.yaml:4:\d+: freshness without column reads file modification times, and wh: sql source is on a connection — name a timestamp or date column/);
    expect(text).not.toMatch(/ok\.yaml|orders\.fine/);
    await new Promise((r) => setTimeout(r, 700)); // statistics are reported to the collector shortly after a statement
    const after = Number((await server.sql("select coalesce(sum(seq_scan), 0) as n from pg_stat_user_tables where relname = 'orders'")).rows[0].n);
    expect(after).toBe(before);
  }, 120_000);

  it('vigil validate on a table another session holds locked gives up after the dataset\'s timeout and says so, instead of hanging', async () => {
    const dir = await project({
      'checks/locked.yaml': 'dataset: locked\nsource: { connection: wh, table: analytics.locked }\ntimeout: 2s\nchecks:\n  - sql: { name: total, query: "select count(*) from {{ source }}", fail: 0 }\n',
    });
    await server.sql('CREATE TABLE analytics.locked (id bigint)');
    const holder = new pg.Client({ connectionString: server.url });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE analytics.locked IN ACCESS EXCLUSIVE MODE');
      const t0 = Date.now();
      const out = await vigil(['validate'], { cwd: dir, env });
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(out.stdout + out.stderr).toMatch(/locked\.yaml:\d+:\d+: .*(statement timeout|canceling statement)/);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 120_000);
});
