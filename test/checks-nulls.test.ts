// nulls: rows that are NULL (or in missing_values); percents divide by row_count (SPEC §2).
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const FORMATS = ['parquet', 'csv'] as const;

/**
 * 100 rows, id 1..100.
 * email: NULL (id%10=0), '' (=1), 'N/A' (=2), 'n/a' (=3), 'N/A ' (=4), else an address.
 * phone: NULL when id%4=0 (25 rows).
 * qty:   NULL at 25,50,75,100; -1 at 20,40,60,80; else id.
 * day:   DATE 1900-01-01 at ids 1,51; NULL at 2,52; else a real date.
 * status: 'test' for id > 90.
 */
const PEOPLE_SQL = `select id,
  case id % 10 when 0 then NULL when 1 then '' when 2 then 'N/A' when 3 then 'n/a' when 4 then 'N/A ' else 'user' || id || '@x.com' end as email,
  case when id % 4 = 0 then NULL else '555-' || id end as phone,
  case when id % 25 = 0 then NULL when id % 20 = 0 then -1 else id end as qty,
  case id % 50 when 1 then DATE '1900-01-01' when 2 then NULL else DATE '2024-01-01' + CAST(id AS INTEGER) end as day,
  case when id > 90 then 'test' else 'live' end as status
  from (select range + 1 as id from range(100))`;

describe.each(FORMATS)('nulls on %s', (format) => {
  it('columns: [a, b] makes one check per column, ids nulls.a and nulls.b', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: people
source: ../data/p.${format}
checks:
  - nulls: { columns: [phone, qty], fail: 0 }
  - nulls: { column: id, fail: 0 }
`,
    });
    await writeData(dir, `data/p.${format}`, PEOPLE_SQL);
    const { byId, report } = await runProject(dir);
    expect(report.results.map((r) => r.check).sort()).toEqual(['people.nulls.id', 'people.nulls.phone', 'people.nulls.qty']);
    const phone = byId.get('people.nulls.phone');
    expect(phone).toMatchObject({ status: 'fail', value: 25, unit: 'rows', kind: 'nulls', name: 'nulls.phone' });
    expect(phone?.message).toBe('25 NULL phone in 100 rows (25%); fail above 0');
    expect(phone?.details).toMatchObject({ column: 'phone', rows: 100 });
    expect(byId.get('people.nulls.qty')).toMatchObject({ status: 'fail', value: 4, unit: 'rows' });
    expect(byId.get('people.nulls.id')).toMatchObject({ status: 'pass', value: 0 });
  });

  it('counts missing_values after casting to the column type; strings match exactly', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: people
source: ../data/p.${format}
checks:
  - nulls: { column: email, missing_values: ["", "N/A"], warn: 10, fail: 50 }
  - nulls: { name: email_plain_na, column: email, missing_values: ["N/A"], fail: 100 }
  - nulls: { column: qty, missing_values: [-1], fail: 0 }
  - nulls: { name: qty_string_sentinel, column: qty, missing_values: ["-1"], fail: 0 }
  - nulls: { name: qty_uncastable, column: qty, missing_values: ["", "N/A"], fail: 0 }
  - nulls: { column: day, missing_values: ["1900-01-01"], fail: 3 }
`,
    });
    await writeData(dir, `data/p.${format}`, PEOPLE_SQL);
    const { byId } = await runProject(dir);

    // NULL + '' + 'N/A' (not 'n/a', not 'N/A ')
    const email = byId.get('people.nulls.email');
    expect(email).toMatchObject({ status: 'warn', value: 30, unit: 'rows' });
    expect(email?.message).toContain('30 missing email');
    expect(email?.message).toContain('in 100 rows (30%)');

    // On Parquet '' is a string and not missing here; DuckDB's CSV reader reads "" as NULL.
    expect(byId.get('people.email_plain_na')).toMatchObject({ status: 'pass', value: format === 'csv' ? 30 : 20 });

    expect(byId.get('people.nulls.qty')).toMatchObject({ status: 'fail', value: 8 });
    expect(byId.get('people.qty_string_sentinel')).toMatchObject({ status: 'fail', value: 8 });
    // values that cannot be cast to the column's type match nothing (and do not error)
    expect(byId.get('people.qty_uncastable')).toMatchObject({ status: 'fail', value: 4 });
    // 1900-01-01 (2 rows) + NULL (2 rows)
    expect(byId.get('people.nulls.day')).toMatchObject({ status: 'fail', value: 4 });
  });

  it('percent thresholds divide by the rows the check sees (after filter and where)', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: people
source: ../data/p.${format}
checks:
  - nulls: { column: email, missing_values: ["", "N/A"], where: "id <= 50", warn: "10%", fail: "20%" }
  - nulls: { name: email_half_warn, column: email, missing_values: ["", "N/A"], where: "id <= 50", warn: "29.5%", fail: "30%" }
`,
      'checks/q.yaml': `dataset: live
source: ../data/p.${format}
filter: "status <> 'test'"
checks:
  - nulls: { column: phone, fail: "24%" }
  - nulls: { name: phone_loose, column: phone, fail: "24.5%" }
`,
    });
    await writeData(dir, `data/p.${format}`, PEOPLE_SQL);
    const { byId } = await runProject(dir);

    // 15 of 50 rows = 30% (of all 100 rows it would be 15%)
    const e = byId.get('people.nulls.email');
    expect(e).toMatchObject({ status: 'fail', value: 15 });
    expect(e?.details).toMatchObject({ rows: 50 });
    expect(e?.message).toContain('in 50 rows (30%)');
    expect(e?.message).toContain('fail above 20%');
    expect(e?.thresholds).toEqual({ warn: '10%', fail: '20%' });
    // exactly 30% is not above 30%
    expect(byId.get('people.email_half_warn')).toMatchObject({ status: 'warn', value: 15 });

    // 22 NULL phones in the 90 non-test rows = 24.4% (of 100 rows it would be 22%)
    const p = byId.get('live.nulls.phone');
    expect(p).toMatchObject({ status: 'fail', value: 22 });
    expect(p?.details).toMatchObject({ rows: 90 });
    expect(byId.get('live.phone_loose')).toMatchObject({ status: 'pass', value: 22 });
  });

  it('errors on an unknown column, listing the columns that exist, without stopping the others', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: people
source: ../data/p.${format}
checks:
  - nulls: { columns: [emial, phone], fail: 0 }
`,
    });
    await writeData(dir, `data/p.${format}`, PEOPLE_SQL);
    const { byId } = await runProject(dir);
    const bad = byId.get('people.nulls.emial');
    expect(bad).toMatchObject({ status: 'error', value: null });
    expect(bad?.message).toContain('emial');
    expect(bad?.message).toContain('email');
    expect(bad?.message).toContain('phone');
    expect(byId.get('people.nulls.phone')).toMatchObject({ status: 'fail', value: 25 });
  });
});

describe('nulls, format-specific', () => {
  it('a Parquet column that is entirely NULL counts every row', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - nulls: { column: v, warn: "50%", fail: "99.9%" }
`,
    });
    await writeData(dir, 'data/t.parquet', 'select range as id, NULL::INTEGER as v from range(40)');
    const { byId } = await runProject(dir);
    expect(byId.get('t.nulls.v')).toMatchObject({ status: 'fail', value: 40 });
    expect(byId.get('t.nulls.v')?.message).toContain('(100%)');
  });

  it('matches boolean and numeric sentinels on a double column', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - nulls: { column: score, missing_values: [-999.5, 0], fail: 0 }
  - nulls: { column: flag, missing_values: [false], fail: 0 }
`,
    });
    await writeData(dir, 'data/t.parquet', `select range as id,
      case when range % 10 = 0 then -999.5 when range % 10 = 1 then 0.0 when range % 10 = 2 then NULL else range / 2 end::DOUBLE as score,
      case when range % 4 = 0 then false when range % 4 = 1 then NULL else true end as flag
      from range(100)`);
    const { byId } = await runProject(dir);
    expect(byId.get('t.nulls.score')).toMatchObject({ status: 'fail', value: 30 });
    expect(byId.get('t.nulls.flag')).toMatchObject({ status: 'fail', value: 50 });
  });
});

describe('nulls validation', () => {
  it('columns: [...] together with name: is a validation error', async () => {
    const dir = makeProject({
      'checks/p.yaml': `dataset: people
source: ../data/p.parquet
checks:
  - nulls: { name: contact, columns: [email, phone], fail: 0 }
`,
    });
    await writeData(dir, 'data/p.parquet', PEOPLE_SQL);
    await expect(runProject(dir)).rejects.toThrow(/name/);
  });
});
