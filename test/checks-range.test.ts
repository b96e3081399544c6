// range: rows outside [min, max] (inclusive; NULLs not counted), value = those rows, so thresholds read
// as for nulls and duplicates (N rows or P% of rows); details give the observed min and max.
import { afterAll, describe, expect, it } from 'vitest';
import type { Strategy } from '../src/engine/compile.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

// 20 rows: amount = id * 10 - 25 (-15 … 175) with NULL on ids 5 and 10; d from 2024-01-01 on, one a day.
const DATA = `select range + 1 as id, case when (range + 1) % 5 = 0 then NULL else (range + 1) * 10 - 25 end as amount,
  DATE '2024-01-01' + CAST(range AS INTEGER) as d from range(20)`;

const CHECKS = `dataset: t
source: ../data/t.FORMAT
checks:
  - range: { column: amount, min: 0, max: 100, fail: 5 }
  - range: { column: amount, name: not_negative, min: 0, fail: 0 }
  - range: { column: amount, name: capped, max: 150, warn: "10%" }
  - range: { column: amount, name: fractional, min: 0.5, where: "id > 2", fail: 0 }
  - range: { column: d, min: "2024-01-05", max: "2024-01-15", warn: 0 }
  - range: { column: id, name: ids, min: 1, max: 20, fail: 0 }
`;

describe.each(['parquet', 'csv'] as const)('range on %s', (format) => {
  it.each(['single', 'split', 'fused'] as Strategy[])('counts rows below min and above max, NULLs not counted (%s plan)', async (strategy) => {
    const dir = makeProject({ 'checks/t.yaml': CHECKS.replace('FORMAT', format) });
    await writeData(dir, `data/t.${format}`, DATA);
    const { byId } = await runProject(dir, { strategy });
    // amount: -15, -5 below 0; 105 … 175 above 100 except NULLs at ids 15 and 20: ids 13,14,16,17,18,19 → 6 above.
    expect(byId.get('t.range.amount')).toMatchObject({
      status: 'fail', value: 8, unit: 'rows',
      details: { column: 'amount', rows: 20, min: 0, below: 2, max: 100, above: 6, observed_min: -15, observed_max: 165 },
    });
    expect(byId.get('t.range.amount')?.message).toBe('8 rows of 20 rows (40%) with amount outside [0, 100]; observed -15 to 165; fail above 5');
    expect(byId.get('t.not_negative')).toMatchObject({ status: 'fail', value: 2, details: { below: 2 } });
    expect(byId.get('t.not_negative')?.details).not.toHaveProperty('above');
    // 155, 165 above 150 (175 is id 20: NULL) = 2 of 20 = 10%: not above 10%.
    expect(byId.get('t.capped')).toMatchObject({ status: 'pass', value: 2 });
    // A fractional bound on an integer column is not rounded; where limits the rows (and the observed min).
    expect(byId.get('t.fractional')).toMatchObject({ status: 'pass', value: 0, details: { rows: 18, observed_min: 5 } });
    // Dates: bounds written as text are cast to the column's type; 4 days before, 5 after.
    expect(byId.get('t.range.d')).toMatchObject({
      status: 'warn', value: 9, details: { below: 4, above: 5, observed_min: '2024-01-01', observed_max: '2024-01-20' },
    });
    expect(byId.get('t.ids')).toMatchObject({ status: 'pass', value: 0 });
  });
});

describe('range configuration', () => {
  it('needs a bound, min not above max, and a threshold', () => {
    const dir = makeProject({
      'checks/a.yaml': 'dataset: a\nsource: a.csv\nchecks:\n  - range: { column: x, fail: 0 }\n  - range: { column: x, min: 5, max: 1, fail: 0 }\n  - range: { column: x, min: 0 }\n',
    });
    const errors = loadProject({ cwd: dir }).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [4, expect.stringMatching(/range needs min, max or both/)],
      [5, expect.stringMatching(/min \(5\) is greater than max \(1\)/)],
      [6, expect.stringMatching(/range needs a threshold/)],
    ]);
  });
});
