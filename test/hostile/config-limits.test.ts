// Hostile check files: an alias bomb, an alias that contains itself, nesting past any real
// file, a 50 MB file, a named pipe — each a clear error naming the file, quickly, while every
// other file is still read; and in `vigil serve` the reload of such a file never stops the
// daemon from answering, nor from running the datasets that are fine. The reload watcher
// follows a checks folder that is deleted and created again.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeFile } from '../helpers.js';
import { api, health, killAllDaemons, sleep, startServe, stopServe, waitFor } from '../serve-helpers.js';

afterAll(async () => {
  await killAllDaemons();
  cleanupProjects();
});

/** 342 bytes that expand to 9^9 (387 million) strings. */
export const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  '',
].join('\n');

const GOOD = 'dataset: good\nsource: ../data/t.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n';
const TYPO = 'dataset: typo\nsource: ../data/t.csv\nchecks:\n  - row_count: { fail: { mn: 1 } }\n';

function project(extra: Record<string, string>): string {
  return makeProject({ 'vigil.yaml': 'timezone: UTC\n', 'data/t.csv': 'id\n1\n2\n', 'checks/good.yaml': GOOD, 'checks/typo.yaml': TYPO, ...extra });
}

describe('vigil validate on hostile files', () => {
  it('an alias bomb is refused at the alias, in under 20 s, and the other files are still checked', async () => {
    const dir = project({ 'checks/bomb.yaml': ALIAS_BOMB });
    const t0 = Date.now();
    const r = await vigil(['validate'], { cwd: dir, timeoutMs: 20_000 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^checks\/bomb\.yaml:\d+:\d+: YAML aliases expand to more than 100,000 values/m);
    // Every problem is still printed: the typo in another file too.
    expect(r.stderr).toMatch(/^checks\/typo\.yaml:4:\d+: .*mn/m);
  });

  it('an alias inside the block it refers to, and nesting 100,000 levels deep, are errors at their line', async () => {
    const dir = project({
      'checks/self.yaml': 'dataset: self\nsource: ../data/t.csv\ntags: &t [a, *t]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
      'checks/deep.yaml': `dataset: deep\nsource: ../data/t.csv\ntags: ${'['.repeat(100_000)}${']'.repeat(100_000)}\nchecks:\n  - row_count: { fail: 0 }\n`,
    });
    const r = await vigil(['validate', '--json'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    const errors = (JSON.parse(r.stdout) as { errors: Array<{ file: string; line: number; message: string }> }).errors;
    const of = (name: string) => errors.filter((e) => path.basename(e.file) === name);
    expect(of('self.yaml')).toEqual([expect.objectContaining({ line: 3, message: expect.stringMatching(/alias \*t refers to a block that contains it/) })]);
    expect(of('deep.yaml')).toEqual([expect.objectContaining({ line: 3, message: expect.stringMatching(/nested more than 64 levels/) })]);
    expect(of('good.yaml')).toEqual([]);
  });

  it('a 50 MB check file is refused without being read, naming its size and the limit', async () => {
    const dir = project({});
    const big = path.join(dir, 'checks', 'big.yaml');
    writeFileSync(big, GOOD.replace('good', 'big'));
    truncateSync(big, 50 * 1024 * 1024); // sparse: its size says 50 MB
    const r = await vigil(['validate'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^checks\/big\.yaml:1:1: file is 50\.0 MB: vigil reads YAML files of at most 1\.0 MB/m);
  });

  it('a check file that is a named pipe is refused instead of waited on forever', async () => {
    const dir = project({});
    execFileSync('mkfifo', [path.join(dir, 'checks', 'pipe.yaml')]);
    const r = await vigil(['validate'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^checks\/pipe\.yaml:1:1: cannot read file: not a regular file/m);
  });

  it('vigil run runs the good dataset and says which file it could not read (exit 2), rather than hang', async () => {
    const dir = project({ 'checks/bomb.yaml': ALIAS_BOMB });
    rmSync(path.join(dir, 'checks', 'typo.yaml'));
    const r = await vigil(['run', '--json'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { errors: Array<{ file: string; message: string }>; results: Array<{ dataset: string }> };
    expect(doc.errors).toEqual([expect.objectContaining({ file: expect.stringMatching(/bomb\.yaml$/), message: expect.stringMatching(/alias/) })]);
    expect(new Set(doc.results.map((x) => x.dataset))).toEqual(new Set(['good']));
  });
});

describe('vigil serve reloading hostile files', () => {
  it('keeps answering /healthz and running the good dataset while an alias bomb is dropped into checks/', async () => {
    const dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nschedule: "0 0 1 1 *"\n',
      'data/t.csv': 'id\n1\n2\n',
      'checks/good.yaml': GOOD,
    });
    const d = await startServe(dir);
    writeFile(dir, 'checks/bomb.yaml', ALIAS_BOMB);
    // The reload reports the file; meanwhile and afterwards every /healthz answers promptly.
    const problem = await waitFor('the bomb as a config problem', async () => {
      const h = await health(d);
      return h.config_problems.find((p) => p.file.endsWith('bomb.yaml'));
    }, { daemon: d });
    expect(problem.message).toMatch(/YAML aliases expand to more than 100,000 values/);
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      const res = await fetch(`${d.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(5000);
      await sleep(100);
    }
    const run = await api(d, '/api/runs', { method: 'POST', body: { select: ['good'] } });
    expect(run.status).toBe(201);
    expect(run.body.results.map((r: { check: string; status: string }) => `${r.check} ${r.status}`)).toEqual(['good.row_count pass']);
    expect((await stopServe(d)).code).toBe(0);
  });

  it('follows a checks folder that is deleted and created again: its new files are loaded', async () => {
    const dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nschedule: "0 0 1 1 *"\n',
      'data/t.csv': 'id\n1\n2\n',
      'checks/good.yaml': GOOD,
    });
    const d = await startServe(dir);
    expect((await health(d)).datasets.map((x) => x.name)).toEqual(['good']);
    rmSync(path.join(dir, 'checks'), { recursive: true });
    // vigil serve sees the folder go (and keeps what it runs: the folder may come back).
    await waitFor('the missing folder as a config problem', async () => (await health(d)).config_problems.some((p) => /checks folder checks not found/.test(p.message)), { daemon: d });
    expect((await health(d)).datasets.map((x) => x.name)).toEqual(['good']);
    mkdirSync(path.join(dir, 'checks'));
    await sleep(300);
    writeFile(dir, 'checks/fresh.yaml', GOOD.replace('good', 'fresh'));
    await waitFor('the recreated folder\'s dataset to be scheduled', async () => (await health(d)).datasets.some((x) => x.name === 'fresh'), { daemon: d });
    // And it keeps watching: a later edit in the new folder is picked up too.
    writeFile(dir, 'checks/fresh2.yaml', GOOD.replace('good', 'fresh2'));
    await waitFor('a second file in the recreated folder', async () => (await health(d)).datasets.some((x) => x.name === 'fresh2'), { daemon: d });
    expect((await health(d)).config_problems).toEqual([]);
    expect((await stopServe(d)).code).toBe(0);
  });
});
