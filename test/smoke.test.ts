import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

describe('a dataset with every kind, in one run', () => {
  it('passes on clean Parquet data', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
`,
    });
    await writeData(dir, 'data/t.parquet', 'select range as id, range * 2 as v from range(100)');
    const { report, byId } = await runProject(dir);
    expect(report.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 0 });
    expect(byId.get('t.row_count')?.value).toBe(100);
  });
});
