// duplicates: rows − distinct key tuples, NULL keys ignored, keys compared as tuples (SPEC §2).
import { afterAll, describe, expect, it } from 'vitest';
import type { Strategy } from '../src/engine/compile.js';
import { cleanupProjects, makeProject, runProject, writeData, type InProcessRun } from './helpers.js';

afterAll(cleanupProjects);

const FORMATS = ['parquet', 'csv'] as const;
const STRATEGIES: Strategy[] = ['split', 'fused'];

/**
 * 21 rows:
 *  ('a','bc') and ('ab','c')       — different tuples, equal when concatenated
 *  ('a|b','c') and ('a','b|c')     — equal when joined with '|'
 *  ('x','y') ×3                    — 2 duplicate rows
 *  ('p','q') ×2                    — 1 duplicate row
 *  (NULL,'q') ×2, ('p',NULL) ×2    — ignored (a key is NULL)
 *  ('u1','v') … ('u8','v')         — unique
 * grp: 1 everywhere except one ('x','y') row and one ('p','q') row, which are 2.
 * n1, n2 (integers): (1,23) vs (12,3) differ; (7,7) ×2 repeat; NULL n1 ×2 ignored.
 */
const KEYS_SQL = `select * from (values
  (1,  'a',   'bc',  1, 1,    23),
  (2,  'ab',  'c',   1, 12,   3),
  (3,  'a|b', 'c',   1, 5,    1),
  (4,  'a',   'b|c', 1, 5,    2),
  (5,  'x',   'y',   1, 7,    7),
  (6,  'x',   'y',   1, 7,    7),
  (7,  'x',   'y',   2, 5,    3),
  (8,  'p',   'q',   1, 5,    4),
  (9,  'p',   'q',   2, NULL, 4),
  (10, NULL,  'q',   1, NULL, 4),
  (11, NULL,  'q',   1, 6,    1),
  (12, 'p',   NULL,  1, 6,    2),
  (13, 'p',   NULL,  1, 6,    3),
  (14, 'u1',  'v',   1, 6,    4),
  (15, 'u2',  'v',   1, 6,    5),
  (16, 'u3',  'v',   1, 6,    6),
  (17, 'u4',  'v',   1, 6,    7),
  (18, 'u5',  'v',   1, 6,    8),
  (19, 'u6',  'v',   1, 6,    9),
  (20, 'u7',  'v',   1, 6,    10),
  (21, 'u8',  'v',   1, 6,    11)
) as t(id, a, b, grp, n1, n2)`;

type Result = InProcessRun['report']['results'][number];

function sortedSample(r: Result | undefined): Array<{ key: Record<string, unknown>; count: number }> {
  const s = (r?.details.sample ?? []) as Array<{ key: Record<string, unknown>; count: number }>;
  return [...s].sort((x, y) => y.count - x.count || JSON.stringify(x.key).localeCompare(JSON.stringify(y.key)));
}

/**
 * Results without what may legitimately differ between two runs: timing, and the sample's order — and,
 * when more than 5 keys repeat, which 5 the sample shows (only its size is compared then).
 */
function comparable(results: Result[]): unknown[] {
  return results
    .map(({ evaluated_at: _e, duration_ms: _d, ...rest }) => {
      if (!rest.details.sample) return rest;
      const all = Number(rest.details.duplicate_keys) <= 5;
      const sample = all ? sortedSample(rest as Result) : { size: (rest.details.sample as unknown[]).length };
      return { ...rest, details: { ...rest.details, sample } };
    })
    .sort((x, y) => x.check.localeCompare(y.check));
}

describe.each(FORMATS)('duplicates on %s', (format) => {
  const CHECKS = `dataset: k
source: ../data/k.${format}
checks:
  - duplicates: { keys: [a, b], fail: 0 }
  - duplicates: { keys: a, warn: 0, fail: 10 }
  - duplicates: { keys: [n1, n2], fail: 0 }
  - duplicates: { name: dup_pct_ok, keys: [a, b], fail: "15%" }
  - duplicates: { name: dup_pct_fail, keys: [a, b], fail: "14%" }
  - duplicates: { name: dup_grp1, keys: [a, b], where: "grp = 1", fail: 0 }
  - duplicates: { name: unique_id, keys: [id], fail: 0 }
  - row_count: { fail: { min: 1 } }
`;

  let runs: Record<Strategy, InProcessRun>;

  it.each(STRATEGIES)('finds duplicate tuples, ignoring NULL keys (%s plan)', async (strategy) => {
    const dir = makeProject({ 'checks/k.yaml': CHECKS });
    await writeData(dir, `data/k.${format}`, KEYS_SQL);
    const run = await runProject(dir, { strategy });
    runs = { ...runs, [strategy]: run };
    const { byId } = run;

    const ab = byId.get('k.duplicates.a+b');
    expect(ab).toMatchObject({ status: 'fail', value: 3, unit: 'rows', kind: 'duplicates', name: 'duplicates.a+b' });
    expect(ab?.details).toMatchObject({ keys: ['a', 'b'], rows: 21, duplicate_keys: 2 });
    expect(sortedSample(ab)).toEqual([
      { key: { a: 'x', b: 'y' }, count: 3 },
      { key: { a: 'p', b: 'q' }, count: 2 },
    ]);
    expect(ab?.message).toContain('3 duplicate rows');
    expect(ab?.message).toContain('(a, b)');
    expect(ab?.message).toContain('21 rows');
    expect(ab?.message).toContain('2 key values repeat');

    // single key given as a string: 'p' ×4, 'x' ×3, 'a' ×2; 19 non-NULL rows, 13 distinct
    const a = byId.get('k.duplicates.a');
    expect(a).toMatchObject({ status: 'warn', value: 6 });
    expect(a?.details).toMatchObject({ duplicate_keys: 3 });
    expect(sortedSample(a)).toEqual([
      { key: { a: 'p' }, count: 4 },
      { key: { a: 'x' }, count: 3 },
      { key: { a: 'a' }, count: 2 },
    ]);

    // integer tuples: (1,23) and (12,3) are different; only (7,7) repeats
    const n = byId.get('k.duplicates.n1+n2');
    expect(n).toMatchObject({ status: 'fail', value: 1 });
    expect(n?.details).toMatchObject({ duplicate_keys: 1 });
    expect(sortedSample(n)).toEqual([{ key: { n1: 7, n2: 7 }, count: 2 }]);

    // percent divides by all 21 rows (NULL keys included): 3/21 = 14.3%
    expect(byId.get('k.dup_pct_ok')).toMatchObject({ status: 'pass', value: 3 });
    expect(byId.get('k.dup_pct_fail')).toMatchObject({ status: 'fail', value: 3 });
    expect(byId.get('k.dup_pct_fail')?.details).toMatchObject({ rows: 21 });

    // where: grp = 1 leaves ('x','y') ×2 and ('p','q') ×1 among 19 rows
    const g = byId.get('k.dup_grp1');
    expect(g).toMatchObject({ status: 'fail', value: 1, check: 'k.dup_grp1' });
    expect(g?.details).toMatchObject({ rows: 19, duplicate_keys: 1 });
    expect(sortedSample(g)).toEqual([{ key: { a: 'x', b: 'y' }, count: 2 }]);

    const u = byId.get('k.unique_id');
    expect(u).toMatchObject({ status: 'pass', value: 0 });
    expect(u?.details).toMatchObject({ duplicate_keys: 0, sample: [] });
    expect(u?.message).toContain('0 duplicate rows');

    expect(byId.get('k.row_count')?.value).toBe(21);
  });

  it('split and fused plans give identical results', () => {
    expect(runs.split).toBeDefined();
    expect(runs.fused).toBeDefined();
    expect(comparable(runs.fused.report.results)).toEqual(comparable(runs.split.report.results));
  });

  it.each(STRATEGIES)('applies the dataset filter, and percent counts NULL-key rows (%s plan)', async (strategy) => {
    const dir = makeProject({
      'checks/k.yaml': `dataset: k
source: ../data/k.${format}
filter: "id >= 6"
checks:
  - duplicates: { name: grp1_first, keys: [a, b], where: "grp = 1", fail: 0 }
  - duplicates: { keys: [a, b], warn: "12%", fail: "15%" }
`,
    });
    await writeData(dir, `data/k.${format}`, KEYS_SQL);
    const { byId } = await runProject(dir, { strategy });
    // 16 rows after filter; ('x','y') ×2 and ('p','q') ×2 → 2 duplicate rows = 12.5%
    // (of the 12 rows with non-NULL keys it would be 16.7%)
    const r = byId.get('k.duplicates.a+b');
    expect(r).toMatchObject({ status: 'warn', value: 2 });
    expect(r?.details).toMatchObject({ rows: 16, duplicate_keys: 2 });
    expect(sortedSample(r)).toEqual([
      { key: { a: 'p', b: 'q' }, count: 2 },
      { key: { a: 'x', b: 'y' }, count: 2 },
    ]);
    // the first duplicates check (the one the fused plan folds into its scan) has a where:
    // with the filter only row 6 of ('x','y') is left in grp 1
    const g = byId.get('k.grp1_first');
    expect(g).toMatchObject({ status: 'pass', value: 0 });
    expect(g?.details).toMatchObject({ rows: 14, duplicate_keys: 0, sample: [] });
  });
});

describe('duplicates sample', () => {
  it.each(STRATEGIES)('lists at most 5 repeated keys with their true counts (%s plan)', async (strategy) => {
    const dir = makeProject({
      'checks/s.yaml': `dataset: s
source: ../data/s.parquet
checks:
  - duplicates: { keys: [k], fail: 0 }
  - nulls: { column: k, fail: 100 }
`,
    });
    // key 'k<i>' for i in 1..7 appears i+1 times; 'u<j>' unique for 50 more rows; 3 NULL keys
    await writeData(dir, 'data/s.parquet', `
      select 'k' || i as k from range(1, 8) t(i), range(0, 8) r(j) where j <= i
      union all select 'u' || range from range(50)
      union all select NULL from range(3)`);
    const { byId } = await runProject(dir, { strategy });
    const r = byId.get('s.duplicates.k');
    // duplicate rows = sum over i of i = 28, repeated keys = 7
    expect(r).toMatchObject({ status: 'fail', value: 28 });
    expect(r?.details).toMatchObject({ duplicate_keys: 7, rows: 2 + 3 + 4 + 5 + 6 + 7 + 8 + 50 + 3 });
    const sample = sortedSample(r);
    expect(sample).toHaveLength(5);
    const keys = new Set(sample.map((s) => s.key.k));
    expect(keys.size).toBe(5);
    for (const s of sample) {
      expect(Object.keys(s.key)).toEqual(['k']);
      const i = Number(String(s.key.k).slice(1));
      expect(String(s.key.k)).toMatch(/^k[1-7]$/);
      expect(s.count).toBe(i + 1);
    }
    expect(byId.get('s.nulls.k')?.value).toBe(3);
  });

  it.each(STRATEGIES)('with where, keys that occur only in excluded rows do not count (%s plan)', async (strategy) => {
    const dir = makeProject({
      'checks/w.yaml': `dataset: w
source: ../data/w.parquet
checks:
  - duplicates: { keys: [k], where: "grp = 1", fail: 0 }
`,
    });
    await writeData(dir, 'data/w.parquet', `select * from (values ('a', 1), ('a', 1), ('b', 2), ('b', 2), ('c', 2), ('d', 1), (NULL, 1)) as t(k, grp)`);
    const { byId } = await runProject(dir, { strategy });
    const r = byId.get('w.duplicates.k');
    expect(r).toMatchObject({ status: 'fail', value: 1 });
    expect(r?.details).toMatchObject({ rows: 4, duplicate_keys: 1, sample: [{ key: { k: 'a' }, count: 2 }] });
  });

  it('split and fused agree when several duplicates checks share a dataset', async () => {
    const dir = makeProject({
      'checks/m.yaml': `dataset: m
source: ../data/m.csv
filter: "id <> 3"
checks:
  - duplicates: { keys: [a], fail: 0 }
  - duplicates: { keys: [a, b], where: "grp = 1", fail: "5%" }
  - duplicates: { name: by_b, keys: [b], warn: 1 }
  - freshness: { column: ts, fail_after: 1d }
  - nulls: { column: b, fail: 0 }
`,
    });
    await writeData(dir, 'data/m.csv', `select range as id, 'a' || (range % 7) as a,
      case when range % 11 = 0 then NULL else 'b' || (range % 3) end as b, range % 2 as grp,
      TIMESTAMP '2024-06-01 00:00:00' + to_minutes(range) as ts from range(300)`);
    const now = new Date('2024-06-01T12:00:00Z');
    const split = await runProject(dir, { strategy: 'split', now });
    const fused = await runProject(dir, { strategy: 'fused', now });
    expect(comparable(fused.report.results)).toEqual(comparable(split.report.results));
    // 299 rows after filter; a has 7 distinct values
    expect(split.byId.get('m.duplicates.a')).toMatchObject({ value: 292, status: 'fail' });
    expect(split.byId.get('m.duplicates.a')?.details).toMatchObject({ rows: 299, duplicate_keys: 7 });
    expect(split.report.summary.error).toBe(0);

    // ground truth for (a, b) where grp = 1, after the filter
    const truth = new Map<string, number>();
    for (let r = 0; r < 300; r++) {
      if (r === 3 || r % 2 !== 1 || r % 11 === 0) continue;
      const k = JSON.stringify({ a: `a${r % 7}`, b: `b${r % 3}` });
      truth.set(k, (truth.get(k) ?? 0) + 1);
    }
    const rowsGrp1 = [...Array(300).keys()].filter((r) => r !== 3 && r % 2 === 1).length;
    const dupRows = [...truth.values()].reduce((x, c) => x + c - 1, 0);
    for (const run of [split, fused]) {
      const ab = run.byId.get('m.duplicates.a+b');
      expect(ab).toMatchObject({ value: dupRows, status: dupRows / rowsGrp1 > 0.05 ? 'fail' : 'pass' });
      expect(ab?.details).toMatchObject({ rows: rowsGrp1, duplicate_keys: truth.size });
      const sample = sortedSample(ab);
      expect(sample).toHaveLength(5);
      for (const e of sample) expect(e.count).toBe(truth.get(JSON.stringify({ a: e.key.a, b: e.key.b })));
    }
  });
});

describe.each(FORMATS)('duplicates with awkward column names on %s', (format) => {
  it.each(STRATEGIES)('quotes keys with spaces, dashes and upper case (%s plan)', async (strategy) => {
    const dir = makeProject({
      'checks/q.yaml': `dataset: q
source: ../data/q.${format}
checks:
  - duplicates: { name: by_order_line, keys: ["Order ID", "Line-No"], fail: 0 }
  - nulls: { column: "Order ID", fail: 100 }
`,
    });
    await writeData(dir, `data/q.${format}`, `select range % 8 as "Order ID", range % 3 as "Line-No", range as v from range(30)`);
    const { byId } = await runProject(dir, { strategy });
    // 24 distinct (order, line) tuples among 30 rows
    const r = byId.get('q.by_order_line');
    expect(r).toMatchObject({ status: 'fail', value: 6 });
    expect(r?.details).toMatchObject({ duplicate_keys: 6, rows: 30 });
    const sample = sortedSample(r);
    expect(sample).toHaveLength(5);
    for (const s of sample) {
      expect(Object.keys(s.key).sort()).toEqual(['Line-No', 'Order ID']);
      expect(s.count).toBe(2);
    }
    expect(byId.get('q.nulls.Order ID')).toMatchObject({ status: 'pass', value: 0 });
  });
});

describe('duplicates sample keys of time types', () => {
  it.each(STRATEGIES)('a DATE key reads YYYY-MM-DD and a timestamp key ISO-8601 in UTC, not the driver\'s Date (%s plan)', async (strategy) => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - duplicates: { name: by_day, keys: [day], fail: 0 }
  - duplicates: { name: by_time, keys: [at, at_tz], fail: 0 }
`,
    });
    await writeData(dir, 'data/t.parquet', `select DATE '2024-03-09' + (range % 2)::INT as day,
      TIMESTAMP '2024-03-10 01:30:00' as at, TIMESTAMPTZ '2024-03-10 01:30:00+00' as at_tz from range(4)`);
    const { byId } = await runProject(dir, { strategy });
    expect(sortedSample(byId.get('t.by_day')).map((s) => s.key)).toEqual([{ day: '2024-03-09' }, { day: '2024-03-10' }]);
    expect(sortedSample(byId.get('t.by_time'))).toEqual([{ key: { at: '2024-03-10T01:30:00.000Z', at_tz: '2024-03-10T01:30:00.000Z' }, count: 4 }]);
  });
});
