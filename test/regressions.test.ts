// Defects found in review, pinned so they stay fixed.

import { afterAll, describe, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { parseYamlText } from '../src/config/yaml-source.js';
import { parseNow } from '../src/cli/run.js';
import { cleanupProjects, makeProject, runProject, vigil, writeData } from './helpers.js';

afterAll(cleanupProjects);

const ROWS = '  - row_count: { fail: { min: 1 } }\n';

describe('${VAR} inside flow mappings (the SPEC §3 vigil.yaml)', () => {
  it('parses, interpolates, and keeps positions exact', () => {
    const dir = makeProject({
      'vigil.yaml': 'dashboard: { host: 127.0.0.1, port: 8080, public_url: http://localhost:8080, token: ${VIGIL_TOKEN} }\n'
        + 'connections:\n  warehouse: { type: postgres, url: ${WAREHOUSE_URL} }\n',
      'checks/t.yaml': 'dataset: t\nsource: data.csv\nchecks:\n  - row_count: { fail: { min: ${MIN_ROWS:-1} } }\n',
    });
    const ok = loadProject({ cwd: dir, env: { VIGIL_TOKEN: 'tok', WAREHOUSE_URL: 'postgres://x' } });
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ok.project.config.dashboard.token).toBe('tok');
    expect(ok.project.datasets[0]?.checks[0]?.fail).toEqual({ min: 1 });
    const unset = loadProject({ cwd: dir, env: {} });
    const errors = unset.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.envVar}`);
    expect(errors).toEqual(['1:85 VIGIL_TOKEN', '3:37 WAREHOUSE_URL']);
  });

  it('values stay strings (a numeric token is not turned into a number)', () => {
    const dir = makeProject({ 'vigil.yaml': 'dashboard:\n  token: ${T}\n  port: ${P:-9090}\n', 'checks/t.yaml': `dataset: t\nsource: data.csv\nchecks:\n${ROWS}` });
    const { project, diagnostics } = loadProject({ cwd: dir, env: { T: '0123' } });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(project.config.dashboard.token).toBe('0123');
    expect(project.config.dashboard.port).toBe(9090);
  });
});

it('YAML anchors and aliases resolve', () => {
  const src = parseYamlText('x.yaml', 'a: &z 0\nb: *z\nc: &m { min: 1 }\nd: *m\n', {});
  expect(src.value).toEqual({ a: 0, b: 0, c: { min: 1 }, d: { min: 1 } });
});

it('a typo in vigil.yaml does not send checks or the store elsewhere while it is reported', () => {
  const dir = makeProject({
    'vigil.yaml': 'checks: mychecks\nstore: state/v.duckdb\nstor: x\n',
    'mychecks/c.yaml': 'dataset: c\nsource: data.csv\nchecks:\n  - row_count: { fial: 0 }\n',
  });
  const { project, diagnostics } = loadProject({ cwd: dir });
  const messages = diagnostics.map((d) => d.message).join('\n');
  expect(messages).toMatch(/unknown key 'stor'/);
  expect(messages).toMatch(/unknown key 'fial'/);
  expect(messages).not.toMatch(/checks folder/);
  expect(project.storePath.endsWith('state/v.duckdb')).toBe(true);
});

it('a store URL vigil cannot open is refused with a clear message, without echoing the URL; a postgres:// URL is a store', () => {
  const dir = makeProject({ 'vigil.yaml': 'store: mysql://u:secretpw@localhost/db\n', 'checks/t.yaml': `dataset: t\nsource: data.csv\nchecks:\n${ROWS}` });
  const { diagnostics } = loadProject({ cwd: dir });
  const err = diagnostics.find((d) => d.message.includes('not a store vigil can use'));
  expect(err?.line).toBe(1);
  expect(diagnostics.map((d) => d.message).join()).not.toContain('secretpw');
  const pg = makeProject({ 'vigil.yaml': 'store: postgres://u:secretpw@localhost/db?schema=team\n', 'checks/t.yaml': `dataset: t\nsource: data.csv\nchecks:\n${ROWS}` });
  expect(loadProject({ cwd: pg }).diagnostics.filter((d) => /store/.test(d.message))).toEqual([]);
});

it('a bad duckdb.memory_limit is a validation error', () => {
  const dir = makeProject({ 'vigil.yaml': 'duckdb: { memory_limit: lots }\n', 'checks/t.yaml': `dataset: t\nsource: data.csv\nchecks:\n${ROWS}` });
  const { diagnostics } = loadProject({ cwd: dir });
  expect(diagnostics.find((d) => /memory_limit/.test(d.message))?.severity).toBe('error');
});

describe('runs', () => {
  it('a sql value beyond 2^63 is recorded, and a sql source may end in a -- comment', async () => {
    const dir = makeProject({
      'checks/big.yaml': 'dataset: big\nsource: data.csv\nchecks:\n  - sql: { name: huge, query: "select 1e19::DOUBLE", fail: 12 }\n',
      'checks/s.yaml': "dataset: s\nsource:\n  sql: |\n    select * from read_csv('data.csv')  -- the raw extract\nchecks:\n" + ROWS,
    });
    await writeData(dir, 'checks/data.csv', 'select range as id from range(3)');
    const { byId, report } = await runProject(dir);
    expect(report.record_errors).toEqual([]);
    expect(byId.get('big.huge')).toMatchObject({ status: 'fail', value: 1e19 });
    expect(byId.get('s.row_count')).toMatchObject({ status: 'pass', value: 3 });
  });

  it('--now without an offset is UTC; other formats are refused', () => {
    expect(parseNow('2026-01-01T12:00:00')?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(parseNow('2026-01-01')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseNow('2026-01-01T12:00:00+02:00')?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(parseNow('Jan 1 2026')).toBeUndefined();
  });

  it('an expected schema column matches whatever its case in the data', async () => {
    const dir = makeProject({ 'checks/c.yaml': 'dataset: c\nsource: data.csv\nchecks:\n  - schema: { columns: { ID: BIGINT }, extra_columns: fail }\n' });
    await writeData(dir, 'checks/data.csv', 'select range as id from range(3)');
    const { byId } = await runProject(dir);
    expect(byId.get('c.schema')?.status).toBe('pass');
  });

  it('serve refuses to start when a value it needs (the dashboard token) is unset', async () => {
    const dir = makeProject({ 'vigil.yaml': 'dashboard: { port: 0, token: ${VIGIL_TEST_UNSET_TOKEN} }\n', 'checks/t.yaml': `dataset: t\nsource: data.csv\nchecks:\n${ROWS}` });
    const res = await vigil(['serve'], { cwd: dir, timeoutMs: 20_000 });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('VIGIL_TEST_UNSET_TOKEN');
  });
});

it('two files claiming one dataset: neither is taken (a dataset: typo must not run one file\'s checks under the other\'s name)', () => {
  const dir = makeProject({
    'checks/a.yaml': 'dataset: b\nsource: data.csv\nchecks:\n  - row_count: { name: rows_a, fail: { min: 1 } }\n',
    'checks/b.yaml': 'dataset: b\nsource: data.csv\nchecks:\n  - row_count: { name: rows_b, fail: { min: 1 } }\n',
  });
  const { project, diagnostics, invalidFiles } = loadProject({ cwd: dir });
  expect(project.datasets.map((d) => d.name)).toEqual([]);
  expect(invalidFiles.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['checks/a.yaml', 'checks/b.yaml']);
  expect(diagnostics.find((d) => /already defined/.test(d.message))?.file.endsWith('checks/b.yaml')).toBe(true);
});
