// ${ENV} interpolation (set, default, unset → error at its position, and which
// commands need which values) and relative paths (each file's own folder; the
// store next to vigil.yaml, whatever the working directory).

import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/diagnostics.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, vigil } from './helpers.js';

afterAll(cleanupProjects);

const at = (d: Pick<Diagnostic, 'file' | 'line' | 'col'>, dir: string): string => `${path.relative(dir, d.file)}:${d.line}:${d.col}`;
const show = (list: Diagnostic[]): string => list.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n');
const errorsOf = (list: Diagnostic[]): Diagnostic[] => list.filter((d) => d.severity === 'error');

const ROWS = '  - row_count: { fail: { min: 1 } }\n';

describe('${ENV} interpolation (loader)', () => {
  it('a set variable is used, also several in one value and inside paths', () => {
    const dir = makeProject({
      'vigil.yaml': 'store: ${STATE_DIR}/vigil.duckdb\n',
      'checks/t.yaml': 'dataset: t\nsource: ../${DATA}/orders.csv\nowner: team-${TEAM}\ndescription: "${TEAM} / ${DATA}"\nchecks:\n' + ROWS,
    });
    const { project, diagnostics } = loadProject({ cwd: dir, env: { STATE_DIR: 'state', DATA: 'warehouse', TEAM: 'payments' } });
    expect(diagnostics, show(diagnostics)).toEqual([]);
    const ds = project.datasets[0];
    expect(ds?.owner).toBe('team-payments');
    expect(ds?.description).toBe('payments / warehouse');
    expect(ds?.source).toMatchObject({ type: 'file', path: path.join(dir, 'warehouse', 'orders.csv') });
    expect(project.storePath).toBe(path.join(dir, 'state', 'vigil.duckdb'));
  });

  it('${NAME:-default}: the default when unset or empty, the variable when set', () => {
    const files = {
      'vigil.yaml': 'dashboard:\n  public_url: ${PUBLIC_URL:-http://localhost:8080/vigil}\n',
      'checks/t.yaml': 'dataset: t\nsource: data.csv\nowner: ${OWNER:-data-team}\nchecks:\n' + ROWS,
    };
    const unset = loadProject({ cwd: makeProject(files), env: {} });
    expect(unset.diagnostics, show(unset.diagnostics)).toEqual([]);
    expect(unset.project.datasets[0]?.owner).toBe('data-team');
    expect(unset.project.config.dashboard.public_url).toBe('http://localhost:8080/vigil');

    const empty = loadProject({ cwd: makeProject(files), env: { OWNER: '' } });
    expect(empty.project.datasets[0]?.owner).toBe('data-team');

    const set = loadProject({ cwd: makeProject(files), env: { OWNER: 'finance', PUBLIC_URL: 'https://vigil.example.com' } });
    expect(set.diagnostics, show(set.diagnostics)).toEqual([]);
    expect(set.project.datasets[0]?.owner).toBe('finance');
    expect(set.project.config.dashboard.public_url).toBe('https://vigil.example.com');
  });

  it('an unset variable without default is an error naming it, at its position (check file)', () => {
    const dir = makeProject({
      'checks/t.yaml': 'dataset: t\nsource: data.csv\ndescription: loaded by ${LOADER_NAME}\nchecks:\n' +
        '  - sql: { name: q, query: "select count(*) from {{ source }} where k = \'${SQL_KEY}\'", fail: 0 }\n',
    });
    const { diagnostics } = loadProject({ cwd: dir, env: {} });
    const errors = errorsOf(diagnostics);
    expect(errors.map((d) => at(d, dir)), show(diagnostics)).toEqual(['checks/t.yaml:3:24', 'checks/t.yaml:5:74']);
    expect(errors[0]?.message).toMatch(/environment variable LOADER_NAME is not set/);
    expect(errors[0]?.message).toMatch(/\$\{LOADER_NAME:-/);
    expect(errors[1]?.message).toMatch(/SQL_KEY/);
  });

  it('an unset variable without default is an error naming it, at its position (vigil.yaml)', () => {
    const dir = makeProject({
      'vigil.yaml': 'timezone: UTC\ndashboard:\n  host: 0.0.0.0\n  public_url: "https://${VIGIL_HOST}/vigil"\n',
      'checks/t.yaml': 'dataset: t\nsource: data.csv\nchecks:\n' + ROWS,
    });
    const { diagnostics } = loadProject({ cwd: dir, env: {} });
    const errors = errorsOf(diagnostics);
    expect(errors.map((d) => at(d, dir)), show(diagnostics)).toEqual(['vigil.yaml:4:24']);
    expect(errors[0]?.message).toMatch(/environment variable VIGIL_HOST is not set/);
  });

  it('an unset variable gives one error, not a second one about the empty value it left', () => {
    const dir = makeProject({ 'checks/t.yaml': 'dataset: t\nsource: data.csv\nowner: ${OWNER}\nchecks:\n' + ROWS });
    const { diagnostics } = loadProject({ cwd: dir, env: {} });
    expect(errorsOf(diagnostics).map((d) => `${at(d, dir)}: ${d.message}`)).toEqual([
      expect.stringMatching(/^checks\/t\.yaml:3:8: environment variable OWNER is not set/),
    ]);
  });

  it('a variable can give a number (dashboard.port: ${VIGIL_PORT:-8080})', () => {
    const files = {
      'vigil.yaml': 'dashboard:\n  port: ${VIGIL_PORT:-8080}\n',
      'checks/t.yaml': 'dataset: t\nsource: data.csv\nchecks:\n' + ROWS,
    };
    const byDefault = loadProject({ cwd: makeProject(files), env: {} });
    expect(byDefault.diagnostics, show(byDefault.diagnostics)).toEqual([]);
    expect(byDefault.project.config.dashboard.port).toBe(8080);
    const set = loadProject({ cwd: makeProject(files), env: { VIGIL_PORT: '9090' } });
    expect(set.project.config.dashboard.port).toBe(9090);
  });
});

// Spawned CLIs run concurrently (each test uses its own temp project and its local expect).
describe.concurrent('${ENV} and the commands that need it (CLI)', () => {
  const checkWithUnset = {
    'checks/t.yaml': 'dataset: t\nsource: ../data/t.csv\ndescription: ${VIGIL_TEST_UNSET_DESC}\nchecks:\n' + ROWS,
    'data/t.csv': 'id\n1\n2\n',
  };
  const noVar = { VIGIL_TEST_UNSET_DESC: undefined };

  it('an unset variable in a check file stops validate and run (exit 3, its position); run --json prints only { errors: [...] }', async ({ expect }) => {
    const dir = makeProject(checkWithUnset);
    const okDir = makeProject(checkWithUnset);
    const [val, runJson, runTable, runSet] = await Promise.all([
      vigil(['validate'], { cwd: dir, env: noVar }),
      vigil(['run', '--json', '--no-alerts'], { cwd: dir, env: noVar }),
      vigil(['run', '--no-alerts'], { cwd: dir, env: noVar }),
      vigil(['run', '--json', '--no-alerts'], { cwd: okDir, env: { VIGIL_TEST_UNSET_DESC: 'orders' } }),
    ]);

    expect(val.code).toBe(3);
    expect(`${val.stdout}\n${val.stderr}`).toMatch(/^checks\/t\.yaml:3:14: environment variable VIGIL_TEST_UNSET_DESC is not set/m);

    expect(runJson.code, runJson.stderr).toBe(3);
    const json = JSON.parse(runJson.stdout) as { errors: Array<Record<string, unknown>> };
    expect(json).toEqual({
      errors: [{
        file: expect.stringMatching(/checks\/t\.yaml$/),
        line: 3,
        col: 14,
        message: expect.stringMatching(/VIGIL_TEST_UNSET_DESC/),
      }],
    });
    expect(Object.keys(json.errors[0] ?? {})).toEqual(['file', 'line', 'col', 'message']);

    expect(runTable.code).toBe(3);
    expect(runTable.stderr).toMatch(/^checks\/t\.yaml:3:14: .*VIGIL_TEST_UNSET_DESC/m);
    expect(runTable.stdout).not.toMatch(/PASS/);
    expect(existsSync(path.join(dir, '.vigil')), 'nothing ran, no store').toBe(false);

    // the same project runs once the variable is set
    expect(runSet.code, runSet.stderr).toBe(0);
    expect((JSON.parse(runSet.stdout) as { summary: unknown }).summary).toEqual({ pass: 1, warn: 0, fail: 0, error: 0 });
  });

  it('run --no-alerts runs when the only unset variable is dashboard.token; validate reports it', async ({ expect }) => {
    const dir = makeProject({
      'vigil.yaml': 'dashboard:\n  token: ${VIGIL_TOKEN}\n',
      'checks/t.yaml': 'dataset: t\nsource: ../data/t.csv\nchecks:\n' + ROWS,
      'data/t.csv': 'id\n1\n2\n',
    });
    const env = { VIGIL_TOKEN: undefined };
    const [run, val] = await Promise.all([
      vigil(['run', '--no-alerts', '--json'], { cwd: dir, env }),
      vigil(['validate'], { cwd: dir, env }),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { summary: unknown }).summary).toEqual({ pass: 1, warn: 0, fail: 0, error: 0 });
    expect(val.code).toBe(3);
    expect(`${val.stdout}\n${val.stderr}`).toMatch(/^vigil\.yaml:2:10: environment variable VIGIL_TOKEN is not set/m);
  });

  it('run does not need the URL of a connection no selected dataset uses', async ({ expect }) => {
    const dir = makeProject({
      'vigil.yaml': 'connections:\n  warehouse: { type: postgres, url: "${VIGIL_TEST_WAREHOUSE_URL}" }\n',
      'checks/t.yaml': 'dataset: t\nsource: ../data/t.csv\nchecks:\n' + ROWS,
      'data/t.csv': 'id\n1\n',
    });
    const r = await vigil(['run', '--no-alerts', '--json'], { cwd: dir, env: { VIGIL_TEST_WAREHOUSE_URL: undefined } });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('relative paths', () => {
  it('(loader) every path is relative to its own file: checks folder and store to vigil.yaml, source to the check file', () => {
    const dir = makeProject({
      'proj/vigil.yaml': 'checks: [checks, more]\nstore: state/v.duckdb\n',
      'proj/checks/sub/x.yaml': 'dataset: x\nsource: ../../data/x.csv\nchecks:\n' + ROWS,
      'proj/more/y.yaml': 'dataset: y\nsource: y.parquet\nchecks:\n' + ROWS,
      'elsewhere/.keep': '',
    });
    const { project, diagnostics } = loadProject({ cwd: path.join(dir, 'elsewhere'), configPath: '../proj/vigil.yaml', env: {} });
    expect(diagnostics, show(diagnostics)).toEqual([]);
    expect(project.root).toBe(path.join(dir, 'proj'));
    expect(project.storePath).toBe(path.join(dir, 'proj', 'state', 'v.duckdb'));
    const byName = new Map(project.datasets.map((d) => [d.name, d]));
    expect(byName.get('x')?.source).toMatchObject({ path: path.join(dir, 'proj', 'data', 'x.csv') });
    expect(byName.get('y')?.source).toMatchObject({ path: path.join(dir, 'proj', 'more', 'y.parquet') });
  });

  it('(loader) the default store is .vigil/vigil.duckdb next to vigil.yaml, not in the cwd', () => {
    const dir = makeProject({
      'proj/vigil.yaml': 'timezone: UTC\n',
      'proj/checks/x.yaml': 'dataset: x\nsource: x.csv\nchecks:\n' + ROWS,
      'elsewhere/.keep': '',
    });
    const { project } = loadProject({ cwd: path.join(dir, 'elsewhere'), configPath: '../proj/vigil.yaml', env: {} });
    expect(project.storePath).toBe(path.join(dir, 'proj', '.vigil', 'vigil.duckdb'));
  });

  it('(CLI) run --config from another folder: sources resolve from the check file, the store lands next to vigil.yaml', async () => {
    const dir = realpathSync(makeProject({
      'proj/vigil.yaml': 'timezone: UTC\n',
      'proj/checks/sub/x.yaml': 'dataset: x\nsource: ../../data/x.csv\nchecks:\n' + ROWS + '  - nulls: { column: v, fail: 0 }\n',
      'proj/data/x.csv': 'id,v\n1,a\n2,b\n',
      'elsewhere/.keep': '',
    }));
    const cwd = path.join(dir, 'elsewhere');
    const [r, v] = await Promise.all([
      vigil(['--config', '../proj/vigil.yaml', 'run', '--no-alerts', '--json'], { cwd }),
      vigil(['validate', '--config', '../proj/vigil.yaml'], { cwd }),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { summary: unknown; results: Array<{ check: string; status: string; value: number }> };
    expect(json.summary).toEqual({ pass: 2, warn: 0, fail: 0, error: 0 });
    expect(json.results.find((x) => x.check === 'x.row_count')?.value).toBe(2);
    expect(existsSync(path.join(dir, 'proj', '.vigil', 'vigil.duckdb'))).toBe(true);
    expect(existsSync(path.join(cwd, '.vigil'))).toBe(false);

    // validate (--config after the command) reads the same source from the same place: no "cannot be read" warning
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^valid: 1 dataset, 2 checks$/m);
  });
});
