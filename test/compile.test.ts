// The compiler: golden SQL for a fixed set of needs under both strategies,
// split and fused agree on real data, how many queries a dataset costs, and
// identifiers that need quoting.
//
// Regenerate the golden files after an intended change with
//   UPDATE_GOLDEN=1 npx vitest run test/compile.test.ts
// and read the diff before committing it.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { AGG_PLACEHOLDER, type ColumnInfo, type Need } from '../src/checks/kind.js';
import { KINDS } from '../src/checks/registry.js';
import { loadProject } from '../src/config/loader.js';
import { compileDataset, defaultStrategy, type CompiledQuery, type Strategy } from '../src/engine/compile.js';
import { plain } from '../src/engine/duckdb.js';
import { makePlanContext } from '../src/engine/plan.js';
import type { Dialect } from '../src/sql/dialect.js';
import { duckdbDialect as d } from '../src/sql/duckdb.js';
import { postgresDialect as pgd } from '../src/sql/postgres.js';
import { REPO, cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const GOLDEN_DIR = path.join(REPO, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const STRATEGIES: Strategy[] = ['single', 'split', 'fused'];

function q(name: string): string {
  return d.quoteIdent(name);
}

function key(name: string, type = 'BIGINT'): { name: string; type: string } {
  return { name, type };
}

/** The needs check kinds produce for a realistic orders dataset, written out by hand so the compiler is tested alone. */
function orderNeeds(dl: Dialect = d, relation = RELATION, text = 'VARCHAR'): Need[] {
  const where = "status = 'paid'";
  const email = dl.quoteIdent('email');
  return [
    // row_count, and row_count with where
    { type: 'aggregate', fn: 'count_star' },
    { type: 'aggregate', fn: 'count_star', filter: where },
    // nulls: count(*) - count(col), with and without where
    { type: 'aggregate', fn: 'count', arg: q('customer_id') },
    { type: 'aggregate', fn: 'count', arg: q('customer_id'), filter: where },
    // nulls with missing_values ["", "N/A"]
    {
      type: 'aggregate', fn: 'count_star',
      filter: `(${email} IS NULL OR ${email} IN (${dl.castValue('', text)}, ${dl.castValue('N/A', text)}))`,
    },
    // freshness on a naive timestamp read in Europe/Berlin, and on a TIMESTAMPTZ column with a where
    { type: 'aggregate', fn: 'max', arg: q('updated_at'), outer: dl.epochMs(AGG_PLACEHOLDER, 'timestamp', 'Europe/Berlin') },
    { type: 'aggregate', fn: 'max', arg: q('loaded at'), outer: dl.epochMs(AGG_PLACEHOLDER, 'timestamptz', 'UTC'), filter: "region = 'eu'" },
    // freshness on a DATE column
    { type: 'aggregate', fn: 'max', arg: q('order_date'), outer: dl.epochMs(AGG_PLACEHOLDER, 'date', 'UTC') },
    // duplicates on a compound key (one key needs quoting), and on one key with a where
    { type: 'duplicates', keys: [key('order_id'), key('line no')] },
    { type: 'duplicates', keys: [key('customer_id')], filter: where },
    // duplicates on a text key: the sample's tie-break must not depend on a collation
    ...(dl === d ? [] : [{ type: 'duplicates', keys: [key('email', text)] } as Need]),
    // a sql check
    { type: 'query', sql: dl.sourceQuery('select count(*) from {{ source }} where amount < 0', /\{\{\s*source\s*\}\}/g, `(SELECT * FROM ${relation} AS src WHERE (status <> 'test'))`) },
    // asked twice (row_count and nulls both need the row count): compiled once
    { type: 'aggregate', fn: 'count_star' },
  ];
}

const RELATION = "read_parquet('/warehouse/orders/*.parquet')";

const PG_RELATION = '"analytics"."orders"';

const CASES: Record<string, { relation: string; filter?: string; needs: () => Need[]; dialect?: Dialect }> = {
  orders: { relation: RELATION, filter: "status <> 'test'", needs: () => orderNeeds() },
  minimal: {
    relation: "read_csv('/warehouse/customers.csv')",
    needs: () => [{ type: 'aggregate', fn: 'count_star' }, { type: 'duplicates', keys: [key('id')] }],
  },
  // The same needs in PostgreSQL's dialect (a table on a connection).
  'orders.postgres': { relation: PG_RELATION, filter: "status <> 'test'", needs: () => orderNeeds(pgd, PG_RELATION, 'text'), dialect: pgd },
  'minimal.postgres': {
    relation: '"public"."customers"', dialect: pgd,
    needs: () => [{ type: 'aggregate', fn: 'count_star' }, { type: 'duplicates', keys: [key('id', 'bigint')] }],
  },
};

function render(name: string, strategy: Strategy, queries: CompiledQuery[]): string {
  const head = `-- compileDataset(${name}, strategy: ${strategy}) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)\n`;
  return head + queries.map((c, i) => `\n-- [${i + 1}] ${c.label}\n${c.sql};\n`).join('');
}

describe('golden SQL', () => {
  for (const [name, c] of Object.entries(CASES)) {
    for (const strategy of STRATEGIES) {
      it(`${name} under ${strategy} matches test/golden/${name}.${strategy}.sql`, () => {
        const compiled = compileDataset({ dialect: c.dialect ?? d, relation: c.relation, ...(c.filter ? { filter: c.filter } : {}), needs: c.needs(), strategy, describe: strategy === 'single' });
        const text = render(name, strategy, compiled);
        const file = path.join(GOLDEN_DIR, `${name}.${strategy}.sql`);
        if (UPDATE) {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(file, text);
        }
        expect(existsSync(file), `missing ${file}: run UPDATE_GOLDEN=1 npx vitest run test/compile.test.ts`).toBe(true);
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }

  it('quotes every identifier, groups keys as tuples, and applies where as FILTER', () => {
    for (const strategy of STRATEGIES) {
      const compiled = compileDataset({ dialect: d, relation: RELATION, filter: "status <> 'test'", needs: orderNeeds(), strategy });
      const sql = compiled.filter((c) => c.label !== 'sql').map((c) => c.sql).join('\n');
      for (const col of ['customer_id', 'email', 'updated_at', 'loaded at', 'order_date', 'order_id', 'line no']) {
        const bare = new RegExp(`(?<!")${col.replace(/ /g, '\\s')}(?!")`);
        expect(sql, `${col} unquoted (${strategy})`).not.toMatch(bare);
      }
      expect(sql).not.toMatch(/\|\||concat\s*\(/i);
      expect(sql).toContain('GROUP BY "order_id", "line no"');
      expect(sql).toContain('"order_id" IS NOT NULL AND "line no" IS NOT NULL');
      expect(sql).toContain(`count(*) FILTER (WHERE status = 'paid')`);
      expect(sql).toContain(`FILTER (WHERE region = 'eu')`);
      expect(sql).toContain(`(status <> 'test')`);
      expect(sql).toContain("epoch_ms(timezone('Europe/Berlin', CAST(");
      // the duplicated count_star need is compiled once
      expect(compiled.flatMap((c) => c.needs).length).toBe(orderNeeds().length - 1);
    }
  });

  it('fused folds the aggregates and the first duplicates need into one scan; split keeps the GROUP BY on its own', () => {
    const split = compileDataset({ dialect: d, relation: RELATION, filter: "status <> 'test'", needs: orderNeeds(), strategy: 'split' });
    const fused = compileDataset({ dialect: d, relation: RELATION, filter: "status <> 'test'", needs: orderNeeds(), strategy: 'fused' });
    expect(split.map((c) => c.label)).toEqual(['aggregates', 'duplicates(order_id, line no)', 'duplicates(customer_id)', 'sql']);
    expect(fused.map((c) => c.label)).toEqual(['aggregates+duplicates', 'duplicates(customer_id)', 'sql']);
    // every query reads the source at most once
    for (const c of [...split, ...fused].filter((x) => x.label !== 'sql')) expect(c.sql.split('read_parquet(').length - 1).toBe(1);
  });
});

describe('the three plans agree on real data', () => {
  it('every need gets the same value under every strategy (NULL keys, repeats, where, filter)', async () => {
    const dir = makeProject();
    const file = await writeData(dir, 'data/o.parquet', `
      select
        case when i % 10 = 9 then null else i % 40 end as order_id,
        i % 3 as "line no",
        case when i % 7 = 0 then null else i % 13 end as customer_id,
        case when i % 11 = 0 then '' when i % 17 = 0 then 'N/A' when i % 19 = 0 then null else 'u' || i end as email,
        TIMESTAMP '2026-01-01 00:00:00' - i * INTERVAL 1 HOUR as updated_at,
        TIMESTAMPTZ '2026-01-01 00:00:00+00' - i * INTERVAL 1 MINUTE as "loaded at",
        DATE '2025-12-31' - (i % 5)::INTEGER as order_date,
        case when i % 4 = 0 then 'paid' when i % 4 = 1 then 'test' else 'open' end as status,
        case when i % 2 = 0 then 'eu' else 'us' end as region,
        (i % 9) - 2 as amount
      from range(500) t(i)`);
    const relation = `read_parquet(${d.quoteLiteral(file)})`;
    const needs = orderNeeds().map((n) => (n.type === 'query' ? { ...n, sql: n.sql.replace(RELATION, relation) } : n));
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const values: Record<Strategy, Map<string, unknown>> = { single: new Map(), split: new Map(), fused: new Map() };
    try {
      for (const strategy of STRATEGIES) {
        for (const c of compileDataset({ dialect: d, relation, filter: "status <> 'test'", needs, strategy })) {
          const reader = await conn.runAndReadAll(c.sql);
          const rows = c.positional
            ? (reader.getRowsJS() as unknown[][]).map((r) => r.map(plain))
            : (reader.getRowObjectsJS() as Record<string, unknown>[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
          for (const [k, v] of c.read(rows)) values[strategy].set(k, v);
        }
      }
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
    expect(values.fused.size).toBe(needs.length - 1);
    const sortSample = (v: unknown) => {
      if (v && typeof v === 'object' && 'sample' in v) {
        const o = v as { sample: Array<{ key: unknown; count: number }> };
        return { ...o, sample: [...o.sample].map((s) => s.count).sort() };
      }
      return v;
    };
    expect(values.single.size).toBe(needs.length - 1);
    for (const [k, v] of values.split) {
      expect(sortSample(values.fused.get(k)), k).toEqual(sortSample(v));
      expect(sortSample(values.single.get(k)), k).toEqual(sortSample(v));
    }
    // spot checks against independently computed numbers: 375 rows survive the filter (status <> 'test')
    const rowCount = values.split.get(JSON.stringify({ type: 'aggregate', fn: 'count_star' }));
    expect(rowCount).toBe(375);
    const dupCompound = values.split.get(JSON.stringify({ type: 'duplicates', keys: [key('order_id'), key('line no')] })) as { duplicateRows: number; duplicateKeys: number; sample: unknown[] };
    expect(dupCompound.sample.length).toBeLessThanOrEqual(5);
    expect(dupCompound.duplicateRows).toBeGreaterThan(0);
  });
});

describe('how many queries a dataset costs', () => {
  const CHECKS = `checks:
  - freshness: { column: updated_at, fail_after: 1d }
  - row_count: { fail: { min: 1 } }
  - nulls: { columns: [a, b, c, d, e], fail: 0 }
  - duplicates: { keys: [id], fail: 0 }
  - schema: { columns: { id: BIGINT }, extra_columns: allow }
`;
  const SELECT = `select range as id, range as a, range as b, range as c, range as d, range as e,
    TIMESTAMP '2026-01-01 00:00:00' - range * INTERVAL 1 MINUTE as updated_at from range(100)`;

  it('freshness + row_count + nulls×5 + duplicates + schema: 1 statement single and fused, 2 split', () => {
    const dir = makeProject({ 'checks/t.yaml': `dataset: t\nsource: ../data/t.parquet\n${CHECKS}` });
    const { project, diagnostics } = loadProject({ cwd: dir });
    expect(diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    const ds = project.datasets[0];
    if (!ds) throw new Error('no dataset');
    expect(ds.checks).toHaveLength(9);
    const columns: ColumnInfo[] = [...['id', 'a', 'b', 'c', 'd', 'e'].map((name) => ({ name, type: 'BIGINT' })), { name: 'updated_at', type: 'TIMESTAMP' }];
    const ctx = makePlanContext(ds, columns, "read_parquet('/x/t.parquet')", d);
    const needs = ds.checks.flatMap((c) => KINDS[c.kind].plan(c, ctx).needs);
    const fused = compileDataset({ dialect: d, relation: "read_parquet('/x/t.parquet')", needs, strategy: 'fused' });
    const split = compileDataset({ dialect: d, relation: "read_parquet('/x/t.parquet')", needs, strategy: 'split' });
    const single = compileDataset({ dialect: d, relation: "read_parquet('/x/t.parquet')", needs, strategy: 'single', describe: true });
    expect(fused).toHaveLength(1);
    expect(split).toHaveLength(2);
    expect(single).toHaveLength(1);
    // The source appears once, in the CTE, however many metrics read it.
    expect(single[0]?.sql.split('read_parquet(').length).toBe(2);
    expect(single[0]?.sql).toContain('DESCRIBE src');
    expect(defaultStrategy()).toBe('single');
  });

  it('materialize: the source is read once only when the statement scans it more than once', () => {
    const rel = "read_csv('/x/t.csv')";
    const rows: Need = { type: 'aggregate', fn: 'count_star' };
    const dup: Need = { type: 'duplicates', keys: [key('id')] };
    const cte = (needs: Need[]) => compileDataset({ dialect: d, relation: rel, needs, strategy: 'single', materialize: true })[0]?.sql.match(/^WITH src AS (NOT MATERIALIZED|MATERIALIZED)/)?.[1];
    expect(cte([rows, dup])).toBe('MATERIALIZED');
    expect(cte([dup, { type: 'duplicates', keys: [key('id'), key('b')] }])).toBe('MATERIALIZED');
    expect(cte([rows, { type: 'aggregate', fn: 'max', arg: '"b"' }])).toBe('NOT MATERIALIZED');
    expect(cte([dup])).toBe('NOT MATERIALIZED');
    expect(compileDataset({ dialect: d, relation: rel, needs: [rows, dup], strategy: 'single' })[0]?.sql).toMatch(/^WITH src AS NOT MATERIALIZED/);
  });

  it('each dataset costs one data statement once its schema is known (Parquet: plus a footer read); the first run describes first; results agree', async () => {
    const dir = makeProject({
      'checks/c.yaml': `dataset: c\nsource: ../data/t.csv\n${CHECKS}`,
      'checks/p.yaml': `dataset: p\nsource: ../data/t.parquet\n${CHECKS}`,
    });
    await writeData(dir, 'data/t.csv', SELECT);
    await writeData(dir, 'data/t.parquet', SELECT);
    const now = new Date('2026-01-01T01:00:00Z');
    const first = (await runProject(dir, { now })).report;
    const second = (await runProject(dir, { now })).report;
    const labels = (report: typeof first, name: string) => (report.datasets.find((x) => x.dataset === name)?.queries ?? []).map((x) => x.label);
    // CSV: the files' size decides whether the parsed rows are kept for the statement's second scan.
    expect(labels(first, 'c')).toEqual(['describe', 'dataset']);
    expect(labels(second, 'c')).toEqual(['dataset']);
    // Parquet NULL counts come from the footers' statistics, not from the data statement.
    expect(labels(first, 'p')).toEqual(['describe', 'statistics', 'dataset']);
    expect(labels(second, 'p')).toEqual(['statistics', 'dataset']);
    const sqlOf = (name: string) => second.datasets.find((x) => x.dataset === name)?.queries.find((q) => q.label === 'dataset')?.sql ?? '';
    expect(sqlOf('c').split('read_csv(').length).toBe(2);
    expect(sqlOf('c')).toMatch(/^WITH src AS MATERIALIZED /);
    expect(sqlOf('p')).toMatch(/^WITH src AS NOT MATERIALIZED /);
    for (const report of [first, second]) {
      expect(report.summary).toEqual({ pass: 18, warn: 0, fail: 0, error: 0 });
      const strip = (r: { check: string; status: string; value: number | null }) => ({ name: r.check.slice(2), status: r.status, value: r.value });
      expect(report.results.filter((r) => r.dataset === 'c').map(strip)).toEqual(report.results.filter((r) => r.dataset === 'p').map(strip));
    }
  });

  it('a schema that changed since the last run is noticed and the dataset re-planned', async () => {
    const dir = makeProject({ 'checks/p.yaml': `dataset: p\nsource: ../data/t.parquet\n${CHECKS}` });
    await writeData(dir, 'data/t.parquet', SELECT);
    const now = new Date('2026-01-01T01:00:00Z');
    await runProject(dir, { now });
    // updated_at becomes a DATE: the freshness expression planned from the recorded schema no longer fits.
    await writeData(dir, 'data/t.parquet', SELECT.replace("TIMESTAMP '2026-01-01 00:00:00' - range * INTERVAL 1 MINUTE", "DATE '2026-01-01'"));
    const { report, byId } = await runProject(dir, { now });
    const labels = report.datasets[0]?.queries.map((x) => x.label);
    expect(labels).toEqual(['statistics', 'dataset', 'describe', 'statistics', 'dataset']);
    expect(byId.get('p.freshness')?.value).toBe(3600);
    expect(byId.get('p.schema')?.details).toMatchObject({ drift: { retyped: [{ column: 'updated_at', from: 'TIMESTAMP', to: 'DATE' }] } });
  });
});

describe('identifiers that need quoting, for real on Parquet', () => {
  for (const strategy of STRATEGIES) {
    it(`a column named we"ird col works in every kind (${strategy})`, async () => {
      const dir = makeProject({
        'checks/w.yaml': `dataset: w
source: ../data/w.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: 'we"ird col', fail: 100 }
  - nulls: { column: 'we"ird col', name: weird_missing, missing_values: ["x'y"], fail: 100 }
  - nulls: { column: 'select', where: '"we""ird col" IS NOT NULL', fail: 0 }
  - duplicates: { keys: ['we"ird col', 'select'], fail: 1000 }
  - freshness: { column: 'up dated"at', fail_after: 1d }
  - schema: { columns: { 'we"ird col': VARCHAR, 'select': BIGINT, 'up dated"at': TIMESTAMP } }
  - sql: { name: weird_sql, query: "select count(*) from {{ source }} where \\"we\\"\\"ird col\\" = 'a'", fail: 1000 }
`,
      });
      await writeData(dir, 'data/w.parquet', `
        select
          case when range % 10 = 0 then null when range % 10 = 1 then 'x''y' when range % 2 = 0 then 'a' else 'b' end as "we""ird col",
          range % 3 as "select",
          TIMESTAMP '2026-01-01 00:00:00' - range * INTERVAL 1 SECOND as "up dated""at"
        from range(100)`);
      const { byId, report } = await runProject(dir, { now: new Date('2026-01-01T00:10:00Z'), strategy });
      const errors = report.results.filter((r) => r.status === 'error').map((r) => `${r.check}: ${r.message}`);
      expect(errors).toEqual([]);
      expect(byId.get('w.row_count')?.value).toBe(100);
      expect(byId.get('w.nulls.we"ird col')?.value).toBe(10);
      expect(byId.get('w.weird_missing')?.value).toBe(20);
      expect(byId.get('w.nulls.select')?.value).toBe(0);
      // 90 rows with a non-NULL key; distinct (value, select) pairs: 'x''y' ×3, 'a' ×3, 'b' ×3 = 9
      expect(byId.get('w.duplicates.we"ird col+select')?.value).toBe(81);
      expect(byId.get('w.freshness')?.value).toBe(600);
      expect(byId.get('w.schema')?.status).toBe('pass');
      expect(byId.get('w.weird_sql')?.value).toBe(40);
    });
  }
});
