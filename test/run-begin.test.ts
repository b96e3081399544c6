// A run whose row cannot be written (the store refuses it) fails as a whole,
// records nothing, and stops before the datasets that had not started.
import { afterAll, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { runChecks } from '../src/run/run.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { silentLogger } from '../src/util/log.js';
import { cleanupProjects, makeProject, queryDb, writeData } from './helpers.js';

afterAll(cleanupProjects);

it('a run that cannot begin records nothing, runs no further dataset, and throws the store error', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 6; i++) files[`checks/d${i}.yaml`] = `dataset: d${i}\nsource: ../data/d.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n`;
  const dir = makeProject(files);
  await writeData(dir, 'data/d.csv', 'SELECT range AS id FROM range(10)');
  const { project } = loadProject({ cwd: dir });
  const store = await DuckDBStore.open(project.storePath);
  store.beginRun = () => Promise.reject(new Error('disk full'));
  const ran: string[] = [];
  try {
    await expect(runChecks({ project, datasets: project.datasets, store, log: silentLogger, onDataset: (o) => ran.push(o.dataset) }))
      .rejects.toThrow('disk full');
  } finally {
    await store.close();
  }
  // At most the datasets already in flight when the store refused (concurrency 2), not all six.
  expect(ran.length).toBeLessThanOrEqual(2);
  const [counts] = await queryDb(project.storePath, 'SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM check_results) AS results, (SELECT count(*) FROM dataset_runs) AS datasets');
  expect(counts).toEqual({ runs: 0, results: 0, datasets: 0 });
});
