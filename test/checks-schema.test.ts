// schema: expected columns/types (with aliases), extra columns, and drift against the last run (SPEC §2).
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const FORMATS = ['parquet', 'csv'] as const;

/** Parquet keeps exact types. */
const TYPED_SQL = `select
  1::INTEGER as i, 2::BIGINT as b, 3::SMALLINT as sm, 'x'::VARCHAR as s,
  1.5::DECIMAL(18,2) as amt, 2.5::DOUBLE as dbl, 1.25::FLOAT as f, true as flag,
  TIMESTAMP '2024-01-01 10:00:00' as ts, TIMESTAMPTZ '2024-01-01 10:00:00+00' as tstz, DATE '2024-01-01' as d
  from range(3)`;

const EMPTY = { missing: [], retyped: [], extra: [] };
const NO_DRIFT = { added: [], removed: [], retyped: [] };

describe('schema: expected types', () => {
  it('accepts aliases, case differences, DECIMAL without precision and VARCHAR(n)', async () => {
    const dir = makeProject({
      'checks/a.yaml': `dataset: aliases
source: ../data/t.parquet
checks:
  - schema:
      columns:
        i: INT
        b: INT8
        sm: int2
        s: TEXT
        amt: DECIMAL
        dbl: FLOAT8
        f: REAL
        flag: BOOL
        ts: DATETIME
        tstz: TIMESTAMPTZ
        d: date
      extra_columns: fail
`,
      'checks/b.yaml': `dataset: aliases2
source: ../data/t.parquet
checks:
  - schema:
      columns:
        i: integer
        b: LONG
        sm: any
        s: VARCHAR(20)
        amt: numeric(18, 2)
        dbl: double
        f: FLOAT4
        flag: boolean
        ts: timestamp
        tstz: timestamp with time zone
        d: ~
      extra_columns: fail
`,
      'checks/c.yaml': `dataset: aliases3
source: ../data/t.parquet
checks:
  - schema:
      columns:
        b: BIGINT
        s: STRING
        amt: DECIMAL(18,2)
      extra_columns: allow
`,
    });
    await writeData(dir, 'data/t.parquet', TYPED_SQL);
    const { byId } = await runProject(dir);
    for (const id of ['aliases.schema', 'aliases2.schema', 'aliases3.schema']) {
      const r = byId.get(id);
      expect(r, id).toMatchObject({ status: 'pass', value: 0, unit: 'columns', kind: 'schema' });
      expect(r?.details.expected, id).toEqual(id === 'aliases3.schema'
        ? { missing: [], retyped: [], extra: ['i', 'sm', 'dbl', 'f', 'flag', 'ts', 'tstz', 'd'] }
        : EMPTY);
      expect(r?.details.drift, id).toEqual(NO_DRIFT);
    }
  });

  it('fails on a missing column and on a wrong type; extra columns follow extra_columns', async () => {
    const dir = makeProject({
      'checks/a.yaml': `dataset: wrong
source: ../data/t.parquet
checks:
  - schema:
      columns:
        i: BIGINT
        amt: DECIMAL(10,2)
        tstz: TIMESTAMP
        s: VARCHAR
        gone: BIGINT
      extra_columns: allow
`,
      'checks/b.yaml': `dataset: extra_warn
source: ../data/t.parquet
checks:
  - schema:
      columns: { i: INTEGER, b: BIGINT, s: VARCHAR, amt: "DECIMAL(18,2)", dbl: DOUBLE, f: FLOAT, flag: BOOLEAN, ts: TIMESTAMP }
`,
      'checks/c.yaml': `dataset: extra_fail
source: ../data/t.parquet
checks:
  - schema:
      columns: { i: INTEGER, b: BIGINT, s: VARCHAR, amt: "DECIMAL(18,2)", dbl: DOUBLE, f: FLOAT, flag: BOOLEAN, ts: TIMESTAMP, tstz: TIMESTAMPTZ }
      extra_columns: fail
`,
      'checks/d.yaml': `dataset: missing_plus_extra
source: ../data/t.parquet
checks:
  - schema:
      name: contract
      columns: { i: INTEGER, b: BIGINT, s: VARCHAR, amt: "DECIMAL(18,2)", dbl: DOUBLE, f: FLOAT, flag: BOOLEAN, ts: TIMESTAMP, tstz: TIMESTAMPTZ, customer_id: BIGINT }
      extra_columns: warn
`,
    });
    await writeData(dir, 'data/t.parquet', TYPED_SQL);
    const { byId } = await runProject(dir);

    const wrong = byId.get('wrong.schema');
    expect(wrong).toMatchObject({ status: 'fail', value: 4, unit: 'columns' });
    expect(wrong?.details.expected).toEqual({
      missing: ['gone'],
      retyped: [
        { column: 'i', expected: 'BIGINT', actual: 'INTEGER' },
        { column: 'amt', expected: 'DECIMAL(10,2)', actual: 'DECIMAL(18,2)' },
        { column: 'tstz', expected: 'TIMESTAMP', actual: 'TIMESTAMP WITH TIME ZONE' },
      ],
      extra: ['b', 'sm', 'dbl', 'f', 'flag', 'ts', 'd'],
    });
    expect(wrong?.details.drift).toEqual(NO_DRIFT);
    expect(wrong?.message).toContain('gone');
    expect(wrong?.message).toContain('DECIMAL(10,2)');

    // sm, tstz, d are extra
    const ew = byId.get('extra_warn.schema');
    expect(ew).toMatchObject({ status: 'warn', value: 3 });
    expect(ew?.details.expected).toEqual({ missing: [], retyped: [], extra: ['sm', 'tstz', 'd'] });
    expect(ew?.message).toMatch(/sm/);

    const ef = byId.get('extra_fail.schema');
    expect(ef).toMatchObject({ status: 'fail', value: 2 });
    expect(ef?.details.expected).toEqual({ missing: [], retyped: [], extra: ['sm', 'd'] });

    // worst level wins: missing (fail) + extra (warn); name overrides the id
    const mx = byId.get('missing_plus_extra.contract');
    expect(mx).toMatchObject({ status: 'fail', value: 3, name: 'contract' });
    expect(mx?.details.expected).toEqual({ missing: ['customer_id'], retyped: [], extra: ['sm', 'd'] });
  });

  it.each(FORMATS)('checks the types DuckDB detects in %s', async (format) => {
    const dir = makeProject({
      'checks/a.yaml': `dataset: det
source: ../data/t.${format}
checks:
  - schema:
      columns: { id: BIGINT, name: TEXT, amount: DOUBLE, day: DATE, updated_at: DATETIME }
      extra_columns: fail
`,
    });
    await writeData(dir, `data/t.${format}`, `select range as id, 'n' || range as name, (range + 0.5)::DOUBLE as amount,
      DATE '2024-01-01' + CAST(range AS INTEGER) as day, TIMESTAMP '2024-01-01 00:00:00' + to_hours(range) as updated_at from range(20)`);
    const { byId } = await runProject(dir);
    expect(byId.get('det.schema')).toMatchObject({ status: 'pass', value: 0 });
  });
});

describe.each(FORMATS)('schema drift on %s', (format) => {
  it('records a baseline, reports a change once, then passes again', async () => {
    const dir = makeProject({
      'checks/w.yaml': `dataset: watch
source: ../data/t.${format}
checks:
  - schema: {}
`,
      'checks/x.yaml': `dataset: contract
source: ../data/t.${format}
checks:
  - schema:
      columns: { id: BIGINT, name: VARCHAR }
      extra_columns: allow
`,
      'checks/y.yaml': `dataset: strict_drift
source: ../data/t.${format}
checks:
  - schema: { drift: fail }
`,
      'checks/z.yaml': `dataset: ignore_drift
source: ../data/t.${format}
checks:
  - schema: { drift: ignore, columns: { id: BIGINT }, extra_columns: allow }
`,
    });
    const file = `data/t.${format}`;
    await writeData(dir, file, `select range as id, 'n' || range as name, (range + 0.5)::DOUBLE as amount from range(10)`);

    // 1st run: baseline, no drift
    const first = await runProject(dir);
    for (const ds of ['watch', 'contract', 'strict_drift', 'ignore_drift']) {
      const r = first.byId.get(`${ds}.schema`);
      expect(r, ds).toMatchObject({ status: 'pass', value: 0 });
      expect(r?.details.drift, ds).toEqual(NO_DRIFT);
    }

    // 2nd run: name removed, amount retyped DOUBLE → VARCHAR, email added
    await writeData(dir, file, `select range as id, 'a' || range as amount, 'e' || range || '@x.com' as email from range(10)`);
    const second = await runProject(dir);
    const drift = {
      added: ['email'],
      removed: ['name'],
      retyped: [{ column: 'amount', from: 'DOUBLE', to: 'VARCHAR' }],
    };
    const w = second.byId.get('watch.schema');
    expect(w).toMatchObject({ status: 'warn', value: 3, unit: 'columns' });
    expect(w?.details.drift).toEqual(drift);
    expect(w?.details.expected).toEqual(EMPTY);
    expect(w?.message).toContain('email');
    expect(w?.message).toContain('name');
    expect(w?.message).toContain('amount');

    // name is both missing (fail) and removed (drift): counted once
    const c = second.byId.get('contract.schema');
    expect(c).toMatchObject({ status: 'fail', value: 3 });
    expect(c?.details.drift).toEqual(drift);
    expect(c?.details.expected).toMatchObject({ missing: ['name'], retyped: [] });

    expect(second.byId.get('strict_drift.schema')).toMatchObject({ status: 'fail', value: 3 });
    expect(second.byId.get('strict_drift.schema')?.details.drift).toEqual(drift);

    expect(second.byId.get('ignore_drift.schema')).toMatchObject({ status: 'pass', value: 0 });

    // 3rd run, same schema: drift was reported once
    const third = await runProject(dir);
    expect(third.byId.get('watch.schema')).toMatchObject({ status: 'pass', value: 0 });
    expect(third.byId.get('watch.schema')?.details.drift).toEqual(NO_DRIFT);
    expect(third.byId.get('strict_drift.schema')).toMatchObject({ status: 'pass', value: 0 });
    const c3 = third.byId.get('contract.schema');
    expect(c3).toMatchObject({ status: 'fail', value: 1 });
    expect(c3?.details.expected).toMatchObject({ missing: ['name'] });
    expect(c3?.details.drift).toEqual(NO_DRIFT);

    // 4th run: back to the original schema is a change again
    await writeData(dir, file, `select range as id, 'n' || range as name, (range + 0.5)::DOUBLE as amount from range(10)`);
    const fourth = await runProject(dir);
    expect(fourth.byId.get('watch.schema')).toMatchObject({ status: 'warn', value: 3 });
    expect(fourth.byId.get('watch.schema')?.details.drift).toEqual({
      added: ['name'],
      removed: ['email'],
      retyped: [{ column: 'amount', from: 'VARCHAR', to: 'DOUBLE' }],
    });
    // name is back (no longer missing), but the change itself is drift
    expect(fourth.byId.get('contract.schema')).toMatchObject({ status: 'warn', value: 3 });
    expect(fourth.byId.get('contract.schema')?.details.expected).toMatchObject({ missing: [], retyped: [] });
  });
});

describe('schema drift with an unreadable source', () => {
  it('a run that cannot read the source errors and does not replace the recorded schema', async () => {
    const dir = makeProject({
      'checks/w.yaml': `dataset: watch
source: ../data/t-*.parquet
checks:
  - schema: { drift: fail }
`,
    });
    await writeData(dir, 'data/t-1.parquet', 'select range as id, range as v from range(3)');
    expect((await runProject(dir)).byId.get('watch.schema')).toMatchObject({ status: 'pass', value: 0 });

    const { rmSync } = await import('node:fs');
    rmSync(`${dir}/data/t-1.parquet`);
    const broken = await runProject(dir);
    expect(broken.byId.get('watch.schema')?.status).toBe('error');

    await writeData(dir, 'data/t-1.parquet', "select range as id, 'x' as v from range(3)");
    const back = await runProject(dir);
    expect(back.byId.get('watch.schema')).toMatchObject({ status: 'fail', value: 1 });
    expect(back.byId.get('watch.schema')?.details.drift).toEqual({ added: [], removed: [], retyped: [{ column: 'v', from: 'BIGINT', to: 'VARCHAR' }] });
  });
});
