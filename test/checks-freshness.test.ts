// freshness: seconds between now and the newest timestamp (SPEC §2).
import { utimesSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const NOW = new Date('2024-06-15T12:00:00Z');
const FORMATS = ['parquet', 'csv'] as const;

/** 40 rows; the newest non-NULL updated_at is the naive 2024-06-15 06:00:00, every 10th row is NULL. */
const NAIVE_SQL = `select id,
  case when id % 10 = 0 then NULL else TIMESTAMP '2024-06-15 06:00:00' - to_hours(id - 1) end as updated_at
  from (select range + 1 as id from range(40))`;

describe.each(FORMATS)('freshness on %s', (format) => {
  it('reads naive TIMESTAMP values in the dataset timezone', async () => {
    const dir = makeProject({
      'checks/utc.yaml': `dataset: fr_utc
source: ../data/t.${format}
timezone: UTC
checks:
  - freshness: { column: updated_at, warn_after: 3h, fail_after: 12h }
`,
      'checks/ny.yaml': `dataset: fr_ny
source: ../data/t.${format}
timezone: America/New_York
checks:
  - freshness: { column: updated_at, warn_after: 3h, fail_after: 12h }
`,
      'checks/tokyo_default.yaml': `dataset: fr_default
source: ../data/t.${format}
checks:
  - freshness: { column: updated_at, warn_after: 3h, fail_after: 12h }
`,
      // project default timezone applies when the dataset does not set one
      'vigil.yaml': 'timezone: Asia/Tokyo\n',
    });
    await writeData(dir, `data/t.${format}`, NAIVE_SQL);
    const { byId } = await runProject(dir, { now: NOW });

    const utc = byId.get('fr_utc.freshness');
    expect(utc).toMatchObject({ status: 'warn', value: 6 * 3600, unit: 'seconds', kind: 'freshness', dataset: 'fr_utc' });
    expect(utc?.details).toMatchObject({ newest: '2024-06-15T06:00:00.000Z', column: 'updated_at' });
    expect(utc?.message).toContain('6h');
    expect(utc?.message).toContain('updated_at');

    // 06:00 in New York (EDT, UTC-4) is 10:00Z: 2h old.
    const ny = byId.get('fr_ny.freshness');
    expect(ny).toMatchObject({ status: 'pass', value: 2 * 3600, unit: 'seconds' });
    expect(ny?.details).toMatchObject({ newest: '2024-06-15T10:00:00.000Z' });

    // 06:00 in Tokyo (UTC+9) is 2024-06-14 21:00Z: 15h old.
    const tokyo = byId.get('fr_default.freshness');
    expect(tokyo).toMatchObject({ status: 'fail', value: 15 * 3600 });
    expect(tokyo?.details).toMatchObject({ newest: '2024-06-14T21:00:00.000Z' });
  });

  it('reads TIMESTAMPTZ as an instant, whatever the dataset timezone', async () => {
    const dir = makeProject({
      'checks/a.yaml': `dataset: tz_ny
source: ../data/t.${format}
timezone: America/New_York
checks:
  - freshness: { column: ts, warn_after: 1h, fail_after: 6h }
`,
      'checks/b.yaml': `dataset: tz_utc
source: ../data/t.${format}
timezone: UTC
checks:
  - freshness: { column: ts, warn_after: 1h, fail_after: 6h }
`,
    });
    await writeData(dir, `data/t.${format}`,
      `select range as id, TIMESTAMPTZ '2024-06-15 09:30:00+00' - to_minutes(range) as ts from range(20)`);
    const { byId } = await runProject(dir, { now: NOW });
    for (const id of ['tz_ny.freshness', 'tz_utc.freshness']) {
      const r = byId.get(id);
      expect(r).toMatchObject({ status: 'warn', value: 2.5 * 3600, unit: 'seconds' });
      expect(r?.details).toMatchObject({ newest: '2024-06-15T09:30:00.000Z' });
    }
  });

  it('reads DATE values as midnight of that day in the dataset timezone', async () => {
    const ds = (name: string, tz: string) => `dataset: ${name}
source: ../data/d.${format}
timezone: ${tz}
checks:
  - freshness: { column: day, warn_after: 1d, fail_after: 40h }
`;
    const dir = makeProject({
      'checks/utc.yaml': ds('d_utc', 'UTC'),
      'checks/ny.yaml': ds('d_ny', 'America/New_York'),
      'checks/tokyo.yaml': ds('d_tokyo', 'Asia/Tokyo'),
    });
    await writeData(dir, `data/d.${format}`,
      `select range as id, DATE '2024-06-14' - CAST(range AS INTEGER) as day from range(10)`);
    const { byId } = await runProject(dir, { now: NOW });
    // 2024-06-14 00:00 UTC → 36h before now
    expect(byId.get('d_utc.freshness')).toMatchObject({ status: 'warn', value: 36 * 3600 });
    expect(byId.get('d_utc.freshness')?.details).toMatchObject({ newest: '2024-06-14T00:00:00.000Z' });
    // 2024-06-14 00:00 EDT = 04:00Z → 32h
    expect(byId.get('d_ny.freshness')).toMatchObject({ status: 'warn', value: 32 * 3600 });
    expect(byId.get('d_ny.freshness')?.details).toMatchObject({ newest: '2024-06-14T04:00:00.000Z' });
    // 2024-06-14 00:00 JST = 2024-06-13 15:00Z → 45h
    expect(byId.get('d_tokyo.freshness')).toMatchObject({ status: 'fail', value: 45 * 3600 });
    expect(byId.get('d_tokyo.freshness')?.details).toMatchObject({ newest: '2024-06-13T15:00:00.000Z' });
  });

  it('applies warn_after and fail_after as "older than" (the limit itself is not breached)', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: lim
source: ../data/t.${format}
timezone: UTC
checks:
  - freshness: { name: at_fail_limit, column: updated_at, warn_after: 2h, fail_after: 6h }
  - freshness: { name: just_over_fail, column: updated_at, warn_after: 2h, fail_after: 5h59m59s }
  - freshness: { name: warn_only_at_limit, column: updated_at, warn_after: 6h }
  - freshness: { name: warn_only_over, column: updated_at, warn_after: 359m }
  - freshness: { name: fail_only, column: updated_at, fail_after: 1h }
  - freshness: { name: both_fresh, column: updated_at, warn_after: 1d, fail_after: 1w }
  - freshness: { name: fail_before_warn, column: updated_at, warn_after: 1h, fail_after: 90m }
`,
    });
    await writeData(dir, `data/t.${format}`, NAIVE_SQL);
    const { byId, report } = await runProject(dir, { now: NOW });
    const status = (n: string) => byId.get(`lim.${n}`)?.status;
    expect(status('at_fail_limit')).toBe('warn');
    expect(status('just_over_fail')).toBe('fail');
    expect(status('warn_only_at_limit')).toBe('pass');
    expect(status('warn_only_over')).toBe('warn');
    expect(status('fail_only')).toBe('fail');
    expect(status('both_fresh')).toBe('pass');
    expect(status('fail_before_warn')).toBe('fail');
    for (const r of report.results) expect(r.value).toBe(21600);
    expect(byId.get('lim.at_fail_limit')?.thresholds).toEqual({ warn_after: '2h', fail_after: '6h' });
    expect(byId.get('lim.at_fail_limit')?.message).toMatch(/warn after 2h/);
    expect(byId.get('lim.at_fail_limit')?.message).toMatch(/fail after 6h/);
  });

  it('fails with value null when no row has a non-NULL timestamp (filter removes every row)', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: empty
source: ../data/t.${format}
filter: "id > 1000"
checks:
  - freshness: { column: updated_at, fail_after: 1d }
  - row_count: { fail: { min: 0 } }
`,
    });
    await writeData(dir, `data/t.${format}`, NAIVE_SQL);
    const { byId } = await runProject(dir, { now: NOW });
    const r = byId.get('empty.freshness');
    expect(r).toMatchObject({ status: 'fail', value: null, unit: 'seconds' });
    expect(r?.message).toMatch(/no non-NULL updated_at/);
    expect(byId.get('empty.row_count')?.value).toBe(0);
  });

  it('respects the dataset filter and the check where', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: orders
source: ../data/o.${format}
timezone: UTC
filter: "status <> 'test'"
checks:
  - freshness: { column: updated_at, warn_after: 1h, fail_after: 4h }
  - freshness: { name: freshness_eu, column: updated_at, where: "region = 'eu'", warn_after: 1h, fail_after: 4h }
`,
      'checks/u.yaml': `dataset: orders_all
source: ../data/o.${format}
timezone: UTC
checks:
  - freshness: { column: updated_at, warn_after: 1h, fail_after: 4h }
`,
    });
    await writeData(dir, `data/o.${format}`, `select * from (values
      (1, 'test', 'us', TIMESTAMP '2024-06-15 11:59:00'),
      (2, 'ok',   'us', TIMESTAMP '2024-06-15 10:00:00'),
      (3, 'ok',   'eu', TIMESTAMP '2024-06-15 04:00:00'),
      (4, 'test', 'eu', TIMESTAMP '2024-06-15 11:00:00'),
      (5, 'ok',   'eu', NULL)
    ) as t(id, status, region, updated_at)`);
    const { byId } = await runProject(dir, { now: NOW });
    expect(byId.get('orders_all.freshness')).toMatchObject({ status: 'pass', value: 60 });
    expect(byId.get('orders.freshness')).toMatchObject({ status: 'warn', value: 7200 });
    expect(byId.get('orders.freshness_eu')).toMatchObject({ status: 'fail', value: 8 * 3600, check: 'orders.freshness_eu', name: 'freshness_eu' });
    expect(byId.get('orders.freshness_eu')?.details).toMatchObject({ newest: '2024-06-15T04:00:00.000Z' });
  });

  it('errors, naming the type, on a column that is neither timestamp nor date', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: bad
source: ../data/t.${format}
checks:
  - freshness: { name: text_col, column: label, fail_after: 1d }
  - freshness: { name: int_col, column: id, fail_after: 1d }
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, `data/t.${format}`, `select range as id, 'yesterday ' || range as label from range(5)`);
    const { byId } = await runProject(dir, { now: NOW });
    const text = byId.get('bad.text_col');
    expect(text).toMatchObject({ status: 'error', value: null });
    expect(text?.message).toContain('label');
    expect(text?.message).toContain('VARCHAR');
    const int = byId.get('bad.int_col');
    expect(int).toMatchObject({ status: 'error', value: null });
    expect(int?.message).toContain('BIGINT');
    // one check's error never stops the others
    expect(byId.get('bad.row_count')).toMatchObject({ status: 'pass', value: 5 });
  });

  it('errors on an unknown column, listing the columns that exist', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: unk
source: ../data/t.${format}
checks:
  - freshness: { column: updatd_at, fail_after: 1d }
`,
    });
    await writeData(dir, `data/t.${format}`, NAIVE_SQL);
    const { byId } = await runProject(dir, { now: NOW });
    const r = byId.get('unk.freshness');
    expect(r?.status).toBe('error');
    expect(r?.message).toContain('updatd_at');
    expect(r?.message).toContain('updated_at');
    expect(r?.message).toContain('id');
  });

  it('without column, uses the newest modification time of the matched files', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: files
source: ../data/part-*.${format}
checks:
  - freshness: { warn_after: 30m, fail_after: 2h }
`,
      'checks/u.yaml': `dataset: files_old
source: ../data/part-1.${format}
checks:
  - freshness: { warn_after: 30m, fail_after: 2h }
`,
    });
    const a = await writeData(dir, `data/part-1.${format}`, 'select range as id from range(3)');
    const b = await writeData(dir, `data/part-2.${format}`, 'select range as id from range(3)');
    const aTime = new Date(NOW.getTime() - 5 * 3600_000);
    const bTime = new Date(NOW.getTime() - 3600_000);
    utimesSync(a, aTime, aTime);
    utimesSync(b, bTime, bTime);
    const { byId } = await runProject(dir, { now: NOW });
    const r = byId.get('files.freshness');
    expect(r).toMatchObject({ status: 'warn', value: 3600, unit: 'seconds' });
    expect(r?.details).toMatchObject({ newest: bTime.toISOString() });
    expect(r?.message).toMatch(/1h/);
    expect(byId.get('files_old.freshness')).toMatchObject({ status: 'fail', value: 5 * 3600 });
  });
});

describe('freshness on Parquet only', () => {
  it('fails with value null when every timestamp is NULL', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: nulls_only
source: ../data/t.parquet
checks:
  - freshness: { column: updated_at, warn_after: 1h }
`,
    });
    await writeData(dir, 'data/t.parquet', 'select range as id, NULL::TIMESTAMP as updated_at from range(10)');
    const { byId } = await runProject(dir, { now: NOW });
    expect(byId.get('nulls_only.freshness')).toMatchObject({ status: 'fail', value: null, unit: 'seconds' });
  });

  it('fails with value null on a file with no rows', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: no_rows
source: ../data/t.parquet
checks:
  - freshness: { column: updated_at, fail_after: 1h }
`,
    });
    await writeData(dir, 'data/t.parquet', "select 1 as id, TIMESTAMP '2024-06-15 11:00:00' as updated_at where false");
    const { byId } = await runProject(dir, { now: NOW });
    expect(byId.get('no_rows.freshness')).toMatchObject({ status: 'fail', value: null });
  });

  it('handles TIMESTAMP_NS / _MS / _S columns as naive timestamps', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: units
source: ../data/t.parquet
timezone: Europe/Berlin
checks:
  - freshness: { name: ns, column: ts_ns, fail_after: 1d }
  - freshness: { name: ms, column: ts_ms, fail_after: 1d }
  - freshness: { name: s, column: ts_s, fail_after: 1d }
`,
    });
    await writeData(dir, 'data/t.parquet', `select
      TIMESTAMP_NS '2024-06-15 10:00:00' as ts_ns, TIMESTAMP_MS '2024-06-15 10:00:00' as ts_ms,
      TIMESTAMP_S '2024-06-15 10:00:00' as ts_s`);
    const { byId } = await runProject(dir, { now: NOW });
    // 10:00 CEST = 08:00Z → 4h
    for (const n of ['ns', 'ms', 's']) expect(byId.get(`units.${n}`), n).toMatchObject({ status: 'pass', value: 4 * 3600 });
  });

  it('gives the same age with the split and fused plans', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: plans
source: ../data/t.parquet
timezone: America/New_York
checks:
  - freshness: { column: updated_at, where: "id > 3", warn_after: 1h }
  - duplicates: { keys: [id], fail: 0 }
`,
    });
    await writeData(dir, 'data/t.parquet', NAIVE_SQL);
    const split = await runProject(dir, { now: NOW, strategy: 'split' });
    const fused = await runProject(dir, { now: NOW, strategy: 'fused' });
    // newest with id > 3 is id 4: 06:00 - 3h = 03:00 EDT = 07:00Z → 5h
    expect(split.byId.get('plans.freshness')).toMatchObject({ status: 'warn', value: 5 * 3600 });
    expect(fused.byId.get('plans.freshness')).toMatchObject({ status: 'warn', value: 5 * 3600 });
  });
});
