// `vigil serve` on a warehouse connection (a real PostgreSQL): scheduled runs
// push their checks down; when the server goes away the daemon stays up, the
// dataset's checks are `error` saying the connection is refused (a file
// dataset in the same daemon keeps passing), /healthz still answers, and once
// the server is back the next tick passes again — no restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, writeData } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { api, health, killAllDaemons, startServe, waitFor, type Daemon } from './serve-helpers.js';

interface Result { check: string; status: string; value: number | null; message: string; evaluated_at: string }

describe('vigil serve on a PostgreSQL connection', () => {
  let server: PgServer;
  let d: Daemon;

  async function latest(check: string): Promise<Result | undefined> {
    const res = await api<{ results: Result[] }>(d, '/api/status');
    if (res.status !== 200) throw new Error(`/api/status ${res.status}: ${res.text}`);
    return res.body.results.find((r) => r.check === check);
  }

  /** The first result of `check` evaluated after `since` that `ok` accepts. */
  function next(check: string, since: number, ok: (r: Result) => boolean, what: string): Promise<Result> {
    return waitFor(what, async () => {
      const r = await latest(check);
      return r && Date.parse(r.evaluated_at) > since && ok(r) ? r : null;
    }, { daemon: d, timeoutMs: 30_000 });
  }

  beforeAll(async () => {
    server = await startPostgres();
    await server.sql('CREATE SCHEMA analytics; CREATE TABLE analytics.orders (id bigint, customer_id bigint); INSERT INTO analytics.orders SELECT g, g FROM generate_series(1, 40) g');
    const dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nconnections:\n  wh: { type: postgres, url: "${WH_URL}" }\n',
      'checks/orders.yaml': `dataset: orders
source: { connection: wh, table: analytics.orders }
schedule: "*/1 * * * * *"
timeout: 5s
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: customer_id, fail: 0 }
`,
      'checks/local.yaml': `dataset: local
source: ../data/local.parquet
schedule: "*/1 * * * * *"
checks:
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/local.parquet', 'select range as id from range(5)');
    d = await startServe(dir, { env: { ...process.env, WH_URL: server.url } });
  }, 120_000);

  afterAll(async () => {
    await killAllDaemons();
    await server?.destroy();
    cleanupProjects();
  });

  it('errors while the server is down, keeps the file dataset and /healthz going, and passes again once it is back', async () => {
    const first = await next('orders.row_count', 0, (r) => r.status === 'pass', 'a passing scheduled run on the warehouse');
    expect(first.value).toBe(40);

    await server.stop();
    const down = Date.now();
    const refused = await next('orders.row_count', down, (r) => r.status === 'error', 'an error result while the server is down');
    expect(refused.message).toMatch(/cannot connect to wh|lost the connection to wh/);
    expect(refused.message).not.toContain(server.password);
    expect(await next('local.row_count', down, (r) => r.status === 'pass', 'the file dataset still passing')).toMatchObject({ value: 5 });
    expect((await health(d)).datasets.map((x) => x.name)).toEqual(expect.arrayContaining(['orders', 'local']));
    expect(d.alive()).toBe(true);

    await server.start();
    const back = Date.now();
    await server.sql('INSERT INTO analytics.orders SELECT g, g FROM generate_series(41, 50) g');
    const again = await next('orders.row_count', back, (r) => r.status === 'pass' && r.value === 50, 'a passing run after the server is back');
    expect(again.message).not.toMatch(/connect/);
    expect((await latest('orders.nulls.customer_id'))?.status).toBe('pass');
  }, 120_000);
});
