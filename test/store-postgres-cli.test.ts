// The CLI on a PostgreSQL store (`store: ${VIGIL_STORE_URL}`): vigil run and
// vigil status print what they print on a DuckDB store, run for run.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

let pg: PgServer;
beforeAll(async () => { pg = await startPostgres(); }, 60_000);
afterAll(async () => { await pg?.destroy(); cleanupProjects(); });

const ORDERS = `dataset: orders
source: ../data/orders.parquet
owner: payments
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: amount, fail: 0 }
  - duplicates: { keys: [order_id], fail: 0 }
  - schema: { columns: { order_id: BIGINT, amount: any } }
`;

async function project(store: string): Promise<string> {
  const dir = makeProject({ 'vigil.yaml': `store: "${store}"\n`, 'checks/orders.yaml': ORDERS });
  await writeData(dir, 'data/orders.parquet', 'select range as order_id, case when range = 3 then null else range * 1.5 end as amount from range(40)');
  return dir;
}

/** What differs between two runs of the same checks: ids, the clock's readings, durations. */
const normalized = (text: string) => text
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
  .replace(/"(duration_ms|ms|started_at|finished_at|recorded_at)":\s*("[^"]*"|[0-9.e+-]+)/g, '"$1":<t>')
  .replace(/\d+(\.\d+)?\s?(ms|s)\b/g, '<dur>')
  .replace(/last run \S+/g, 'last run <time>');

describe('vigil run and vigil status on a PostgreSQL store', () => {
  const out: Record<'duck' | 'pg', string[]> = { duck: [], pg: [] };
  let pgDir: string;

  beforeAll(async () => {
    const url = `${await pg.createDatabase('cli')}?schema=cli_store`;
    const dirs = { duck: await project('.vigil/vigil.duckdb'), pg: await project('${VIGIL_STORE_URL}') };
    pgDir = dirs.pg;
    const env = { VIGIL_STORE_URL: url };
    for (const k of ['duck', 'pg'] as const) {
      for (const args of [['run', '--json', '--no-alerts', '--now', '2026-02-01T00:00:00Z'], ['run', '--no-alerts', '--now', '2026-02-02T00:00:00Z'], ['status', '--json'], ['status']]) {
        const res = await vigil(args, { cwd: dirs[k], env });
        out[k].push(`${res.code}\n${normalized(res.stdout)}`);
      }
    }
  }, 180_000);

  it('vigil run --json: the same exit code and JSON (the nulls check fails: exit 1)', () => {
    expect(out.pg[0]).toMatch(/^1\n/);
    expect(out.pg[0]).toContain('"orders.nulls.amount"');
    expect(out.pg[0]).toBe(out.duck[0]);
  });

  it('vigil run (text), vigil status --json and vigil status print the same on both stores', () => {
    expect(out.pg[1]).toBe(out.duck[1]);
    expect(out.pg[2]).toBe(out.duck[2]);
    expect(out.pg[3]).toBe(out.duck[3]);
    expect(JSON.parse(out.pg[2]!.split('\n').slice(1).join('\n').replace(/<t>/g, '0')).results).toHaveLength(4);
  });

  it('the runs are in the PostgreSQL schema named by ?schema=, and the password is never printed', async () => {
    const runs = await pg.sql('select count(*)::int as n from cli_store.runs', 'cli');
    expect(runs.rows[0]).toEqual({ n: 2 });
    for (const text of out.pg) expect(text).not.toContain(pg.password);
  });

  it('a store URL whose server refuses the password: a clear error, exit 3 or 4, no password shown', async () => {
    const res = await vigil(['run', '--no-alerts'], { cwd: pgDir, env: { VIGIL_STORE_URL: pg.url.replace(`:${pg.password}@`, ':not-the-secret@') } });
    expect(res.code).toBeGreaterThan(1);
    expect(res.stderr).toMatch(/results store postgres:\/\/vigil:\*\*\*@/);
    expect(res.stderr).not.toContain('not-the-secret');
  });
});
