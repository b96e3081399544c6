// The real bin/vigil, spawned in temp projects: exit codes, `run --json`,
// selectors, --now / VIGIL_NOW, status, init, table output and --config.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, type CliResult, type SpecResult, type SpecRun, vigil, writeData, writeFile } from './helpers.js';

const extraDirs: string[] = [];
afterAll(() => {
  cleanupProjects();
  for (const d of extraDirs) rmSync(d, { recursive: true, force: true });
});

function emptyDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-'));
  extraDirs.push(d);
  return d;
}

type JsonResult = SpecResult;
type RunJson = SpecRun;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const ANSI = /\x1b\[/; // eslint-disable-line no-control-regex

function parseRun(res: CliResult): RunJson {
  try {
    return JSON.parse(res.stdout) as RunJson;
  } catch (err) {
    throw new Error(`stdout is not one JSON document (exit ${res.code}):\n${res.stdout}\n--- stderr ---\n${res.stderr}`, { cause: err });
  }
}

async function runCount(dir: string): Promise<number> {
  const store = path.join(dir, '.vigil/vigil.duckdb');
  if (!existsSync(store)) return 0;
  const rows = await queryDb(store, 'select count(*)::INTEGER as n from runs');
  return Number(rows[0]?.n);
}

const ORDERS = `dataset: orders
source: ../data/orders.parquet
owner: payments
tags: [tier-1, finance]
runbook: https://runbooks.example.com/orders
checks:
  - freshness: { column: updated_at, warn_after: 1h, fail_after: 6h }
  - row_count: { fail: { min: 1 } }
  - nulls: { column: customer_id, fail: 0 }
`;

const CUSTOMERS = `dataset: customers
source: ../data/customers.csv
owner: crm
tags: [tier-2]
checks:
  - row_count: { fail: { min: 1 } }
  - duplicates: { keys: [id], fail: 0 }
`;

const BROKEN = `dataset: broken
source: ../data/missing/*.parquet
owner: ops
tags: [legacy]
checks:
  - row_count: { fail: { min: 1 } }
`;

/** orders' newest updated_at is 2026-01-01 00:00:00 (naive, read as UTC). */
async function makeShop(opts: { broken?: boolean; config?: string } = {}): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': opts.config ?? 'timezone: UTC\n',
    'checks/orders.yaml': ORDERS,
    'checks/customers.yaml': CUSTOMERS,
    ...(opts.broken ? { 'checks/broken.yaml': BROKEN } : {}),
  });
  await writeData(dir, 'data/orders.parquet',
    "select range as order_id, range % 7 as customer_id, TIMESTAMP '2026-01-01 00:00:00' - range * INTERVAL 1 MINUTE as updated_at from range(100)");
  await writeData(dir, 'data/customers.csv', "select range as id, 'c' || range as name from range(30)");
  return dir;
}

const PASS_NOW = '2026-01-01T00:30:00Z'; // freshness 1800 s → pass
const WARN_NOW = '2026-01-01T03:00:00Z'; // 10800 s → warn
const FAIL_NOW = '2026-01-01T12:00:00Z'; // 43200 s → fail

describe('exit codes of run', () => {
  let shop: string;
  let withBroken: string;
  beforeAll(async () => {
    shop = await makeShop();
    withBroken = await makeShop({ broken: true });
  });

  const freshness = (res: CliResult) => parseRun(res).results.find((r) => r.check === 'orders.freshness');

  it('0 when every check passes (and --now fixes the clock: freshness = now − newest exactly)', async () => {
    const res = await vigil(['run', '--json', '--now', PASS_NOW], { cwd: shop });
    expect(res.code, res.stderr).toBe(0);
    expect(parseRun(res).summary).toEqual({ pass: 5, warn: 0, fail: 0, error: 0 });
    expect(freshness(res)).toMatchObject({ status: 'pass', value: 1800, unit: 'seconds' });
  });

  it('0 when the worst is warn', async () => {
    const res = await vigil(['run', '--json', '--now', '2026-01-01T02:03:04Z'], { cwd: shop });
    expect(res.code, res.stderr).toBe(0);
    expect(parseRun(res).summary).toEqual({ pass: 4, warn: 1, fail: 0, error: 0 });
    expect(freshness(res)).toMatchObject({ status: 'warn', value: 2 * 3600 + 3 * 60 + 4 });
  });

  it('1 when any check fails', async () => {
    const res = await vigil(['run', '--json', '--now', FAIL_NOW], { cwd: shop });
    expect(res.code, res.stderr).toBe(1);
    expect(parseRun(res).summary).toEqual({ pass: 4, warn: 0, fail: 1, error: 0 });
    expect(freshness(res)).toMatchObject({ status: 'fail', value: 12 * 3600 });
  });

  it('2 when any check errors', async () => {
    const res = await vigil(['run', '--json', '--now', PASS_NOW], { cwd: withBroken });
    expect(res.code, res.stderr).toBe(2);
    expect(parseRun(res).summary).toEqual({ pass: 5, warn: 0, fail: 0, error: 1 });
  });

  it('2 when there are both fail and error: error wins', async () => {
    const res = await vigil(['run', '--json', '--now', FAIL_NOW], { cwd: withBroken });
    expect(res.code, res.stderr).toBe(2);
    expect(parseRun(res).summary).toEqual({ pass: 4, warn: 0, fail: 1, error: 1 });
  });
});

describe('invalid configuration: exit 3 when nothing can run', () => {
  const BAD_CHECK_FILE = `dataset: typo
source: ../data/orders.parquet
checks:
  - row_count: { fail: { min: 1 } }
  - row_cont: { fail: 0 }
`;

  it('an invalid check file: the other datasets run (exit 2); problems as file:line:col, or errors in --json; alone it is exit 3, no store written', async () => {
    const dir = await makeShop();
    writeFile(dir, 'checks/typo.yaml', BAD_CHECK_FILE);
    const res = await vigil(['run', '--now', PASS_NOW], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/typo\.yaml:5:\d+: .*row_cont/);
    expect(res.stdout).toMatch(/PASS\s+orders\.row_count/);
    expect(res.stdout).not.toMatch(/typo\./);

    const json = await vigil(['run', '--json', '--now', PASS_NOW], { cwd: dir });
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout) as { errors: Array<{ file: string; line: number; col: number; message: string }>; not_run: string[]; results: unknown[] };
    expect(out.results).toHaveLength(5);
    expect(out.not_run).toEqual(['typo']);
    expect(out.errors.length).toBeGreaterThanOrEqual(1);
    const e = out.errors[0];
    expect(Object.keys(e ?? {}).sort()).toEqual(['col', 'file', 'line', 'message']);
    expect(e?.file).toMatch(/typo\.yaml$/);
    expect(e?.line).toBe(5);
    expect(e?.message).toContain('row_cont');

    const validate = await vigil(['validate'], { cwd: dir });
    expect(validate.code).toBe(3);
    expect(validate.stderr).toMatch(/typo\.yaml:5:\d+: /);

    // Only the invalid file: nothing can run.
    const alone = makeProject({ 'checks/typo.yaml': BAD_CHECK_FILE });
    const none = await vigil(['run', '--json'], { cwd: alone });
    expect(none.code).toBe(3);
    expect((JSON.parse(none.stdout) as { errors: unknown[] }).errors).toHaveLength(1);
    expect(existsSync(path.join(alone, '.vigil'))).toBe(false);
  });

  it('an invalid vigil.yaml: exit 3', async () => {
    const dir = await makeShop({ config: 'timezone: Mars/Olympus\n' });
    const res = await vigil(['run', '--json'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(JSON.parse(res.stdout).errors[0].message).toMatch(/timezone/);
    expect(existsSync(path.join(dir, '.vigil'))).toBe(false);
  });

  it('with a store from earlier runs, an invalid config records no run', async () => {
    const dir = await makeShop();
    expect((await vigil(['run', '--now', PASS_NOW], { cwd: dir })).code).toBe(0);
    expect(await runCount(dir)).toBe(1);
    writeFile(dir, 'vigil.yaml', 'timezone: Mars/Olympus\n');
    expect((await vigil(['run', '--now', PASS_NOW], { cwd: dir })).code).toBe(3);
    expect(await runCount(dir)).toBe(1);
    writeFile(dir, 'vigil.yaml', 'timezone: UTC\n');
    writeFile(dir, 'checks/typo.yaml', BAD_CHECK_FILE);
    expect((await vigil(['run', 'typo', '--now', PASS_NOW], { cwd: dir })).code).toBe(3);
    expect(await runCount(dir)).toBe(1);
  });
});

describe('run --json', () => {
  let shop: string;
  beforeAll(async () => { shop = await makeShop(); });

  it('prints exactly one JSON document with the documented shape', async () => {
    const res = await vigil(['run', '--json', '--no-alerts', '--now', PASS_NOW], { cwd: shop });
    expect(res.code, res.stderr).toBe(0);
    const out = parseRun(res);
    expect(typeof out.run_id).toBe('string');
    expect(out.run_id.length).toBeGreaterThan(0);
    expect(out.started_at).toMatch(ISO);
    expect(out.finished_at).toMatch(ISO);
    expect(Date.parse(out.finished_at)).toBeGreaterThanOrEqual(Date.parse(out.started_at));
    expect(Object.keys(out.summary).sort()).toEqual(['error', 'fail', 'pass', 'warn']);
    expect(out.results).toHaveLength(5);
    const counts = { pass: 0, warn: 0, fail: 0, error: 0 } as Record<string, number>;
    for (const r of out.results) {
      for (const key of ['check', 'dataset', 'kind', 'status', 'value', 'unit', 'message', 'runbook', 'details']) expect(r).toHaveProperty(key);
      expect(r.check.startsWith(`${r.dataset}.`)).toBe(true);
      expect(['pass', 'warn', 'fail', 'error']).toContain(r.status);
      expect(typeof r.message).toBe('string');
      expect(typeof r.details).toBe('object');
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
    expect(out.summary).toEqual(counts);
    const byId = new Map(out.results.map((r) => [r.check, r]));
    expect(new Set(byId.keys())).toEqual(new Set([
      'orders.freshness', 'orders.row_count', 'orders.nulls.customer_id', 'customers.row_count', 'customers.duplicates.id',
    ]));
    expect(byId.get('orders.row_count')).toMatchObject({ dataset: 'orders', kind: 'row_count', status: 'pass', value: 100, unit: 'rows', runbook: 'https://runbooks.example.com/orders' });
    expect(byId.get('orders.freshness')).toMatchObject({ kind: 'freshness', unit: 'seconds' });
    expect(byId.get('customers.duplicates.id')).toMatchObject({ kind: 'duplicates', value: 0, runbook: null });
  });

  it('stdout stays one JSON document with logging on; logs go to stderr', async () => {
    const res = await vigil(['run', '--json', '--now', PASS_NOW], { cwd: shop, env: { VIGIL_LOG_LEVEL: 'info' } });
    expect(res.code, res.stderr).toBe(0);
    const out = parseRun(res);
    expect(out.results).toHaveLength(5);
    const logs = res.stderr.trim().split('\n').filter(Boolean);
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(res.stdout).not.toContain('"level"');
  });
});

describe('selectors', () => {
  let shop: string;
  beforeAll(async () => { shop = await makeShop({ broken: true }); });

  const datasetsOf = (res: CliResult) => [...new Set(parseRun(res).results.map((r) => r.dataset))].sort();

  it('a dataset name runs only that dataset', async () => {
    const res = await vigil(['run', '--json', 'customers'], { cwd: shop });
    expect(res.code, res.stderr).toBe(0);
    expect(datasetsOf(res)).toEqual(['customers']);
  });

  it('tag:NAME', async () => {
    const byTag = await vigil(['run', '--json', '--now', PASS_NOW, 'tag:tier-1'], { cwd: shop });
    expect(byTag.code, byTag.stderr).toBe(0);
    expect(datasetsOf(byTag)).toEqual(['orders']);
  });

  it('owner:NAME, and several selectors are OR-ed', async () => {
    const res = await vigil(['run', '--json', '--now', PASS_NOW, 'owner:crm', 'tag:legacy', 'orders'], { cwd: shop });
    expect(res.code).toBe(2);
    expect(datasetsOf(res)).toEqual(['broken', 'customers', 'orders']);
    const owner = await vigil(['run', '--json', 'owner:ops', 'owner:crm'], { cwd: shop });
    expect(owner.code).toBe(2);
    expect(datasetsOf(owner)).toEqual(['broken', 'customers']);
  });

  it('a selector that matches nothing: a clear message, exit 3, no run recorded', async () => {
    const dir = await makeShop();
    const res = await vigil(['run', 'tag:nope'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('tag:nope');
    expect(res.stderr).toMatch(/nothing matches|no dataset/i);
    expect(res.stdout).toBe('');
    expect(await runCount(dir)).toBe(0);

    const json = await vigil(['run', '--json', 'orders', 'ordrs'], { cwd: dir });
    expect(json.code).toBe(3);
    const out = JSON.parse(json.stdout) as { errors: Array<{ message: string }> };
    expect(out.errors[0]?.message).toContain('ordrs');
    expect(await runCount(dir)).toBe(0);
  });
});

describe('--now and VIGIL_NOW', () => {
  let shop: string;
  beforeAll(async () => { shop = await makeShop(); });

  const freshness = (res: CliResult) => parseRun(res).results.find((r) => r.check === 'orders.freshness');

  it('VIGIL_NOW fixes the clock like --now', async () => {
    const res = await vigil(['run', '--json', 'orders'], { cwd: shop, env: { VIGIL_NOW: '2026-01-01T00:00:42Z' } });
    expect(res.code).toBe(0);
    expect(freshness(res)).toMatchObject({ status: 'pass', value: 42 });
  });

  it('--now (with an offset) wins over VIGIL_NOW', async () => {
    const res = await vigil(['run', '--json', '--now', '2026-01-01T08:00:00+01:00', 'orders'], { cwd: shop, env: { VIGIL_NOW: '2026-01-01T00:00:42Z' } });
    expect(res.code).toBe(1);
    expect(freshness(res)).toMatchObject({ status: 'fail', value: 7 * 3600 });
  });

  it('a bad --now or VIGIL_NOW exits 3 and runs nothing', async () => {
    const dir = await makeShop();
    const bad = await vigil(['run', '--now', 'yesterday'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('yesterday');
    const badEnv = await vigil(['run', '--json'], { cwd: dir, env: { VIGIL_NOW: '2026-13-45T99:00:00Z' } });
    expect(badEnv.code).toBe(3);
    expect(JSON.parse(badEnv.stdout).errors[0].message).toContain('2026-13-45');
    expect(await runCount(dir)).toBe(0);
  });
});

describe('status', () => {
  it('before any run: a friendly message, exit 0, and an empty JSON status', async () => {
    const dir = await makeShop();
    const res = await vigil(['status'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/no results yet|no runs yet|nothing has run/i);
    expect(res.stdout).toMatch(/vigil run/);
    const json = await vigil(['status', '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { results: unknown[] };
    expect(out.results).toEqual([]);
  });

  it('after runs: the latest result of every check, once each, including checks the last run did not select', async () => {
    const dir = await makeShop();
    expect((await vigil(['run', '--now', PASS_NOW], { cwd: dir })).code).toBe(0);
    expect((await vigil(['run', 'orders', '--now', FAIL_NOW], { cwd: dir })).code).toBe(1);
    const json = await vigil(['status', '--json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { summary: Record<string, number>; results: JsonResult[] };
    const ids = out.results.map((r) => r.check);
    expect([...ids].sort()).toEqual(['customers.duplicates.id', 'customers.row_count', 'orders.freshness', 'orders.nulls.customer_id', 'orders.row_count']);
    expect(out.results.find((r) => r.check === 'orders.freshness')).toMatchObject({ status: 'fail', value: 43200 });
    expect(out.results.find((r) => r.check === 'customers.row_count')).toMatchObject({ status: 'pass', value: 30 });
    expect(out.summary).toEqual({ pass: 4, warn: 0, fail: 1, error: 0 });

    const table = await vigil(['status'], { cwd: dir, env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(ANSI);
    for (const id of ids) expect(table.stdout).toContain(id);
    expect(table.stdout.split('\n').find((l) => l.includes('orders.freshness'))).toMatch(/^FAIL\b/);
  });

  it('a deleted check file (or a check taken out of one) leaves the status; a file that is invalid now keeps its last results', async () => {
    const dir = await makeShop();
    expect((await vigil(['run', '--now', FAIL_NOW], { cwd: dir })).code).toBe(1);
    const ids = async () => ((JSON.parse((await vigil(['status', '--json'], { cwd: dir })).stdout) as { results: JsonResult[] }).results).map((r) => r.check).sort();
    expect(await ids()).toEqual(['customers.duplicates.id', 'customers.row_count', 'orders.freshness', 'orders.nulls.customer_id', 'orders.row_count']);

    // An invalid customers file: its dataset is still the project's; its last results stay, next to the problem.
    const customers = readFileSync(path.join(dir, 'checks/customers.yaml'), 'utf8');
    writeFile(dir, 'checks/customers.yaml', customers.replace(/checks:/, 'schedul: "0 * * * *"\nchecks:'));
    const invalid = await vigil(['status'], { cwd: dir });
    expect(invalid.stdout).toMatch(/config problem: .*customers\.yaml/);
    expect(invalid.stdout).toContain('customers.row_count');

    rmSync(path.join(dir, 'checks/customers.yaml'));
    writeFile(dir, 'checks/orders.yaml', readFileSync(path.join(dir, 'checks/orders.yaml'), 'utf8').replace(/\n\s+- nulls:[^\n]*\n/, '\n'));
    expect(await ids()).toEqual(['orders.freshness', 'orders.row_count']);
    const json = JSON.parse((await vigil(['status', '--json'], { cwd: dir })).stdout) as { summary: Record<string, number> };
    expect(json.summary).toEqual({ pass: 1, warn: 0, fail: 1, error: 0 });
    const table = await vigil(['status'], { cwd: dir });
    expect(table.stdout).not.toMatch(/customers/);
  });
});

describe('init', () => {
  it('scaffolds a project in an empty folder that validates and runs green', async () => {
    const dir = emptyDir();
    const init = await vigil(['init'], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    for (const f of ['vigil.yaml', 'checks/example.yaml', 'alerts/alerts.yaml']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    // The editor schema the example names exists where it says, and is what `vigil schema` prints.
    const example = readFileSync(path.join(dir, 'checks/example.yaml'), 'utf8');
    const schemaRef = /\$schema=(\S+)/.exec(example)?.[1] as string;
    const schemaFile = path.resolve(dir, 'checks', schemaRef);
    expect(existsSync(schemaFile), schemaFile).toBe(true);
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(JSON.parse((await vigil(['schema'], { cwd: dir })).stdout));
    expect(init.stdout).toMatch(/next: vigil validate && vigil run/);
    const validate = await vigil(['validate'], { cwd: dir });
    expect(validate.code, validate.stderr).toBe(0);
    const run = await vigil(['run', '--json'], { cwd: dir });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const out = parseRun(run);
    expect(out.results.length).toBeGreaterThan(0);
    expect(out.summary.fail + out.summary.error).toBe(0);
    expect(existsSync(path.join(dir, '.vigil/vigil.duckdb'))).toBe(true);
  });

  it('does not overwrite files that exist', async () => {
    const dir = emptyDir();
    writeFile(dir, 'vigil.yaml', '# mine\ntimezone: UTC\n');
    const init = await vigil(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toBe('# mine\ntimezone: UTC\n');
    expect(existsSync(path.join(dir, 'checks/example.yaml'))).toBe(true);
  });
});

describe('table output', () => {
  it('is a plain table with no ANSI colour when stdout is not a TTY', async () => {
    const dir = await makeShop({ broken: true });
    const res = await vigil(['run', '--now', WARN_NOW], { cwd: dir, env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(res.code).toBe(2);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stderr).not.toMatch(ANSI);
    const lines = res.stdout.split('\n');
    const header = lines.find((l) => l.includes('CHECK'));
    expect(header).toMatch(/STATUS\s+CHECK\s+VALUE\s+MESSAGE/);
    for (const id of ['orders.freshness', 'orders.row_count', 'orders.nulls.customer_id', 'customers.row_count', 'customers.duplicates.id', 'broken.row_count']) {
      expect(res.stdout).toContain(id);
    }
    expect(lines.find((l) => l.includes('orders.freshness'))).toMatch(/^WARN\b/);
    expect(lines.find((l) => l.includes('broken.row_count'))).toMatch(/^ERROR\b/);
    expect(res.stdout).toMatch(/6 checks: 4 pass, 1 warn, 0 fail, 1 error/);
    expect(() => JSON.parse(res.stdout)).toThrow();
  });
});

describe('--config PATH from another working directory', () => {
  it('runs the project of that vigil.yaml and keeps the store next to it', async () => {
    const dir = await makeShop();
    const elsewhere = emptyDir();
    const res = await vigil(['--config', path.join(dir, 'vigil.yaml'), 'run', '--json', '--now', PASS_NOW], { cwd: elsewhere });
    expect(res.code, res.stderr).toBe(0);
    expect(parseRun(res).summary.pass).toBe(5);
    expect(existsSync(path.join(dir, '.vigil/vigil.duckdb'))).toBe(true);
    expect(existsSync(path.join(elsewhere, '.vigil'))).toBe(false);
  });

  it('works after the command name and as a relative path, for run and status', async () => {
    const dir = await makeShop();
    const elsewhere = emptyDir();
    const rel = path.relative(elsewhere, path.join(dir, 'vigil.yaml'));
    const run = await vigil(['run', '--config', rel, '--json', '--now', PASS_NOW], { cwd: elsewhere });
    expect(run.code, run.stderr).toBe(0);
    expect(parseRun(run).results).toHaveLength(5);
    const status = await vigil(['status', '--json', '--config', rel], { cwd: elsewhere });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { results: unknown[] }).results).toHaveLength(5);
    expect(existsSync(path.join(elsewhere, '.vigil'))).toBe(false);
  });

  it('a --config that does not exist exits 3', async () => {
    const elsewhere = emptyDir();
    const res = await vigil(['run', '--config', path.join(elsewhere, 'nope/vigil.yaml')], { cwd: elsewhere });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('vigil.yaml');
  });
});
