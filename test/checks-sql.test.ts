// sql: the first column of the first row; {{ source }} is the relation with filter applied (SPEC §2).
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const FORMATS = ['parquet', 'csv'] as const;

/**
 * 100 rows, id 1..100. status 'test' for id > 90 (10 rows, none negative).
 * amount: negative (-id) for id % 10 = 5 → 9 negatives among the 90 live rows (5,15,…,85); else id * 1.5.
 */
const ORDERS_SQL = `select id,
  case when id > 90 then 'test' else 'live' end as status,
  (case when id % 10 = 5 and id <= 90 then -id else id * 1.5 end)::DOUBLE as amount
  from (select range + 1 as id from range(100))`;

describe.each(FORMATS)('sql on %s', (format) => {
  it('{{ source }} has the dataset filter applied; the value is the first column of the first row', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: orders
source: ../data/o.${format}
filter: "status <> 'test'"
checks:
  - sql: { name: negative_amounts, query: "select count(*) from {{ source }} where amount < 0", fail: 0 }
  - sql: { name: tight_braces, query: "select count(*) from {{source}}", fail: { min: 1 } }
  - sql: { name: two_columns, query: "select count(*) filter (where amount < 0) as neg, count(*) as total from {{ source }}", warn: 5, fail: 100 }
  - sql: { name: many_rows, query: "select amount from {{ source }} order by amount limit 3", fail: { min: 0 } }
  - sql: { name: sum_amount, query: "select sum(amount) from {{ source }} where id <= 4", fail: { max: 14 } }
  - sql: { name: twice, query: "select (select count(*) from {{ source }}) - (select count(*) from {{ source }} where amount >= 0)", fail: 10 }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId } = await runProject(dir);

    const neg = byId.get('orders.negative_amounts');
    expect(neg).toMatchObject({ status: 'fail', value: 9, kind: 'sql', name: 'negative_amounts', check: 'orders.negative_amounts', dataset: 'orders' });
    expect(neg?.message).toContain('negative_amounts');
    expect(neg?.message).toContain('9');
    expect(neg?.thresholds).toEqual({ fail: 0 });

    expect(byId.get('orders.tight_braces')).toMatchObject({ status: 'pass', value: 90 });
    expect(byId.get('orders.two_columns')).toMatchObject({ status: 'warn', value: 9 });
    // min amount among live rows: -85
    expect(byId.get('orders.many_rows')).toMatchObject({ status: 'fail', value: -85 });
    // 1.5 + 3 + 4.5 + 6 = 15
    expect(byId.get('orders.sum_amount')).toMatchObject({ status: 'fail', value: 15 });
    expect(byId.get('orders.twice')).toMatchObject({ status: 'pass', value: 9 });
  });

  it('percent thresholds divide by the dataset row_count (after filter)', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: orders
source: ../data/o.${format}
filter: "status <> 'test'"
checks:
  - sql: { name: neg_pct_fail, query: "select count(*) from {{ source }} where amount < 0", fail: "9.9%" }
  - sql: { name: neg_pct_pass, query: "select count(*) from {{ source }} where amount < 0", warn: "5%", fail: "10%" }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId } = await runProject(dir);
    // 9 of 90 rows = 10% (of all 100 rows it would be 9%)
    const f = byId.get('orders.neg_pct_fail');
    expect(f).toMatchObject({ status: 'fail', value: 9 });
    expect(f?.details).toMatchObject({ rows: 90 });
    expect(byId.get('orders.neg_pct_pass')).toMatchObject({ status: 'warn', value: 9 });
  });

  it('errors when the query returns no row, NULL, a non-number, or fails — without stopping the others', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: orders
source: ../data/o.${format}
checks:
  - sql: { name: no_row, query: "select amount from {{ source }} where false", fail: 0 }
  - sql: { name: null_value, query: "select max(amount) from {{ source }} where amount > 1e9", fail: 0 }
  - sql: { name: text_value, query: "select 'many' from {{ source }} limit 1", fail: 0 }
  - sql: { name: bad_sql, query: "select count(*) from {{ source }} where no_such_column > 0", fail: 0 }
  - sql: { name: fine, query: "select count(*) from {{ source }}", fail: { min: 1 } }
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId, report } = await runProject(dir);
    const noRow = byId.get('orders.no_row');
    expect(noRow).toMatchObject({ status: 'error', value: null });
    expect(noRow?.message).toMatch(/no row/);
    const nul = byId.get('orders.null_value');
    expect(nul).toMatchObject({ status: 'error', value: null });
    expect(nul?.message).toMatch(/NULL/);
    expect(byId.get('orders.text_value')).toMatchObject({ status: 'error', value: null });
    const bad = byId.get('orders.bad_sql');
    expect(bad).toMatchObject({ status: 'error', value: null });
    expect(bad?.message).toContain('no_such_column');
    expect(byId.get('orders.fine')).toMatchObject({ status: 'pass', value: 100 });
    expect(byId.get('orders.row_count')).toMatchObject({ status: 'pass', value: 100 });
    expect(report.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 4 });
  });
});

describe('sql specifics', () => {
  // Result rows are JS objects keyed by column name, and JS orders integer-like keys first,
  // so the "first" value of { "42": 42, "7": 7 } is 7.
  it('takes the first column when the columns are unaliased literals (select 42, 7)', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: lit
source: ../data/o.parquet
checks:
  - sql: { name: literal_columns, query: "select 42, 7", fail: 50 }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    const { byId } = await runProject(dir);
    expect(byId.get('lit.literal_columns')).toMatchObject({ status: 'pass', value: 42 });
  });

  it('takes the first column when the columns are aliased with numbers', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: lit
source: ../data/o.parquet
checks:
  - sql: { name: numbered_aliases, query: "select count(*) as \\"2\\", 0 as \\"1\\" from {{ source }}", fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    const { byId } = await runProject(dir);
    expect(byId.get('lit.numbered_aliases')).toMatchObject({ status: 'pass', value: 100 });
  });

  it('takes the first column when two columns share a name', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: lit
source: ../data/o.parquet
checks:
  - sql: { name: same_names, query: "select x.n, y.n from (select count(*) as n from {{ source }}) x, (select 0 as n) y", fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    const { byId } = await runProject(dir);
    expect(byId.get('lit.same_names')).toMatchObject({ status: 'pass', value: 100 });
  });

  it('reads booleans as 1/0 and DECIMAL results as numbers', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: d
source: ../data/o.parquet
checks:
  - sql: { name: any_negative, query: "select bool_or(amount < 0) from {{ source }}", fail: 0 }
  - sql: { name: decimal_sum, query: "select sum(price) from {{ source }}", fail: { max: 10 } }
`,
    });
    await writeData(dir, 'data/o.parquet', `select range as id, (range * 1.25)::DECIMAL(18,2) as price, -range::DOUBLE as amount from range(4)`);
    const { byId } = await runProject(dir);
    expect(byId.get('d.any_negative')).toMatchObject({ status: 'fail', value: 1 });
    // 0 + 1.25 + 2.5 + 3.75 = 7.5
    expect(byId.get('d.decimal_sum')).toMatchObject({ status: 'pass', value: 7.5 });
  });

  it('resolves relative paths in the query from the check file folder', async () => {
    const dir = makeProject({
      'checks/sub/o.yaml': `dataset: rel
source: ../../data/o.parquet
checks:
  - sql: { name: lookup_rows, query: "select count(*) from read_parquet('../../data/lookup.parquet')", fail: { min: 5 } }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    await writeData(dir, 'data/lookup.parquet', 'select range as k from range(3)');
    const { byId } = await runProject(dir);
    expect(byId.get('rel.lookup_rows')).toMatchObject({ status: 'fail', value: 3 });
  });

  it('rejects where on a sql check as a validation error', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: w
source: ../data/o.parquet
checks:
  - sql: { name: neg, query: "select count(*) from {{ source }}", where: "amount < 0", fail: 0 }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    await expect(runProject(dir)).rejects.toThrow(/where/);
  });

  it('works on a sql source: {{ source }} wraps it with the filter', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: s
source: { sql: "select * from read_parquet('../data/o.parquet') where id <= 50" }
filter: "status = 'live'"
checks:
  - sql: { name: neg, query: "select count(*) from {{ source }} where amount < 0", fail: "10%" }
  - row_count: { fail: { max: 49 } }
`,
    });
    await writeData(dir, 'data/o.parquet', ORDERS_SQL);
    const { byId } = await runProject(dir);
    // ids 5,15,25,35,45 of 50 rows = 10%: not above 10%
    expect(byId.get('s.neg')).toMatchObject({ status: 'pass', value: 5 });
    expect(byId.get('s.neg')?.details).toMatchObject({ rows: 50 });
    expect(byId.get('s.row_count')).toMatchObject({ status: 'fail', value: 50 });
  });
});
