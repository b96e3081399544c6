// Quieter gaps of a files source: a glob is expanded once per dataset run, so
// a file that lands or goes mid-run cannot give two checks of one run
// different files; and a result answered from Parquet footers (no data page
// read) says so.

import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { DuckDBEngine } from '../src/engine/duckdb.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

describe('one file list per dataset run', () => {
  it('a file added after the run began is not read by a later statement; one removed is an error, not fewer rows', async () => {
    const dir = makeProject({ 'checks/e.yaml': 'dataset: e\nsource: ../data/*.parquet\nchecks:\n  - row_count: { fail: { min: 1 } }\n' });
    await writeData(dir, 'data/a.parquet', 'select range as v from range(10)');
    await writeData(dir, 'data/b.parquet', 'select range as v from range(20)');
    const { project } = loadProject({ cwd: dir });
    const ds = project.datasets[0];
    if (!ds) throw new Error('no dataset');
    const engine = await DuckDBEngine.create({ connections: 1 });
    try {
      const session = await engine.open(ds);
      const count = async () => Number((await session.query('n', `SELECT count(*) AS n FROM ${session.relation} AS src`))[0]?.n);
      expect(await count()).toBe(30);
      await writeData(dir, 'data/c.parquet', 'select range as v from range(5)');
      expect(await count()).toBe(30);
      rmSync(`${dir}/data/a.parquet`);
      await expect(count()).rejects.toThrow(/a\.parquet/);
      await session.close();
      // The next run lists the files again.
      const next = await engine.open(ds);
      expect(Number((await next.query('n', `SELECT count(*) AS n FROM ${next.relation} AS src`))[0]?.n)).toBe(25);
      await next.close();
    } finally {
      await engine.close();
    }
  });

  it('a glob that matches nothing errors every check, naming the pattern and the file to fix', async () => {
    const dir = makeProject({ 'checks/e.yaml': 'dataset: e\nsource: ../data/*.parquet\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - freshness: { fail_after: 1h }\n' });
    const run = await runProject(dir);
    for (const id of ['e.row_count', 'e.freshness']) {
      expect(run.byId.get(id)?.status).toBe('error');
      expect(run.byId.get(id)?.message).toMatch(/^no files match \.\.\/data\/\*\.parquet \(.*\) — check source: in .*e\.yaml$/);
    }
  });
});

describe('answers from metadata say so', () => {
  it('row_count and nulls answered from Parquet footers carry answered_from; with a filter (a scan) they do not', async () => {
    const dir = makeProject({
      'checks/f.yaml': 'dataset: f\nsource: ../data/f.parquet\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - nulls: { column: v, fail: 0 }\n  - freshness: { fail_after: 1h }\n',
      'checks/g.yaml': 'dataset: g\nsource: ../data/f.parquet\nfilter: "v >= 0"\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - nulls: { column: v, fail: 0 }\n',
    });
    await writeData(dir, 'data/f.parquet', 'select range as v from range(100)');
    const run = await runProject(dir);
    expect(run.byId.get('f.nulls.v')).toMatchObject({ status: 'pass', value: 0, details: { rows: 100, answered_from: 'Parquet footers' } });
    expect(run.byId.get('f.row_count')?.details).toMatchObject({ answered_from: 'Parquet footers' });
    expect(run.byId.get('f.freshness')?.details).not.toHaveProperty('answered_from');
    expect(run.byId.get('g.nulls.v')).toMatchObject({ status: 'pass', value: 0 });
    expect(run.byId.get('g.nulls.v')?.details).not.toHaveProperty('answered_from');
    expect(run.byId.get('g.row_count')?.details).not.toHaveProperty('answered_from');
  });
});
