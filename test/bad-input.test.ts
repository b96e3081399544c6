// Bad input never crashes a run: each broken source, column, query, filter or
// slow dataset turns into `error` on exactly the checks it affects, with a
// message that says what and where, and every other dataset still runs.

import { readFileSync, truncateSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/cli/run.js';
import { cleanupProjects, makeProject, runProject, vigil, writeData, writeFile, type InProcessRun } from './helpers.js';

afterAll(cleanupProjects);

/** A dataset that must keep passing next to every broken one. */
const GOOD = `dataset: good
source: ../data/good.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
`;

async function projectWith(files: Record<string, string>): Promise<string> {
  const dir = makeProject({ 'checks/good.yaml': GOOD, ...files });
  await writeData(dir, 'data/good.parquet', 'select range as id, range * 2 as v from range(50)');
  return dir;
}

function expectGoodPassed(run: InProcessRun): void {
  expect(run.byId.get('good.row_count')?.status).toBe('pass');
  expect(run.byId.get('good.row_count')?.value).toBe(50);
  expect(run.byId.get('good.nulls.v')?.status).toBe('pass');
}

function statusOf(run: InProcessRun, id: string): string | undefined {
  return run.byId.get(id)?.status;
}

function messageOf(run: InProcessRun, id: string): string {
  const r = run.byId.get(id);
  if (!r) throw new Error(`no result for ${id}; have ${[...run.byId.keys()].join(', ')}`);
  return r.message;
}

const BAD_CHECKS = `checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
`;

describe('unreadable sources', () => {
  it('a missing file errors every check of that dataset, naming the file; the others run', async () => {
    const dir = await projectWith({ 'checks/bad.yaml': `dataset: bad\nsource: ../data/nope.parquet\n${BAD_CHECKS}` });
    const run = await runProject(dir);
    expectGoodPassed(run);
    for (const id of ['bad.row_count', 'bad.nulls.v']) {
      expect(statusOf(run, id)).toBe('error');
      expect(messageOf(run, id)).toContain('nope.parquet');
      expect(run.byId.get(id)?.value).toBeNull();
    }
    expect(messageOf(run, 'bad.row_count')).toBe(messageOf(run, 'bad.nulls.v'));
    expect(run.report.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 2 });
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a glob that matches no file errors, naming the glob', async () => {
    const dir = await projectWith({ 'checks/bad.yaml': `dataset: bad\nsource: ../data/empty/*.parquet\n${BAD_CHECKS}` });
    mkdirSync(path.join(dir, 'data/empty'), { recursive: true });
    writeFile(dir, 'data/empty/README.txt', 'not a parquet file');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('error');
    expect(messageOf(run, 'bad.row_count')).toContain('empty/*.parquet');
    expect(messageOf(run, 'bad.row_count')).toMatch(/no files? match/i);
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a Parquet file of random bytes errors, naming the file', async () => {
    const dir = await projectWith({ 'checks/bad.yaml': `dataset: bad\nsource: ../data/corrupt.parquet\n${BAD_CHECKS}` });
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    writeFile(dir, 'data/corrupt.parquet', '');
    writeFileSync(path.join(dir, 'data/corrupt.parquet'), bytes);
    const run = await runProject(dir);
    expectGoodPassed(run);
    for (const id of ['bad.row_count', 'bad.nulls.v']) {
      expect(statusOf(run, id)).toBe('error');
      expect(messageOf(run, id)).toContain('corrupt.parquet');
    }
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a truncated Parquet file errors, naming the file', async () => {
    const dir = await projectWith({ 'checks/bad.yaml': `dataset: bad\nsource: ../data/cut.parquet\n${BAD_CHECKS}` });
    const file = await writeData(dir, 'data/cut.parquet', 'select range as id, range * 3 as v from range(5000)');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const run = await runProject(dir);
    expectGoodPassed(run);
    for (const id of ['bad.row_count', 'bad.nulls.v']) {
      expect(statusOf(run, id)).toBe('error');
      expect(messageOf(run, id)).toContain('cut.parquet');
    }
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('one bad file in a glob of good ones errors the dataset, naming the bad file', async () => {
    const dir = await projectWith({ 'checks/bad.yaml': `dataset: bad\nsource: ../data/parts/*.parquet\n${BAD_CHECKS}` });
    await writeData(dir, 'data/parts/a.parquet', 'select range as id, range as v from range(10)');
    writeFile(dir, 'data/parts/b.parquet', 'PAR1 this is not parquet at all PAR1?');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('error');
    expect(messageOf(run, 'bad.row_count')).toContain('b.parquet');
  });

  it('a CSV with a ragged row past the sniffer sample errors, naming the file and line', async () => {
    const lines = ['id,name,v'];
    for (let i = 1; i <= 30_000; i++) lines.push(i === 25_000 ? `${i},n${i},${i},extra` : `${i},n${i},${i}`);
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad\nsource: ../data/ragged.csv\n${BAD_CHECKS}`,
      'data/ragged.csv': `${lines.join('\n')}\n`,
    });
    const run = await runProject(dir);
    expectGoodPassed(run);
    for (const id of ['bad.row_count', 'bad.nulls.v']) {
      expect(statusOf(run, id)).toBe('error');
      expect(messageOf(run, id)).toContain('ragged.csv');
      expect(messageOf(run, id)).toMatch(/line:? ?25001/i);
    }
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a small CSV with a ragged row (an extra field) errors instead of being silently misread', async () => {
    const lines = ['id,name,v'];
    for (let i = 1; i <= 200; i++) lines.push(i === 150 ? `${i},n${i},${i},extra` : `${i},n${i},${i}`);
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad\nsource: ../data/ragged.csv\n${BAD_CHECKS}`,
      'data/ragged.csv': `${lines.join('\n')}\n`,
    });
    const run = await runProject(dir);
    expectGoodPassed(run);
    // Every check of the dataset: the file cannot be read as the CSV it is.
    for (const id of ['bad.row_count', 'bad.nulls.v']) {
      expect({ id, status: statusOf(run, id) }).toEqual({ id, status: 'error' });
      expect(messageOf(run, id)).toContain('ragged.csv');
    }
  });
});

describe('errors that affect one check', () => {
  it('an unknown column errors only that check and lists the columns that exist', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: custmer_id, fail: 0 }
  - duplicates: { keys: [id, no_such_key], fail: 0 }
`,
    });
    await writeData(dir, 'data/b.parquet', 'select range as id, range as customer_id, 1 as amount from range(20)');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('pass');
    expect(statusOf(run, 'bad.nulls.custmer_id')).toBe('error');
    const msg = messageOf(run, 'bad.nulls.custmer_id');
    expect(msg).toContain('custmer_id');
    expect(msg).toContain('b.parquet');
    for (const c of ['id', 'customer_id', 'amount']) expect(msg).toContain(c);
    expect(statusOf(run, 'bad.duplicates.id+no_such_key')).toBe('error');
    expect(messageOf(run, 'bad.duplicates.id+no_such_key')).toContain('no_such_key');
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a SQL error in a sql check errors only that check; the dataset\'s other checks still pass', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
  - sql:
      name: broken_query
      query: "select count(*) from {{ source }} where no_such_col > 0"
      fail: 0
  - sql:
      name: fine_query
      query: "select count(*) from {{ source }} where v < 0"
      fail: 0
`,
    });
    await writeData(dir, 'data/b.parquet', 'select range as id, range as v from range(20)');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('pass');
    expect(statusOf(run, 'bad.nulls.v')).toBe('pass');
    expect(statusOf(run, 'bad.fine_query')).toBe('pass');
    expect(statusOf(run, 'bad.broken_query')).toBe('error');
    expect(messageOf(run, 'bad.broken_query')).toContain('no_such_col');
    expect(run.report.summary).toEqual({ pass: 5, warn: 0, fail: 0, error: 1 });
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a sql check returning no row or NULL errors only that check', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - sql: { name: no_row, query: "select v from {{ source }} where v < 0", fail: 0 }
  - sql: { name: null_value, query: "select max(v) from {{ source }} where v < 0", fail: 0 }
`,
    });
    await writeData(dir, 'data/b.parquet', 'select range as id, range as v from range(20)');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('pass');
    expect(statusOf(run, 'bad.no_row')).toBe('error');
    expect(messageOf(run, 'bad.no_row')).toMatch(/no row/);
    expect(statusOf(run, 'bad.null_value')).toBe('error');
    expect(messageOf(run, 'bad.null_value')).toMatch(/NULL/);
  });

  it('a bad where on one check errors only that check', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - row_count: { name: recent_rows, where: "no_such_col > 3", fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
  - nulls: { column: id, where: "v > 10", name: ids_of_big, fail: 0 }
  - duplicates: { keys: [id], fail: 0 }
`,
    });
    await writeData(dir, 'data/b.parquet', 'select range as id, range as v from range(20)');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.recent_rows')).toBe('error');
    expect(messageOf(run, 'bad.recent_rows')).toContain('no_such_col');
    for (const id of ['bad.row_count', 'bad.nulls.v', 'bad.ids_of_big', 'bad.duplicates.id']) expect(statusOf(run, id)).toBe('pass');
    expect(run.byId.get('bad.row_count')?.value).toBe(20);
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });

  it('a bad where on one check errors only that check under the fused plan too', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.csv
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, where: "no_such_col = 1", fail: 0 }
  - duplicates: { keys: [id], fail: 0 }
  - duplicates: { keys: [v], name: dup_v_bad_where, where: "other_missing > 0", fail: 0 }
`,
    });
    await writeData(dir, 'data/b.csv', 'select range as id, range as v from range(20)');
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.nulls.v')).toBe('error');
    expect(messageOf(run, 'bad.nulls.v')).toContain('no_such_col');
    expect(statusOf(run, 'bad.dup_v_bad_where')).toBe('error');
    expect(messageOf(run, 'bad.dup_v_bad_where')).toContain('other_missing');
    expect(statusOf(run, 'bad.row_count')).toBe('pass');
    expect(run.byId.get('bad.row_count')?.value).toBe(20);
    expect(statusOf(run, 'bad.duplicates.id')).toBe('pass');
  });

  it('freshness on a non-timestamp column errors naming the column and its type; the rest pass', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: ../data/b.parquet
checks:
  - freshness: { column: label, fail_after: 1d }
  - freshness: { column: id, name: freshness_by_id, fail_after: 1d }
  - row_count: { fail: { min: 1 } }
`,
    });
    await writeData(dir, 'data/b.parquet', "select range as id, 'x' || range as label from range(20)");
    const run = await runProject(dir, { now: new Date('2026-01-01T00:00:00Z') });
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.freshness')).toBe('error');
    expect(messageOf(run, 'bad.freshness')).toContain('label');
    expect(messageOf(run, 'bad.freshness')).toContain('VARCHAR');
    expect(statusOf(run, 'bad.freshness_by_id')).toBe('error');
    expect(messageOf(run, 'bad.freshness_by_id')).toContain('BIGINT');
    expect(statusOf(run, 'bad.row_count')).toBe('pass');
    expect(exitCodeFor(run.report.summary)).toBe(2);
  });
});

describe('errors that affect one dataset', () => {
  for (const ext of ['parquet', 'csv'] as const) {
    it(`a bad dataset filter errors every check of that dataset, naming the filter; the others are fine (${ext})`, async () => {
      const dir = await projectWith({
        'checks/bad.yaml': `dataset: bad
source: ../data/b.${ext}
filter: "no_such_col <> 'test'"
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: v, fail: 0 }
  - duplicates: { keys: [id], fail: 0 }
  - sql: { name: negatives, query: "select count(*) from {{ source }} where v < 0", fail: 0 }
`,
      });
      await writeData(dir, `data/b.${ext}`, 'select range as id, range as v from range(20)');
      const run = await runProject(dir);
      expectGoodPassed(run);
      for (const id of ['bad.row_count', 'bad.nulls.v', 'bad.duplicates.id', 'bad.negatives']) {
        expect({ id, status: statusOf(run, id) }).toEqual({ id, status: 'error' });
        expect(messageOf(run, id)).toContain('no_such_col');
      }
      expect(messageOf(run, 'bad.row_count')).toMatch(/filter/);
      expect(run.report.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 4 });
      expect(exitCodeFor(run.report.summary)).toBe(2);
    });
  }

  it('a sql source that fails errors every check of that dataset', async () => {
    const dir = await projectWith({
      'checks/bad.yaml': `dataset: bad
source: { sql: "select * from read_parquet('../data/missing.parquet')" }
${BAD_CHECKS}`,
    });
    const run = await runProject(dir);
    expectGoodPassed(run);
    expect(statusOf(run, 'bad.row_count')).toBe('error');
    expect(statusOf(run, 'bad.nulls.v')).toBe('error');
    expect(messageOf(run, 'bad.row_count')).toContain('missing.parquet');
  });
});

describe('the real CLI on broken input', () => {
  it('a dataset over its timeout is interrupted for real; the run returns promptly and exits 2', async () => {
    const dir = await projectWith({
      'checks/slow.yaml': `dataset: slow
source: ../data/s.parquet
timeout: 1s
checks:
  - row_count: { fail: { min: 1 } }
  - sql:
      name: endless
      query: "select count(*) from range(100000000000) t(x) where x % 7 = 3"
      fail: 0
`,
    });
    await writeData(dir, 'data/s.parquet', 'select range as id from range(10)');
    const t0 = Date.now();
    const res = await vigil(['run', '--json', '--no-alerts'], { cwd: dir, timeoutMs: 30_000 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(8_000);
    expect(res.code).toBe(2);
    const out = JSON.parse(res.stdout) as { results: Array<{ check: string; status: string; message: string }> };
    const by = new Map(out.results.map((r) => [r.check, r]));
    expect(by.get('slow.endless')?.status).toBe('error');
    expect(by.get('slow.endless')?.message).toContain('timed out after 1s');
    expect(by.get('good.row_count')?.status).toBe('pass');
    expect(by.get('good.nulls.v')?.status).toBe('pass');
  });

  it('a project of many broken datasets still runs the good one and exits 2 with one JSON document', async () => {
    const dir = await projectWith({
      'checks/missing.yaml': `dataset: missing\nsource: ../data/nope.parquet\n${BAD_CHECKS}`,
      'checks/corrupt.yaml': `dataset: corrupt\nsource: ../data/corrupt.parquet\n${BAD_CHECKS}`,
      'checks/badcol.yaml': `dataset: badcol\nsource: ../data/good.parquet\nchecks:\n  - nulls: { column: nope, fail: 0 }\n`,
      'checks/badfilter.yaml': `dataset: badfilter\nsource: ../data/good.parquet\nfilter: "nope = 1"\n${BAD_CHECKS}`,
      'data/corrupt.parquet': 'garbage garbage garbage',
    });
    const res = await vigil(['run', '--json', '--no-alerts'], { cwd: dir });
    expect(res.code).toBe(2);
    const out = JSON.parse(res.stdout) as { summary: Record<string, number>; results: Array<{ check: string; dataset: string; status: string; message: string }> };
    for (const r of out.results) {
      if (r.dataset === 'good') expect(r.status).toBe('pass');
      else expect({ check: r.check, status: r.status }).toEqual({ check: r.check, status: 'error' });
      expect(r.message.length).toBeGreaterThan(0);
    }
    expect(out.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 7 });
    expect(readFileSync(path.join(dir, '.vigil/vigil.duckdb')).length).toBeGreaterThan(0);
  });
});
