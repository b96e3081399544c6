// row_count: rows after filter and where (SPEC §2).
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const FORMATS = ['parquet', 'csv'] as const;

/** 200 rows: status 'test' on every 10th (20 rows); region 'eu' on even ids (100 rows, all 20 test rows among them). */
const ORDERS_SQL = `select id,
  case when id % 10 = 0 then 'test' else 'ok' end as status,
  case when id % 2 = 0 then 'eu' else 'us' end as region
  from (select range + 1 as id from range(200))`;

describe.each(FORMATS)('row_count on %s', (format) => {
  it('counts rows after the dataset filter and the check where', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: orders
source: ../data/o.${format}
filter: "status <> 'test'"
checks:
  - row_count: { warn: { min: 1000 }, fail: { min: 1 } }
  - row_count: { name: eu_rows, where: "region = 'eu'", fail: { min: 1, max: 1000 } }
`,
      'checks/all.yaml': `dataset: orders_all
source: ../data/o.${format}
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { name: eu_rows, where: "region = 'eu'", fail: { min: 1 } }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId } = await runProject(dir);

    expect(byId.get('orders_all.row_count')).toMatchObject({ status: 'pass', value: 200, unit: 'rows', kind: 'row_count' });
    expect(byId.get('orders_all.eu_rows')).toMatchObject({ status: 'pass', value: 100 });

    const filtered = byId.get('orders.row_count');
    expect(filtered).toMatchObject({ status: 'warn', value: 180, unit: 'rows', check: 'orders.row_count', dataset: 'orders', name: 'row_count' });
    expect(filtered?.message).toContain('180 rows');
    expect(filtered?.message).toContain('1000');
    expect(filtered?.thresholds).toEqual({ warn: { min: 1000 }, fail: { min: 1 } });

    // both filter and where: even ids that are not multiples of 10
    expect(byId.get('orders.eu_rows')).toMatchObject({ status: 'pass', value: 80, check: 'orders.eu_rows', name: 'eu_rows' });
  });

  it('applies min and max, inclusive at the bounds', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/o.${format}
checks:
  - row_count: { name: exact, fail: { min: 200, max: 200 } }
  - row_count: { name: below_min, fail: { min: 201 } }
  - row_count: { name: above_max, warn: { max: 199 } }
  - row_count: { name: max_only_ok, fail: { max: 200 } }
  - row_count: { name: warn_and_fail, warn: { min: 500 }, fail: { max: 150 } }
  - row_count: { name: number, warn: 199 }
  - row_count: { name: number_at, warn: 200 }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId, report } = await runProject(dir);
    const st = (n: string) => byId.get(`o.${n}`)?.status;
    expect(st('exact')).toBe('pass');
    expect(st('below_min')).toBe('fail');
    expect(st('above_max')).toBe('warn');
    expect(st('max_only_ok')).toBe('pass');
    expect(st('warn_and_fail')).toBe('fail');
    expect(st('number')).toBe('warn');
    expect(st('number_at')).toBe('pass');
    expect(report.summary).toEqual({ pass: 3, warn: 2, fail: 2, error: 0 });
    for (const r of report.results) expect(r.value).toBe(200);
    expect(byId.get('o.below_min')?.message).toMatch(/200 rows; fail below 201/);
    expect(byId.get('o.above_max')?.message).toMatch(/200 rows; warn above 199/);
  });

  it('fails on zero rows with fail: { min: 1 }', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/o.${format}
filter: "region = 'nowhere'"
checks:
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId } = await runProject(dir);
    expect(byId.get('o.row_count')).toMatchObject({ status: 'fail', value: 0, unit: 'rows' });
    expect(byId.get('o.row_count')?.message).toMatch(/^0 rows/);
  });

  it('a broken where errors only its own check', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/o.${format}
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { name: broken, where: "no_such_column = 1", fail: { min: 1 } }
  - nulls: { column: status, fail: 0 }
`,
    });
    await writeData(dir, `data/o.${format}`, ORDERS_SQL);
    const { byId } = await runProject(dir);
    expect(byId.get('o.row_count')).toMatchObject({ status: 'pass', value: 200 });
    expect(byId.get('o.nulls.status')).toMatchObject({ status: 'pass', value: 0 });
    const broken = byId.get('o.broken');
    expect(broken).toMatchObject({ status: 'error', value: null });
    expect(broken?.message).toContain('no_such_column');
  });
});

describe('row_count sources', () => {
  it('counts every file of a glob', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/part-*.parquet
checks:
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/part-1.parquet', 'select range as id from range(30)');
    await writeData(dir, 'data/part-2.parquet', 'select range as id from range(12)');
    const { byId } = await runProject(dir);
    expect(byId.get('o.row_count')).toMatchObject({ status: 'pass', value: 42 });
  });

  it('errors every check of a dataset whose source matches no file', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/missing-*.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { name: other, warn: 5 }
`,
      'checks/p.yaml': `dataset: p
source: ../data/p.parquet
checks:
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/p.parquet', 'select range as id from range(3)');
    const { byId } = await runProject(dir);
    const a = byId.get('o.row_count');
    const b = byId.get('o.other');
    expect(a?.status).toBe('error');
    expect(b?.status).toBe('error');
    expect(a?.message).toBe(b?.message);
    expect(a?.message).toContain('missing-*.parquet');
    expect(byId.get('p.row_count')).toMatchObject({ status: 'pass', value: 3 });
  });
});

describe('check ids', () => {
  it('two checks with the same id in one file are a validation error that asks for name:', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: o
source: ../data/o.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { warn: { min: 10 } }
`,
    });
    await writeData(dir, 'data/o.parquet', 'select range as id from range(3)');
    await expect(runProject(dir)).rejects.toThrow(/o\.row_count[\s\S]*name/);
  });

  it('ids are <dataset>.<name> for every kind, and name: overrides the default', async () => {
    const dir = makeProject({
      'checks/o.yaml': `dataset: shop.orders-v2
source: ../data/o.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { name: rows_again, fail: { min: 1 } }
  - freshness: { column: ts, fail_after: 1w }
  - nulls: { column: id, fail: 0 }
  - nulls: { name: id_not_null, column: id, fail: 0 }
  - duplicates: { keys: [id, ts], fail: 0 }
  - schema: { columns: { id: BIGINT } , extra_columns: allow }
  - sql: { name: custom, query: "select 0", fail: 0 }
`,
    });
    await writeData(dir, 'data/o.parquet', "select range as id, TIMESTAMP '2024-06-15 00:00:00' as ts from range(3)");
    const { report } = await runProject(dir, { now: new Date('2024-06-15T12:00:00Z') });
    expect(report.results.map((r) => [r.check, r.name, r.kind, r.status])).toEqual([
      ['shop.orders-v2.row_count', 'row_count', 'row_count', 'pass'],
      ['shop.orders-v2.rows_again', 'rows_again', 'row_count', 'pass'],
      ['shop.orders-v2.freshness', 'freshness', 'freshness', 'pass'],
      ['shop.orders-v2.nulls.id', 'nulls.id', 'nulls', 'pass'],
      ['shop.orders-v2.id_not_null', 'id_not_null', 'nulls', 'pass'],
      ['shop.orders-v2.duplicates.id+ts', 'duplicates.id+ts', 'duplicates', 'pass'],
      ['shop.orders-v2.schema', 'schema', 'schema', 'pass'],
      ['shop.orders-v2.custom', 'custom', 'sql', 'pass'],
    ]);
    expect(report.results.every((r) => r.dataset === 'shop.orders-v2')).toBe(true);
  });
});
