// vigil store migrate: a DuckDB store with history, incidents (opened,
// acknowledged, resolved), outbox rows still to send and a silence, copied into
// PostgreSQL; then the CLI and the API answer the same on the copy as on the
// original. A target that holds a store is refused without --force, and one in
// use by a live vigil serve is refused even with it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData, writeFile } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { api, killAllDaemons, startServe, stopServe, type Daemon } from './serve-helpers.js';

let pg: PgServer;
beforeAll(async () => { pg = await startPostgres(); }, 60_000);
afterAll(async () => { await killAllDaemons(); await pg?.destroy(); cleanupProjects(); });

const FILES = (store: string) => ({
  'vigil.yaml': `store: "${store}"\nschedule: "0 0 1 1 *"\ndashboard: { port: 0 }\n`,
  'checks/orders.yaml': 'dataset: orders\nsource: ../data/orders.csv\nowner: shop\nupstream: [customers]\nslo: { objectives: [{ check: row_count, target: 90% }] }\nchecks:\n'
    + '  - row_count: { fail: { min: 3 } }\n  - nulls: { column: amount, fail: 0 }\n  - duplicates: { keys: [id], fail: 0 }\n',
  'checks/customers.yaml': 'dataset: customers\nsource: ../data/customers.parquet\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - schema: { columns: { id: BIGINT } }\n',
  // A channel nobody answers: its messages stay in the outbox, retried.
  'alerts/alerts.yaml': 'channels:\n  - name: hooks\n    type: webhook\n    url: http://127.0.0.1:9/hook\nroutes:\n  - channels: [hooks]\n',
});

const ORDERS = ['id,amount\n1,10\n2,\n', 'id,amount\n1,10\n2,20\n3,30\n3,30\n', 'id,amount\n1,10\n2,20\n3,30\n4,40\n'];

/** What may differ between two processes reading the same data: nothing but the clock's readings of now. */
const same = (text: string) => text.replace(/"(generated_at|now)":"[^"]*"/g, '"$1":"<now>"');

describe('vigil store migrate --to postgres://…', () => {
  let duck: string;
  let copy: string;
  let env: NodeJS.ProcessEnv;
  let first: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    duck = makeProject(FILES('.vigil/vigil.duckdb'));
    await writeData(duck, 'data/customers.parquet', 'select range as id from range(5)');
    for (const [i, orders] of ORDERS.entries()) {
      writeFile(duck, 'data/orders.csv', orders);
      const res = await vigil(['run', '--now', `2026-03-0${i + 1}T12:00:00Z`], { cwd: duck });
      expect(res.code, res.stderr).toBeLessThanOrEqual(1);
      if (i === 0) {
        const inc = await vigil(['status', '--json'], { cwd: duck });
        expect(inc.code).toBe(0);
      }
    }
    const incidents = JSON.parse((await vigil(['run', '--json', '--no-alerts', '--now', '2026-03-04T12:00:00Z'], { cwd: duck })).stdout) as { run_id: string };
    expect(incidents.run_id).toBeTruthy();
    const sil = await vigil(['silence', 'add', 'customers', '--for', '90d', '--reason', 'moving house', '--by', 'ana'], { cwd: duck });
    expect(sil.code, sil.stderr).toBe(0);

    env = { VIGIL_STORE_URL: await pg.createDatabase('moved') };
    first = await vigil(['store', 'migrate', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
    copy = makeProject(FILES('${VIGIL_STORE_URL}'));
    for (const f of ['data/orders.csv']) writeFile(copy, f, ORDERS[2] as string);
    await writeData(copy, 'data/customers.parquet', 'select range as id from range(5)');
  }, 180_000);

  it('copies every table in one go and prints how many rows of each; the password is not printed', async () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^copied .*vigil\.duckdb → postgres:\/\/vigil:\*\*\*@127\.0\.0\.1:\d+\/moved in [\d.]+s \(one transaction\):$/m);
    expect(first.stdout).toMatch(/^ {2}runs +4$/m);
    expect(first.stdout).toMatch(/^ {2}check_results +\d+$/m);
    for (const table of ['incidents', 'incident_events', 'outbox', 'schema_snapshots', 'latest_results', 'check_history_window', 'vigil_revisions']) {
      expect(first.stdout).toMatch(new RegExp(`^ {2}${table} +[1-9][\\d,]*$`, 'm'));
    }
    expect(first.stdout + first.stderr).not.toContain(pg.password);
    const counts = await pg.sql(`select (select count(*) from vigil.runs)::int as runs, (select count(*) from vigil.outbox where state = 'pending')::int as pending,
      (select count(*) from vigil.incidents)::int as incidents`, 'moved');
    expect(counts.rows[0]).toMatchObject({ runs: 4 });
    expect(counts.rows[0].pending).toBeGreaterThan(0);
    expect(counts.rows[0].incidents).toBeGreaterThan(0);
  });

  it('the CLI prints the same on the copy as on the original', async () => {
    for (const args of [['status', '--json'], ['status'], ['lineage', '--format', 'json'], ['lineage'], ['silence', 'list', '--json']]) {
      const [a, b] = [await vigil(args, { cwd: duck }), await vigil(args, { cwd: copy, env })];
      expect(b.code, `${args.join(' ')}: ${b.stderr}`).toBe(a.code);
      expect(same(b.stdout), args.join(' ')).toBe(same(a.stdout));
    }
  });

  it('the API answers the same on the copy as on the original', async () => {
    const now = { VIGIL_NOW: '2026-03-04T13:00:00Z' };
    let a: Daemon | undefined;
    let b: Daemon | undefined;
    try {
      [a, b] = [await startServe(duck, { env: now }), await startServe(copy, { env: { ...env, ...now } })];
      const incidents = (await api<{ incidents: Array<{ id: string }> }>(a, '/api/incidents?state=all')).body.incidents;
      expect(incidents.length).toBeGreaterThan(0);
      for (const route of ['/api/datasets', '/api/datasets/orders', '/api/datasets/customers', '/api/checks/orders.row_count/history?days=30',
        '/api/checks/orders.duplicates.id/history?days=2', '/api/incidents?state=all', `/api/incidents?dataset=orders`, '/api/runs?limit=1000', '/api/slos', '/api/lineage',
        '/api/silences?all=true']) {
        const [x, y] = [await api(a, route), await api(b, route)];
        expect(y.status, route).toBe(x.status);
        expect(same(y.text), route).toBe(same(x.text));
      }
      // The original is held by its vigil serve: said so.
      const held = await vigil(['store', 'migrate', '--force', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
      expect(held.code).toBe(2);
      expect(held.stderr).toMatch(/is in use by another process/);
      await stopServe(a);
      a = undefined;
      // The copy is in use: a second migrate is refused even with --force, and nothing is touched.
      const busy = await vigil(['store', 'migrate', '--force', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
      expect(busy.code).toBe(3);
      expect(busy.stderr).toMatch(/in use by 1 vigil process/);
    } finally {
      if (a) await stopServe(a);
      if (b) await stopServe(b);
    }
  }, 120_000);

  it('a target that holds a store is refused without --force (nothing copied); with --force it is replaced, with the same counts', async () => {
    const again = await vigil(['store', 'migrate', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/already holds a store \(rows in .*runs.*\) — nothing was copied; add --force/);
    const forced = await vigil(['store', 'migrate', '--force', '--json', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
    expect(forced.code, forced.stderr).toBe(0);
    const report = JSON.parse(forced.stdout) as { tables: Array<{ table: string; rows: number }> };
    const counted = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    for (const line of first.stdout.split('\n').filter((l) => /^ {2}\w+ +[\d,]+$/.test(l))) {
      const [, table, rows] = /^ {2}(\w+) +([\d,]+)$/.exec(line) as RegExpExecArray;
      expect(counted[table as string], table).toBe(Number((rows as string).replace(/,/g, '')));
    }
    const runs = await pg.sql('select count(*)::int as n from vigil.runs', 'moved');
    expect(runs.rows[0]).toEqual({ n: 4 });
  });

  it('bad arguments: no --to, a --to that is not PostgreSQL, a --from that does not exist', async () => {
    expect((await vigil(['store', 'migrate'], { cwd: duck })).code).toBe(3);
    const notPg = await vigil(['store', 'migrate', '--to', 'mysql://x/y'], { cwd: duck });
    expect(notPg.code).toBe(3);
    expect(notPg.stderr).toMatch(/--to postgres:\/\//);
    const missing = await vigil(['store', 'migrate', '--from', 'nope.duckdb', '--to', String(env.VIGIL_STORE_URL)], { cwd: duck });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no DuckDB store at .*nope\.duckdb/);
  });
});
