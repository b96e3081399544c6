// Hand-written DuckDB baselines for `npm run bench`. Each invocation is one process that
// opens an in-memory DuckDB instance, runs one strategy's SQL, prints the results as JSON
// on stdout and exits; the driver times the whole process.
//
//   node dist/scripts/bench-baseline.js <strategy> <file> [options]
//   node dist/scripts/bench-baseline.js many <dir> [strategy] [options]   (every .parquet/.csv in dir, one process;
//                                                                         --connections N: N at a time, default 1)
//   node dist/scripts/bench-baseline.js startup                            (node + DuckDB instance + SELECT 1)
//
// strategies (each computes what vigil's checks need: row count, max timestamp, NULL count
// per column, duplicate rows + repeated keys + a sample of 5, and the column types):
//   combined     ONE query: GROUP BY key with per-group count / NULL counts / max ts, then
//                aggregated, and the column types from (DESCRIBE src) of the same CTE
//   per-check    one statement per check, each on its own, the way dbt runs tests: count(*);
//                max(ts); count(*) - count(col) per NULL column; GROUP BY key HAVING count(*) > 1;
//                DESCRIBE. Nothing is shared between statements (a CSV is sniffed by each).
//   agg+groupby  two scans: one flat aggregate (count, max ts, NULL counts) and one
//                GROUP BY key HAVING count(*) > 1; written as one statement over the same CTE
//                (with the column types from DESCRIBE src), so a CSV is sniffed only once
//
// options: --key a,b (default id)  --ts col (default updated_at)  --nulls a,b,c (default: the
// five columns of the big extracts; `many` defaults to the two of the small data sets)
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  BIG_NULL_COLUMNS,
  KEY_COLUMNS,
  MANY_NULL_COLUMNS,
  STRATEGIES,
  TS_COLUMN,
  relationFor,
  sqlIdent,
  type BaselineResult,
  type Strategy,
} from './bench-shape.js';

interface Shape {
  keys: string[];
  ts: string;
  nulls: string[];
}

type Row = Record<string, unknown>;

async function all(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Row[];
}

async function one(conn: DuckDBConnection, sql: string): Promise<Row> {
  const rows = await all(conn, sql);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row from: ${sql}`);
  return row;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function keyStruct(keys: string[]): string {
  return `{${keys.map((k) => `${sqlIdent(k)}: ${sqlIdent(k)}`).join(', ')}}`;
}

function keysNotNull(keys: string[]): string {
  return keys.map((k) => `${sqlIdent(k)} IS NOT NULL`).join(' AND ');
}

/** Repeated keys only: duplicate_keys, duplicate_rows (= rows - distinct keys) and a sample of 5. */
function duplicatesSql(rel: string, keys: string[]): string {
  const k = keys.map(sqlIdent).join(', ');
  return `SELECT count(*) AS duplicate_keys,
  coalesce(sum(n) - count(*), 0) AS duplicate_rows,
  (list({key: key, count: n} ORDER BY n DESC, key))[1:5] AS sample
FROM (SELECT ${keyStruct(keys)} AS key, count(*) AS n FROM ${rel} WHERE ${keysNotNull(keys)} GROUP BY ${k} HAVING count(*) > 1)`;
}

async function schemaOf(conn: DuckDBConnection, rel: string): Promise<Array<{ name: string; type: string }>> {
  const rows = await all(conn, `DESCRIBE SELECT * FROM ${rel}`);
  return rows.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
}

type Schema = Array<{ name: string; type: string }>;

function schemaFrom(v: unknown): Schema {
  if (!Array.isArray(v)) throw new Error(`expected a list of columns, got ${JSON.stringify(v)}`);
  return v.map((c: Record<string, unknown>) => ({ name: String(c['name']), type: String(c['type']) }));
}

/**
 * `WITH src AS NOT MATERIALIZED (FROM <file>)`: a query that reads the source through this CTE
 * and also takes its column types from `(DESCRIBE src)` binds the source once. That matters
 * for a CSV: DuckDB's sniffer costs a fixed ~25 ms (whatever the file's size) every time a
 * statement names read_csv(file), e.g. a separate DESCRIBE.
 */
function withSource(file: string): string {
  return `WITH src AS NOT MATERIALIZED (FROM ${relationFor(file)})`;
}

const SCHEMA_SUBQUERY = `(SELECT list({name: column_name, type: column_type}) FROM (DESCRIBE src)) AS schema`;

async function combined(conn: DuckDBConnection, file: string, shape: Shape): Promise<BaselineResult> {
  const k = shape.keys.map(sqlIdent).join(', ');
  const inner = [
    `${keyStruct(shape.keys)} AS key`,
    `${keysNotNull(shape.keys)} AS key_ok`,
    'count(*) AS n',
    `max(${sqlIdent(shape.ts)}) AS max_ts`,
    ...shape.nulls.map((c, i) => `count(*) - count(${sqlIdent(c)}) AS nn_${i}`),
  ];
  const outer = [
    'coalesce(sum(n), 0) AS row_count',
    'max(max_ts) AS max_ts',
    ...shape.nulls.map((_, i) => `coalesce(sum(nn_${i}), 0) AS nulls_${i}`),
    'coalesce(sum(n - 1) FILTER (WHERE key_ok AND n > 1), 0) AS duplicate_rows',
    'count(*) FILTER (WHERE key_ok AND n > 1) AS duplicate_keys',
    '(list({key: key, count: n} ORDER BY n DESC, key) FILTER (WHERE key_ok AND n > 1))[1:5] AS sample',
    SCHEMA_SUBQUERY,
  ];
  const row = await one(
    conn,
    `${withSource(file)}\nSELECT ${outer.join(',\n  ')}\nFROM (SELECT ${inner.join(', ')} FROM src GROUP BY ${k})`,
  );
  return {
    file,
    queries: 1,
    row_count: num(row['row_count']),
    max_ts: str(row['max_ts']),
    nulls: Object.fromEntries(shape.nulls.map((c, i) => [c, num(row[`nulls_${i}`])])),
    duplicate_rows: num(row['duplicate_rows']),
    duplicate_keys: num(row['duplicate_keys']),
    duplicate_sample: row['sample'] ?? [],
    schema: schemaFrom(row['schema']),
  };
}

async function perCheck(conn: DuckDBConnection, file: string, shape: Shape): Promise<BaselineResult> {
  const rel = relationFor(file);
  const rowCount = num((await one(conn, `SELECT count(*) AS v FROM ${rel}`))['v']);
  const maxTs = str((await one(conn, `SELECT max(${sqlIdent(shape.ts)}) AS v FROM ${rel}`))['v']);
  const nulls: Record<string, number> = {};
  for (const c of shape.nulls) {
    nulls[c] = num((await one(conn, `SELECT count(*) - count(${sqlIdent(c)}) AS v FROM ${rel}`))['v']);
  }
  const dup = await one(conn, duplicatesSql(rel, shape.keys));
  return {
    file,
    queries: 4 + shape.nulls.length,
    row_count: rowCount,
    max_ts: maxTs,
    nulls,
    duplicate_rows: num(dup['duplicate_rows']),
    duplicate_keys: num(dup['duplicate_keys']),
    duplicate_sample: dup['sample'] ?? [],
    schema: await schemaOf(conn, rel),
  };
}

async function aggGroupBy(conn: DuckDBConnection, file: string, shape: Shape): Promise<BaselineResult> {
  const agg = [
    'count(*) AS row_count',
    `max(${sqlIdent(shape.ts)}) AS max_ts`,
    ...shape.nulls.map((c, i) => `count(*) - count(${sqlIdent(c)}) AS nulls_${i}`),
  ];
  // Two scans (the aggregate, the GROUP BY) in one statement, so a CSV is sniffed once.
  const row = await one(
    conn,
    `${withSource(file)}\nSELECT a.*, d.*, ${SCHEMA_SUBQUERY}\n` +
      `FROM (SELECT ${agg.join(', ')} FROM src) a,\n(${duplicatesSql('src', shape.keys)}) d`,
  );
  return {
    file,
    queries: 1,
    row_count: num(row['row_count']),
    max_ts: str(row['max_ts']),
    nulls: Object.fromEntries(shape.nulls.map((c, i) => [c, num(row[`nulls_${i}`])])),
    duplicate_rows: num(row['duplicate_rows']),
    duplicate_keys: num(row['duplicate_keys']),
    duplicate_sample: row['sample'] ?? [],
    schema: schemaFrom(row['schema']),
  };
}

const RUNNERS: Record<Strategy, (conn: DuckDBConnection, file: string, shape: Shape) => Promise<BaselineResult>> = {
  combined,
  'per-check': perCheck,
  'agg+groupby': aggGroupBy,
};

function isStrategy(s: string | undefined): s is Strategy {
  return s !== undefined && (STRATEGIES as readonly string[]).includes(s);
}

function usage(msg: string): never {
  process.stderr.write(
    `bench-baseline: ${msg}\n` +
      `usage: bench-baseline.js <${STRATEGIES.join('|')}> <file> [--key id] [--ts updated_at] [--nulls a,b]\n` +
      `       bench-baseline.js many <dir> [strategy] [same options] [--connections N]\n` +
      `       bench-baseline.js startup\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const v = argv[i + 1];
      if (v === undefined) usage(`${a} needs a value`);
      opts.set(a.slice(2), v);
      i++;
    } else positional.push(a);
  }
  return { positional, opts };
}

function list(v: string | undefined, dflt: readonly string[]): string[] {
  return v === undefined ? [...dflt] : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function main(): Promise<void> {
  const { positional, opts } = parseArgs(process.argv.slice(2));
  const [command, target, extra] = positional;
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const tOpen = performance.now();
  let output: unknown;
  if (command === 'startup') {
    output = await one(conn, 'SELECT 1 AS ok');
  } else if (command === 'many') {
    if (target === undefined) usage('many needs a directory');
    const strategy = extra ?? 'combined';
    if (!isStrategy(strategy)) usage(`unknown strategy ${strategy}`);
    const shape: Shape = { keys: list(opts.get('key'), KEY_COLUMNS), ts: opts.get('ts') ?? TS_COLUMN, nulls: list(opts.get('nulls'), MANY_NULL_COLUMNS) };
    const files = readdirSync(target)
      .filter((f) => /\.(parquet|csv)$/i.test(f))
      .sort()
      .map((f) => path.join(target, f));
    if (files.length === 0) usage(`no .parquet/.csv file in ${target}`);
    // --connections N: N connections of the one instance take files from a shared queue
    // (default 1: a plain loop). Used only as a reference row, vigil runs 2 data sets at a time.
    const connections = Number(opts.get('connections') ?? '1');
    if (!Number.isInteger(connections) || connections < 1) usage('--connections wants a positive integer');
    const conns = [conn];
    while (conns.length < connections) conns.push(await instance.connect());
    const results: BaselineResult[] = new Array<BaselineResult>(files.length);
    let next = 0;
    await Promise.all(
      conns.map(async (c) => {
        while (next < files.length) {
          const i = next++;
          results[i] = await RUNNERS[strategy](c, files[i] as string, shape);
        }
      }),
    );
    for (const c of conns.slice(1)) c.closeSync();
    output = { strategy, connections, files: files.length, results };
  } else {
    if (!isStrategy(command)) usage(`unknown strategy ${command ?? '(none)'}`);
    if (target === undefined) usage('missing file');
    const shape: Shape = { keys: list(opts.get('key'), KEY_COLUMNS), ts: opts.get('ts') ?? TS_COLUMN, nulls: list(opts.get('nulls'), BIG_NULL_COLUMNS) };
    output = { strategy: command, result: await RUNNERS[command](conn, target, shape) };
  }
  const tDone = performance.now();
  conn.closeSync();
  instance.closeSync();
  const timings = { open_ms: round(tOpen - t0), query_ms: round(tDone - tOpen) };
  process.stdout.write(JSON.stringify({ ...(output as object), timings }) + '\n', () => process.exit(0));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-baseline: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
