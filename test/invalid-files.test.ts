// An invalid check file stops only itself (issue 17): `vigil validate` checks
// the columns and queries of every dataset whose source and checks parse, also
// in a file with other problems and next to other invalid files (one round
// shows every problem); `vigil run` and `vigil run OTHER` run the valid
// datasets, report the invalid ones at file:line:col and exit 2, and exit 3
// only when nothing can run; `vigil serve` schedules the valid ones.

import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil, type CliResult } from './helpers.js';
import { api, health, killAllDaemons, startServe, stopServe } from './serve-helpers.js';

afterAll(cleanupProjects);
afterEach(killAllDaemons);

const DATA = 'id,email,amount\n1,a@x.io,10\n2,,20\n3,c@x.io,30\n';

const GOOD = `dataset: good
source: ../data/users.csv
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: email, warn: 5 }
`;

// Every layer's problem in one file: a head typo, an unknown kind, then checks that parse but name an
// unknown column or send a query that does not bind, and an SLO naming a check that is not there.
const BAD = [
  'dataset: bad', //                                                        1
  'source: ../data/users.csv', //                                           2
  'shedule: "*/5 * * * *"', //                                              3  unknown key
  'checks:', //                                                             4
  '  - row_count: { fail: { min: 1 } }', //                                 5
  '  - row_cont: { fail: 0 }', //                                           6  unknown kind
  '  - nulls: { column: emial, fail: 0 }', //                               7  col 22: unknown column
  '  - sql: { name: big, query: "select count(*) from {{ source }} where amout > 1", fail: 0 }', // 8 col 30
  '  - duplicates: { keys: [id], fail: 0, where: "nope > 0" }', //          9  col 47
  '',
].join('\n');

// A file that parses as YAML but whose own keys are wrong everywhere: nothing of it can be checked.
const HOPELESS = 'dataset: hopeless\nsource: 42\nchecks: []\n';

function project(extra: Record<string, string> = {}): string {
  return makeProject({ 'data/users.csv': DATA, 'checks/good.yaml': GOOD, 'checks/bad.yaml': BAD, ...extra });
}

const where = (e: { file: string; line: number; col: number }) => `${path.basename(e.file)}:${e.line}:${e.col}`;
const store = (dir: string) => path.join(dir, '.vigil', 'vigil.duckdb');
const results = (dir: string) => queryDb(store(dir), 'select dataset, count(*)::int as n from check_results group by dataset order by dataset');

interface Problem { file: string; line: number; col: number; message: string }
interface RunDoc { summary: Record<string, number>; results: Array<{ check: string; dataset: string }>; errors?: Problem[]; not_run?: string[] }

function json<T>(res: CliResult): T {
  try {
    return JSON.parse(res.stdout) as T;
  } catch (err) {
    throw new Error(`not JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`, { cause: err });
  }
}

describe('vigil validate: every layer in one round', () => {
  it('columns and queries of a file with config errors are checked too, next to another invalid file and a bad vigil.yaml', async () => {
    const dir = project({ 'checks/hopeless.yaml': HOPELESS, 'vigil.yaml': 'timezone: Mars/Olympus\n' });
    const res = await vigil(['validate', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(3);
    const { errors } = json<{ errors: Problem[] }>(res);
    const bad = errors.filter((e) => e.file.endsWith('bad.yaml'));
    expect(bad.map(where)).toEqual(['bad.yaml:3:1', 'bad.yaml:6:5', 'bad.yaml:7:22', 'bad.yaml:8:30', 'bad.yaml:9:47']);
    expect(bad[0]?.message).toMatch(/unknown key 'shedule' — did you mean 'schedule'/);
    expect(bad[1]?.message).toMatch(/unknown check kind 'row_cont'/);
    expect(bad[2]?.message).toMatch(/bad\.nulls\.emial: unknown column emial .*did you mean 'email'/);
    expect(bad[3]?.message).toMatch(/bad\.big: query does not compile: .*amout/);
    expect(bad[4]?.message).toMatch(/bad\.duplicates\.id: where \(nope > 0\) does not compile/);
    // The other files' problems in the same round: vigil.yaml, the hopeless file, and good.yaml is clean.
    expect(errors.some((e) => e.file.endsWith('vigil.yaml') && /timezone/.test(e.message))).toBe(true);
    expect(errors.filter((e) => e.file.endsWith('hopeless.yaml')).length).toBeGreaterThanOrEqual(1);
    expect(errors.filter((e) => e.file.endsWith('good.yaml'))).toEqual([]);

    // The text form: the same problems as file:line:col lines.
    const text = await vigil(['validate'], { cwd: dir });
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/^checks\/bad\.yaml:7:22: bad\.nulls\.emial: unknown column emial/m);
    expect(text.stderr).toMatch(/^checks\/bad\.yaml:3:1: unknown key 'shedule'/m);
  });

  it('fixing what the first round showed leaves nothing for a second round', async () => {
    const fixed = BAD.replace('shedule', 'schedule').replace('row_cont: { fail: 0 }', 'nulls: { column: id, fail: 0 }').replace('emial', 'email').replace('amout', 'amount')
      .replace('nope > 0', 'id > 0');
    const dir = makeProject({ 'data/users.csv': DATA, 'checks/good.yaml': GOOD, 'checks/bad.yaml': fixed });
    const res = await vigil(['validate'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^valid: 2 datasets, 7 checks$/m);
  });
});

describe('vigil run: an invalid check file stops only its own dataset', () => {
  it('vigil run: the valid datasets run and are recorded, the invalid file is reported at file:line:col, exit 2', async () => {
    const dir = project();
    const res = await vigil(['run'], { cwd: dir });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toMatch(/PASS\s+good\.row_count/);
    expect(res.stdout).not.toMatch(/bad\./);
    expect(res.stderr).toMatch(/^checks\/bad\.yaml:3:1: unknown key 'shedule'/m);
    expect(res.stderr).toMatch(/^checks\/bad\.yaml:6:5: unknown check kind 'row_cont'/m);
    expect(res.stderr).toMatch(/1 invalid check file \(2 problems above\); not run: bad — the other datasets ran/);
    expect(await results(dir)).toEqual([{ dataset: 'good', n: 2 }]);

    const doc = json<RunDoc>(await vigil(['run', '--json'], { cwd: dir }));
    expect(doc.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 0 });
    expect(doc.results.map((r) => r.dataset)).toEqual(['good', 'good']);
    expect(doc.not_run).toEqual(['bad']);
    expect(doc.errors?.map(where)).toEqual(['bad.yaml:3:1', 'bad.yaml:6:5']);
    expect(Object.keys(doc.errors?.[0] ?? {}).sort()).toEqual(['col', 'file', 'line', 'message']);
  });

  it('vigil run OTHER runs it (exit 2: problems are present); vigil run BAD has nothing to run: exit 3, nothing recorded', async () => {
    const dir = project();
    const other = await vigil(['run', 'good'], { cwd: dir });
    expect(other.code, other.stderr).toBe(2);
    expect(other.stdout).toMatch(/2 checks: 2 pass/);
    expect(other.stderr).toMatch(/checks\/bad\.yaml:6:5: /);
    const runs = await queryDb(store(dir), 'select count(*)::int as n from runs');

    const bad = await vigil(['run', 'bad'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^checks\/bad\.yaml:6:5: unknown check kind/m);
    expect(bad.stderr).toMatch(/configuration invalid: nothing ran/);
    const badJson = await vigil(['run', 'bad', '--json'], { cwd: dir });
    expect(badJson.code).toBe(3);
    expect(json<{ errors: Problem[] }>(badJson).errors.map(where)).toEqual(['bad.yaml:3:1', 'bad.yaml:6:5']);
    expect(await queryDb(store(dir), 'select count(*)::int as n from runs')).toEqual(runs);

    // Named together, the valid one runs; a selector that matches nothing at all is still refused.
    const both = await vigil(['run', 'bad', 'good', '--json'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(json<RunDoc>(both).results.map((r) => r.check)).toEqual(['good.row_count', 'good.nulls.email']);
    const typo = await vigil(['run', 'goood'], { cwd: dir });
    expect(typo.code).toBe(3);
    expect(typo.stderr).toMatch(/nothing matches 'goood'/);
  });

  it('a failing valid dataset still exits 2 while a file is invalid; once it is fixed, the usual codes', async () => {
    const dir = project({ 'checks/good.yaml': GOOD.replace('warn: 5', 'fail: 0') });
    const res = await vigil(['run'], { cwd: dir });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toMatch(/FAIL\s+good\.nulls\.email/);
    const fixedDir = makeProject({ 'data/users.csv': DATA, 'checks/good.yaml': GOOD.replace('warn: 5', 'fail: 0') });
    expect((await vigil(['run'], { cwd: fixedDir })).code).toBe(1);
  });

  it('a check file with an unset ${VAR} is not run either; an invalid vigil.yaml stops everything (exit 3)', async () => {
    const dir = project({ 'checks/env.yaml': 'dataset: env\nsource: ../data/${USERS_FILE}\nchecks:\n  - row_count: { fail: { min: 1 } }\n' });
    const res = await vigil(['run', '--json'], { cwd: dir, env: { USERS_FILE: '' } });
    expect(res.code, res.stderr).toBe(2);
    const doc = json<RunDoc>(res);
    expect([...new Set(doc.results.map((r) => r.dataset))]).toEqual(['good']);
    expect(doc.not_run?.sort()).toEqual(['bad', 'env']);
    expect(doc.errors?.some((e) => e.file.endsWith('env.yaml') && /USERS_FILE/.test(e.message))).toBe(true);

    const config = project({ 'vigil.yaml': 'timezone: Mars/Olympus\n' });
    const stopped = await vigil(['run'], { cwd: config });
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toMatch(/vigil\.yaml:1:\d+: unknown timezone/);
    expect(stopped.stdout).toBe('');
  });
});

describe('vigil serve: the valid datasets keep running', () => {
  it('schedules and runs the valid dataset, lists the invalid file in /healthz, and a run of everything runs only the valid one', async () => {
    const dir = project({ 'vigil.yaml': 'schedule: "0 0 1 1 *"\n' });
    const d = await startServe(dir);
    try {
      const h = await health(d);
      expect(h.datasets.map((x) => x.name)).toEqual(['good']);
      expect(h.config_problems.filter((p) => p.severity === 'error').map(where)).toEqual(['bad.yaml:3:1', 'bad.yaml:6:5']);
      const run = await api<RunDoc>(d, '/api/runs', { method: 'POST', auth: d.token, body: { select: [] } });
      expect(run.status, run.text).toBe(201);
      expect(run.body.results.map((r) => r.check)).toEqual(['good.row_count', 'good.nulls.email']);
      // The CLI handed to the daemon reports the invalid file the same way.
      const cli = await vigil(['run'], { cwd: dir });
      expect(cli.code, cli.stderr).toBe(2);
      expect(cli.stdout).toMatch(/2 checks: 2 pass/);
      expect(cli.stderr).toMatch(/not run: bad/);
    } finally {
      await stopServe(d);
    }
  });
});
