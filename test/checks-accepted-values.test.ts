// accepted_values: rows whose value is not in the list (NULLs only with include_nulls), a sample of at
// most 5 offending values with their counts, from the dataset's one statement or a statement of its own.
import { afterAll, describe, expect, it } from 'vitest';
import type { Strategy } from '../src/engine/compile.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

// 20 rows: open ×8, paid ×4, 'Paid' ×3 (case counts), refunded ×2, 'x' ×1, 'N/A' ×1, NULL ×1 (an empty string would read as NULL from CSV);
// n: 1..20 with 3 NULL rows as NULL status; region eu on even ids.
const DATA = `select range + 1 as id,
  case when range < 8 then 'open' when range < 12 then 'paid' when range < 15 then 'Paid' when range < 17 then 'refunded'
       when range = 17 then 'x' when range = 18 then 'N/A' else NULL end as status,
  (range % 7) as n, case when range % 2 = 0 then 'eu' else 'us' end as region from range(20)`;

const CHECKS = `dataset: t
source: ../data/t.FORMAT
checks:
  - accepted_values: { column: status, values: [open, paid], fail: 0 }
  - accepted_values: { column: status, name: with_nulls, values: [open, paid, Paid, refunded], include_nulls: true, warn: 1, fail: "50%" }
  - accepted_values: { column: status, name: eu_only, values: [open, paid], where: "region = 'eu'", warn: 0 }
  - accepted_values: { column: n, values: [0, 1, 2, 3, 4, 5, 6], fail: 0 }
  - accepted_values: { column: n, name: n_small, values: [0, 1, "not a number"], fail: "10%" }
`;

describe.each(['parquet', 'csv'] as const)('accepted_values on %s', (format) => {
  it.each(['single', 'split', 'fused'] as Strategy[])('counts offending rows and samples the most frequent values (%s plan)', async (strategy) => {
    const dir = makeProject({ 'checks/t.yaml': CHECKS.replace('FORMAT', format) });
    await writeData(dir, `data/t.${format}`, DATA);
    const { byId } = await runProject(dir, { strategy });
    // 'Paid', refunded, x and N/A are not accepted; the NULL is not counted.
    expect(byId.get('t.accepted_values.status')).toMatchObject({
      status: 'fail', value: 7, unit: 'rows',
      details: { column: 'status', rows: 20, distinct_values: 4, sample: [{ value: 'Paid', count: 3 }, { value: 'refunded', count: 2 }, { value: 'N/A', count: 1 }, { value: 'x', count: 1 }] },
    });
    expect(byId.get('t.accepted_values.status')?.message).toBe('7 rows of 20 rows (35%) with status not in the accepted values (4 distinct values: "Paid" ×3, "refunded" ×2, "N/A" ×1, "x" ×1); fail above 0');
    // With include_nulls the NULL counts: x, N/A and NULL = 3 rows → warn (above 1), not fail (15% ≤ 50%).
    const withNulls = byId.get('t.with_nulls');
    expect(withNulls).toMatchObject({ status: 'warn', value: 3 });
    expect((withNulls?.details.sample as Array<{ value: unknown }>).map((s) => s.value)).toEqual(['N/A', 'x', null]);
    // where: only the eu rows (odd ids) are looked at: 10 rows, of which Paid ×2, refunded ×1 and N/A ×1 offend.
    const eu = byId.get('t.eu_only');
    expect(eu?.details.rows).toBe(10);
    expect(eu).toMatchObject({ status: 'warn', value: 4, details: { distinct_values: 3, sample: [{ value: 'Paid', count: 2 }, { value: 'N/A', count: 1 }, { value: 'refunded', count: 1 }] } });
    expect(byId.get('t.accepted_values.n')).toMatchObject({ status: 'pass', value: 0, details: { distinct_values: 0, sample: [] } });
    // Values compared after casting to the column's type: "not a number" accepts nothing; 2..6 offend.
    expect(byId.get('t.n_small')).toMatchObject({ status: 'fail', value: 14 });
    expect((byId.get('t.n_small')?.details.sample as unknown[]).length).toBe(5);
  });
});

describe('accepted_values configuration', () => {
  it('needs a column, at least one value and a threshold, each at its line', () => {
    const dir = makeProject({
      'checks/a.yaml': 'dataset: a\nsource: a.csv\nchecks:\n  - accepted_values: { column: s, values: [], fail: 0 }\n  - accepted_values: { values: [a], fail: 0 }\n  - accepted_values: { column: s, values: [a] }\n',
    });
    const errors = loadProject({ cwd: dir }).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [4, expect.stringMatching(/values must list at least one accepted value/)],
      [5, expect.stringMatching(/column/)],
      [6, expect.stringMatching(/accepted_values needs a threshold/)],
    ]);
  });
});
