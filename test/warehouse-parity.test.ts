// The same data as a Parquet file and as a PostgreSQL table (a real server):
// every check kind, every threshold form, filter / where / missing_values,
// tuple keys with NULLs, schema aliases and drift, naive and tz-aware
// timestamps and DATEs read in two timezones — the same status, value,
// message and details on both engines.

import { mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeType } from '../src/checks/schema.js';
import { cleanupProjects, makeProject, runProject, writeFile } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

const NOW = new Date('2024-03-10T12:00:00Z');

/** Column definitions as each database spells them. */
const COLUMNS: Array<[name: string, duckdb: string, postgres: string]> = [
  ['order_id', 'BIGINT', 'bigint'],
  ['line_no', 'INTEGER', 'integer'],
  ['customer_id', 'BIGINT', 'bigint'],
  ['email', 'VARCHAR', 'text'],
  ['amount', 'DECIMAL(18,2)', 'numeric(18,2)'],
  ['status', 'VARCHAR', 'character varying(12)'],
  ['updated_at', 'TIMESTAMP', 'timestamp without time zone'],
  ['loaded_at', 'TIMESTAMPTZ', 'timestamp with time zone'],
  ['order_date', 'DATE', 'date'],
  ['Region Name', 'VARCHAR', 'text'],
];

function lit(v: string | number | null): string {
  if (v === null) return 'NULL';
  return typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`;
}

/** 240 orders with repeated keys, NULL keys, missing emails, negative amounts, test rows and times across a DST change. */
function rows(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 240; i++) {
    const orderId = i % 37 === 0 ? i + 1 : i; // a few order ids repeat
    const lineNo = i % 11 === 0 ? null : (i % 3) + 1;
    const customer = i % 13 === 0 ? null : 100 + (i % 29);
    const email = i % 17 === 0 ? null : i % 19 === 0 ? '' : i % 23 === 0 ? 'N/A' : `c${i % 29}@example.com`;
    const amount = i % 31 === 0 ? -(i % 7) - 0.5 : ((i * 37) % 1000) / 4;
    const status = i % 41 === 0 ? 'test' : i % 2 ? 'paid' : 'open';
    const minutes = i * 53;
    const updated = new Date(Date.UTC(2024, 2, 9, 0, 0, 0) + minutes * 60_000).toISOString().replace('T', ' ').replace('Z', '');
    const loaded = `${new Date(Date.UTC(2024, 2, 9, 1, 30, 0) + minutes * 60_000).toISOString().replace('T', ' ').replace('Z', '')}+00`;
    const date = new Date(Date.UTC(2024, 2, 1) + (i % 9) * 86400_000).toISOString().slice(0, 10);
    const region = i % 5 === 0 ? null : ['eu', 'us', 'apac'][i % 3] as string;
    out.push(`(${[orderId, lineNo, customer, email, amount, status, updated, loaded, date, region].map(lit).join(', ')})`);
  }
  return out;
}

const CHECKS = `
checks:
  - row_count: { fail: { min: 1 }, warn: { max: 100 } }
  - row_count: { name: paid_rows, where: "status = 'paid'", fail: { min: 500 } }
  - freshness: { column: updated_at, warn_after: 1h, fail_after: 1d }
  - freshness: { name: loaded, column: loaded_at, warn_after: 90m }
  - freshness: { name: by_date, column: order_date, fail_after: 9d }
  - freshness: { name: eu_updated, column: updated_at, where: "\\"Region Name\\" = 'eu'", fail_after: 3h }
  - freshness: { name: never, column: updated_at, where: "amount > 100000", fail_after: 1h }
  - nulls: { column: customer_id, fail: 0 }
  - nulls: { column: customer_id, name: open_customers, where: "status = 'open'", warn: "2%", fail: "50%" }
  - nulls: { column: email, missing_values: ["", "N/A"], warn: 1%, fail: 20% }
  - nulls: { column: amount, name: zero_amounts, missing_values: [0, "0.00"], fail: 3 }
  - nulls: { column: line_no, name: line_missing, missing_values: ["N/A", -1, "2"], fail: { max: 500 } }
  - nulls: { columns: [order_date, "Region Name"], warn: 10 }
  - duplicates: { keys: [order_id], fail: 0 }
  - duplicates: { keys: [order_id, line_no], warn: "0.5%" }
  - duplicates: { keys: [customer_id, email], where: "status <> 'open'", fail: { max: 1000 } }
  - duplicates: { keys: ["Region Name"], fail: 2 }
  - duplicates: { name: by_date_status, keys: [order_date, status], warn: 0 }
  - duplicates: { name: by_times, keys: [order_date, updated_at, loaded_at], warn: 0 }
  - schema:
      columns:
        order_id: INT8
        line_no: INT
        customer_id: BIGINT
        email: TEXT
        amount: NUMERIC(18,2)
        status: STRING
        updated_at: DATETIME
        loaded_at: TIMESTAMPTZ
        order_date: DATE
      extra_columns: fail
  - schema:
      name: wrong_schema
      columns: { amount: DOUBLE, updated_at: TIMESTAMP WITH TIME ZONE, gone: INT, order_id: any }
      extra_columns: allow
      drift: fail
  - sql: { name: negative_amounts, query: "select count(*) from {{ source }} where amount < 0", fail: 0 }
  - sql: { name: negative_share, query: "select count(*) from {{ source }} where amount < 0", warn: "1%" }
  - sql: { name: avg_amount, query: "select round(avg(amount), 2) from {{ source }}", fail: { min: 10, max: 100 } }
  - sql: { name: none, query: "select max(amount) from {{ source }} where amount > 100000", fail: 0 }
  - sql: { name: no_row, query: "select 1 from {{ source }} where 1 = 0", fail: 0 }
  - row_count: { name: hourly_updated, anomaly: { timestamp_column: updated_at, bucket: 1h, training: 1d, min_points: 3 } }
  - row_count: { name: hourly_loaded, where: "status = 'paid'", anomaly: { timestamp_column: loaded_at, bucket: 1h, training: 1d, min_points: 3 } }
  - row_count: { name: daily_dates, anomaly: { timestamp_column: order_date, training: 9d, min_points: 2 } }
  - nulls: { column: email, name: email_by_day, missing_values: ["", "N/A"], anomaly: { timestamp_column: order_date, training: 9d, min_points: 2 } }
  - accepted_values: { column: status, values: [paid], fail: 0 }
  - accepted_values: { column: email, name: email_values, values: ["", "N/A"], include_nulls: true, warn: "50%" }
  - accepted_values: { column: line_no, name: line_values, values: [1, 2, "x"], where: "amount > 0", fail: 0 }
  - range: { column: amount, min: 0, max: 200, fail: 10 }
  - range: { column: order_date, name: date_range, min: "2024-03-02", max: "2024-03-08", warn: 0 }
  - range: { column: updated_at, name: ts_range, max: "2024-03-10 00:00:00", warn: "5%" }
  - range: { column: customer_id, name: customers, min: 100, max: 120.5, fail: "20%" }
`;

function datasetYaml(name: string, source: string, timezone: string): string {
  return `dataset: ${name}\nsource: ${source}\ntimezone: ${timezone}\nfilter: "status <> 'test'"\n${CHECKS}`;
}

/** A type as compared by the schema check: the same type spelt by either database compares equal. */
function canonical(type: unknown): unknown {
  if (typeof type !== 'string') return type;
  const t = normalizeType(type);
  return `${t.base}${t.params !== null ? `(${t.params})` : ''}`;
}

function comparable(r: { status: string; value: number | null; message: string; details: Record<string, unknown>; kind: string; name: string }) {
  const details = JSON.parse(JSON.stringify(r.details), (k, v) => (['actual', 'expected', 'from', 'to'].includes(k) && r.kind === 'schema' ? canonical(v) : v)) as unknown;
  // An error names the source as the user wrote it, which differs between the two.
  const message = r.message.replaceAll('../data/orders.parquet', '<source>').replaceAll('wh:analytics.orders', '<source>');
  return { name: r.name, status: r.status, value: r.value, details, ...(r.kind === 'schema' ? {} : { message }) };
}

describe('the same checks on a Parquet file and a PostgreSQL table', () => {
  let server: PgServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  async function writeParquet(columns: typeof COLUMNS, values: string[], extra = ''): Promise<void> {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      await conn.run(`CREATE TABLE t (${columns.map(([n, t]) => `"${n}" ${t}`).join(', ')})`);
      await conn.run(`INSERT INTO t VALUES ${values.join(', ')}`);
      if (extra) await conn.run(extra);
      await conn.run(`COPY t TO '${dir}/data/orders.parquet' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  }

  beforeAll(async () => {
    server = await startPostgres();
    dir = makeProject({
      'vigil.yaml': 'store: .vigil/vigil.duckdb\nconnections:\n  wh: { type: postgres, url: "${WH_URL}" }\n',
    });
    env = { ...process.env, WH_URL: server.url };
    mkdirSync(`${dir}/data`, { recursive: true });
    const values = rows();
    await writeParquet(COLUMNS, values);
    await server.sql('CREATE SCHEMA analytics');
    await server.sql(`CREATE TABLE analytics.orders (${COLUMNS.map(([n, , t]) => `"${n}" ${t}`).join(', ')})`);
    await server.sql(`SET TIME ZONE 'UTC'; INSERT INTO analytics.orders VALUES ${values.join(', ')}`);
    for (const tz of ['UTC', 'America/New_York']) {
      const suffix = tz === 'UTC' ? 'utc' : 'ny';
      writeFile(dir, `checks/files_${suffix}.yaml`, datasetYaml(`files_${suffix}`, '../data/orders.parquet', tz));
      writeFile(dir, `checks/pg_${suffix}.yaml`, datasetYaml(`pg_${suffix}`, '{ connection: wh, table: analytics.orders }', tz));
    }
  }, 120_000);

  afterAll(async () => {
    await server?.destroy();
    cleanupProjects();
  });

  function compare(report: Awaited<ReturnType<typeof runProject>>['report'], tz: string) {
    const of = (ds: string) => report.results.filter((r) => r.dataset === ds).map(comparable);
    const files = of(`files_${tz}`);
    const pg = of(`pg_${tz}`);
    expect(files.length).toBe(38);
    expect(pg).toEqual(files);
    return files;
  }

  it('give the same status, value, message and details for every check, in two timezones, and drift the same way', async () => {
    const first = await runProject(dir, { now: NOW, env });
    const utc = compare(first.report, 'utc');
    const ny = compare(first.report, 'ny');
    const byName = new Map(utc.map((r) => [r.name, r]));
    // What the data holds, so agreement is not agreement on nothing.
    expect(byName.get('row_count')?.value).toBe(234);
    expect(byName.get('duplicates.order_id')).toMatchObject({ status: 'fail', value: 6 });
    expect((byName.get('duplicates.order_id')?.details as { sample: unknown[] }).sample).toHaveLength(5);
    // DATE keys in the sample: spelled the same by both engines (compared above), and really there.
    const dateKeys = (byName.get('by_date_status')?.details as { sample: Array<{ key: { order_date: unknown } }> }).sample.map((s) => s.key.order_date);
    expect(dateKeys).toHaveLength(5);
    for (const d of dateKeys) expect(d).toMatch(/^2024-03-0\d$/);
    expect(byName.get('nulls.email')?.status).toBe('warn');
    // accepted_values and range: offending values found (text samples ordered alike), observed bounds of each type.
    expect(byName.get('accepted_values.status')).toMatchObject({ status: 'fail', details: { distinct_values: 1, sample: [{ value: 'open' }] } });
    expect((byName.get('email_values')?.details as { sample: unknown[] }).sample).toHaveLength(5);
    expect(byName.get('line_values')?.value).toBeGreaterThan(0);
    expect(byName.get('range.amount')).toMatchObject({ status: 'fail', details: { below: 7 } }); // i % 31 = 0, less the test row i = 0
    expect(byName.get('date_range')?.details).toMatchObject({ observed_min: '2024-03-01', observed_max: '2024-03-09' });
    expect((byName.get('ts_range')?.details as { observed_min: string }).observed_min).toBe('2024-03-09T00:53:00.000Z'); // row 1 (row 0 is a test row)
    expect(byName.get('never')).toMatchObject({ status: 'fail', value: null });
    expect(byName.get('none')?.status).toBe('error');
    expect(byName.get('no_row')?.status).toBe('error');
    expect(byName.get('wrong_schema')?.status).toBe('fail');
    expect(byName.get('schema')?.status).toBe('fail'); // Region Name is an extra column
    // Anomaly buckets: hour buckets of a naive and of a tz-aware column, day buckets of a DATE, in either timezone.
    expect(byName.get('hourly_updated')).toMatchObject({ value: 1, details: { anomaly: { bucket_start: '2024-03-10T11:00:00.000Z', points: 24 } } });
    expect((byName.get('daily_dates')?.details as { anomaly: { points: number } }).anomaly.points).toBe(8);
    expect(typeof byName.get('email_by_day')?.value).toBe('number');
    expect(new Map(ny.map((r) => [r.name, r])).get('hourly_updated')?.details).toMatchObject({ anomaly: { bucket_start: '2024-03-10T11:00:00.000Z' } });
    // A naive timestamp is read in the dataset's timezone; a tz-aware one is absolute.
    const nyByName = new Map(ny.map((r) => [r.name, r]));
    // The newest updated_at is after New York's clocks went forward (UTC−4); the newest date before (UTC−5).
    expect(nyByName.get('freshness')?.value).toBe((byName.get('freshness')?.value as number) - 4 * 3600);
    expect(nyByName.get('loaded')?.value).toBe(byName.get('loaded')?.value);
    expect(nyByName.get('by_date')?.value).toBe((byName.get('by_date')?.value as number) - 5 * 3600);

    // One statement for every aggregate and GROUP BY of the dataset, after the catalog's columns; sql checks on
    // their own (two checks with the same query share one).
    const statements = first.report.datasets.find((d) => d.dataset === 'pg_utc')?.queries.map((q) => q.label);
    expect(statements).toEqual(['describe', 'describe', 'dataset', 'sql', 'sql', 'sql', 'sql']);
    // The other plans agree too.
    for (const strategy of ['split', 'fused'] as const) {
      const other = await runProject(dir, { now: NOW, env, strategy, selectors: ['files_utc', 'pg_utc'] });
      expect(compare(other.report, 'utc').filter((r) => !r.name.includes('schema'))).toEqual(utc.filter((r) => !r.name.includes('schema')));
    }

    // Drift: a column added, one removed, one retyped — in both.
    const values = rows().map((r) => r.replace(/^\((-?[\d.]+|NULL), /, '(')); // without order_id
    const drifted: typeof COLUMNS = [...COLUMNS.slice(1).map((c) => (c[0] === 'line_no' ? ['line_no', 'BIGINT', 'bigint'] as typeof c : c)), ['note', 'VARCHAR', 'text']];
    await writeParquet(drifted, values.map((v) => v.replace(/\)$/, ", 'x')")));
    await server.sql('ALTER TABLE analytics.orders DROP COLUMN order_id; ALTER TABLE analytics.orders ALTER COLUMN line_no TYPE bigint; ALTER TABLE analytics.orders ADD COLUMN note text DEFAULT \'x\'');
    const second = await runProject(dir, { now: NOW, env });
    const after = compare(second.report, 'utc');
    const wrong = after.find((r) => r.name === 'wrong_schema');
    expect(wrong?.details).toMatchObject({ drift: { added: ['note'], removed: ['order_id'], retyped: [{ column: 'line_no', from: 'INTEGER', to: 'BIGINT' }] } });
    expect(after.find((r) => r.name === 'duplicates.order_id')?.status).toBe('error');
  }, 180_000);
});
