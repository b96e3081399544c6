// NULL counts of a Parquet source come from its footers' statistics
// (engine/statistics.ts): same numbers as a scan, only where that holds.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { AggregateNeed, ColumnInfo, Need } from '../src/checks/kind.js';
import { needKey } from '../src/checks/kind.js';
import type { ResolvedSource } from '../src/config/model.js';
import { statisticsPlan } from '../src/engine/statistics.js';
import { duckdbDialect } from '../src/sql/duckdb.js';
import { cleanupProjects, makeProject, queryDb, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const parquet: ResolvedSource = { type: 'file', path: '/data/x.parquet', format: 'parquet', options: {}, display: 'x.parquet' };
const columns: ColumnInfo[] = [
  { name: 'v', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(18,2)' },
  { name: 'tags', type: 'VARCHAR[]' }, { name: 'point', type: 'STRUCT(x DOUBLE, y DOUBLE)' }, { name: 'attrs', type: 'MAP(VARCHAR, VARCHAR)' },
];
const count = (column: string, extra: Partial<AggregateNeed> = {}): AggregateNeed => ({ type: 'aggregate', fn: 'count', arg: `"${column}"`, column, ...extra });

describe('which needs the footers answer', () => {
  it('plain non-NULL counts of flat columns of a Parquet source with no options or filter', () => {
    const needs: Need[] = [
      { type: 'aggregate', fn: 'count_star' }, count('v'), count('amount'),
      count('tags'), count('point'), count('attrs'), // per-leaf statistics: not a per-row count
      count('v', { filter: 'v > 1' }), // a check's where:
      { type: 'aggregate', fn: 'count', arg: 'lower("v")' }, // an expression, not a column
      { type: 'duplicates', keys: [{ name: 'v', type: 'BIGINT' }] },
    ];
    const plan = statisticsPlan(parquet, undefined, needs, columns, duckdbDialect);
    // The row count comes along, so that rows − non-NULL is one snapshot of the files.
    expect(plan?.needs).toEqual([count('v'), count('amount'), { type: 'aggregate', fn: 'count_star' }]);
  });

  it('nothing for CSV, a dataset filter, reader options, or when no need qualifies', () => {
    const needs = [count('v')];
    expect(statisticsPlan({ ...parquet, format: 'csv' }, undefined, needs, columns, duckdbDialect)).toBeNull();
    expect(statisticsPlan(parquet, 'v > 0', needs, columns, duckdbDialect)).toBeNull();
    expect(statisticsPlan({ ...parquet, options: { hive_partitioning: true } }, undefined, needs, columns, duckdbDialect)).toBeNull();
    expect(statisticsPlan(parquet, undefined, [count('tags'), count('nope')], columns, duckdbDialect)).toBeNull();
  });

  it('all or nothing: one column whose statistics are incomplete leaves every count with the data query', () => {
    const rows: Need = { type: 'aggregate', fn: 'count_star' };
    const plan = statisticsPlan(parquet, undefined, [rows, count('v'), count('amount')], columns, duckdbDialect);
    const v = { column_name: 'v', chunks: 3, with_null_count: 3, null_count: 7, row_groups: 3, row_count: 100, partitioned: 0 };
    const amount = { column_name: 'amount', chunks: 3, with_null_count: 3, null_count: 1, row_groups: 3, row_count: 100, partitioned: 0 };
    expect(plan?.read([v, amount])).toEqual(new Map([[needKey(count('v')), 93], [needKey(count('amount')), 99], [needKey(rows), 100]]));
    expect(plan?.read([v, { ...amount, with_null_count: 2 }]).size).toBe(0); // one row group without the statistic
    expect(plan?.read([v]).size).toBe(0); // no chunk of amount at all
    expect(plan?.read([v, { ...amount, chunks: 2, with_null_count: 2 }]).size).toBe(0); // a file lacking the column
    expect(plan?.read([{ ...v, row_groups: 0, chunks: 0, with_null_count: 0 }, { ...amount, row_groups: 0, chunks: 0, with_null_count: 0 }]).size).toBe(0);
    expect(plan?.read([{ ...v, partitioned: 3 }, { ...amount, partitioned: 3 }]).size).toBe(0); // key=value folders
  });
});

describe('on real Parquet files', () => {
  it('gives the counts a scan gives, across files and row groups, and leaves the data query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 1000 }),
        async (files, rows, every, seed) => {
          const dir = makeProject({
            'checks/e.yaml': 'dataset: e\nsource: ../data/*.parquet\nchecks:\n  - nulls: { columns: [v, s], fail: 100% }\n  - row_count: { fail: { min: 0 } }\n',
          });
          for (let f = 0; f < files; f++) {
            // ROW_GROUP_SIZE 2048: a few row groups per file; NULLs scattered by a hash of the row.
            await writeData(dir, `data/part${f}.parquet`, `SELECT range AS id,
              CASE WHEN hash(range + ${seed + f}) % ${every} = 0 THEN NULL ELSE range END AS v,
              CASE WHEN hash(range * 7 + ${seed}) % ${every + 1} = 0 THEN NULL ELSE 's' || range END AS s
              FROM range(${rows + f * 1000})`);
          }
          const [scan] = await queryDb(':memory:', `SELECT count(*) - count(v) AS v, count(*) - count(s) AS s, count(*) AS n FROM read_parquet('${dir.replaceAll("'", "''")}/data/*.parquet')`, { write: true });
          const { byId, report } = await runProject(dir);
          expect(byId.get('e.nulls.v')).toMatchObject({ status: 'pass', value: scan?.v, details: { rows: scan?.n } });
          expect(byId.get('e.nulls.s')).toMatchObject({ status: 'pass', value: scan?.s });
          const labels = report.datasets[0]?.queries.map((q) => q.label);
          expect(labels).toContain('statistics');
          const data = report.datasets[0]?.queries.find((q) => q.label === 'dataset');
          // No row group at all (no rows): nothing to read in the footers, the data statement counts.
          // Otherwise the footers answer every count here, and no data statement is needed at all.
          if (Number(scan?.n) > 0) expect(data).toBeUndefined();
          else expect(data?.sql).toMatch(/count\("v"\)/);
        },
      ),
      { numRuns: 10, examples: [[1, 0, 1, 0], [3, 0, 2, 5]] },
    );
  });

  it('key=value folders: the column comes from the path (hive partitioning), so it is counted from the data', async () => {
    const dir = makeProject({
      'checks/h.yaml': 'dataset: h\nsource: ../data/*/*.parquet\nchecks:\n  - nulls: { column: year, fail: 0 }\n',
    });
    // The file's own year column is half NULL; DuckDB reads year from the folder name instead.
    await writeData(dir, 'data/year=2024/part.parquet', 'SELECT range AS id, CASE WHEN range % 2 = 0 THEN NULL ELSE 2024 END AS year FROM range(10)');
    const { byId, report } = await runProject(dir);
    expect(byId.get('h.nulls.year')).toMatchObject({ status: 'pass', value: 0, details: { rows: 10 } });
    expect(report.datasets[0]?.queries.find((q) => q.label === 'dataset')?.sql).toMatch(/count\("year"\)/);
  });

  it('a where: or a missing_values check is still counted from the data', async () => {
    const dir = makeProject({
      'checks/e.yaml': `dataset: e
source: ../data/e.parquet
checks:
  - nulls: { column: v, where: "id < 100", fail: 100% }
  - nulls: { name: v_missing, column: v, missing_values: [-1], fail: 100% }
`,
    });
    await writeData(dir, 'data/e.parquet', 'SELECT range AS id, CASE WHEN range % 4 = 0 THEN NULL WHEN range % 4 = 1 THEN -1 ELSE range END AS v FROM range(1000)');
    const { byId, report } = await runProject(dir);
    expect(byId.get('e.nulls.v')).toMatchObject({ value: 25, details: { rows: 100 } });
    expect(byId.get('e.v_missing')).toMatchObject({ value: 500 });
    expect(report.datasets[0]?.queries.map((q) => q.label)).not.toContain('statistics');
  });
});
