// vigil run's project cache (config/cache.ts): read back only while every input
// is byte-for-byte the same, identical to a fresh load, and never kept when it
// would freeze an error, the environment, a secret or the time.
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProjectCached, projectCacheFile } from '../src/config/cache.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, writeFile } from './helpers.js';

afterAll(cleanupProjects);

const ORDERS = `dataset: orders
source: ../data/orders.csv
owner: shop
upstream: [customers, unknown_upstream]
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { columns: [email], warn: 1%, fail: 5% }
`;
const CUSTOMERS = 'dataset: customers\nsource: ../data/customers.parquet\nchecks:\n  - freshness: { column: updated_at, warn_after: 2h }\n';
const ALERTS = `# webhook_url: \${SLACK_WEBHOOK_URL} (a reference in a comment reads nothing)
channels:
  - name: console
    type: file
    path: alerts.log
silences:
  - match: { dataset: orders }
    until: 2030-01-01T00:00:00Z
    reason: migration
`;

/** Every file and folder of the project last changed a minute ago: nothing was saved while loading. */
function settle(dir: string): void {
  const past = new Date(Date.now() - 60_000);
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.name === '.vigil') continue;
      const full = path.join(p, e.name);
      if (e.isDirectory()) walk(full);
      utimesSync(full, past, past);
    }
  };
  walk(dir);
  utimesSync(dir, past, past);
}

function project(): string {
  return settled({
    'vigil.yaml': 'checks: checks\ntimezone: Europe/Berlin\n',
    'checks/orders.yaml': ORDERS,
    'checks/sub/customers.yaml': CUSTOMERS,
    'alerts/alerts.yaml': ALERTS,
  });
}

function settled(files: Record<string, string>): string {
  const dir = makeProject(files);
  settle(dir);
  return dir;
}

const T0 = Date.parse('2026-11-21T12:00:00Z');
const load = (cwd: string, extra: { build?: string | null; now?: number } = {}) =>
  loadProjectCached({ cwd }, { build: extra.build === undefined ? 'build-1' : extra.build, now: () => extra.now ?? T0 });

describe('the project cache', () => {
  it('reads back exactly what loading the files gives, warnings included', async () => {
    const dir = project();
    const first = await load(dir);
    expect(first.cached).toBe(false);
    const second = await load(dir);
    expect(second.cached).toBe(true);
    const { cached: _, ...fromCache } = second;
    expect(fromCache).toStrictEqual(loadProject({ cwd: dir }));
    expect(fromCache.diagnostics.map((d) => d.message).join('\n')).toContain('unknown_upstream');
  });

  it('sees every change to its inputs: a check file edited, added, removed; vigil.yaml; an alert file; a folder that appears', async () => {
    const dir = project();
    await load(dir);
    const changes: Array<() => void> = [
      () => writeFile(dir, 'checks/orders.yaml', ORDERS.replace('fail: 5%', 'fail: 6%')),
      () => writeFile(dir, 'checks/sub/more.yaml', 'dataset: more\nsource: ../../data/m.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n'),
      () => rmSync(path.join(dir, 'checks/sub/more.yaml')),
      () => writeFile(dir, 'vigil.yaml', 'checks: checks\ntimezone: UTC\nalerts: [alerts, more-alerts]\n'),
      () => writeFile(dir, 'alerts/alerts.yaml', ALERTS.replace('reason: migration', 'reason: moved')),
      () => writeFile(dir, 'more-alerts/a.yaml', 'channels:\n  - name: second\n    type: file\n    path: alerts.log\n'),
    ];
    for (const change of changes) {
      change();
      settle(dir);
      const after = await load(dir);
      expect(after.cached, String(change)).toBe(false);
      const { cached: _, ...fresh } = after;
      expect(fresh).toStrictEqual(loadProject({ cwd: dir }));
      expect((await load(dir)).cached).toBe(true);
    }
    const last = await load(dir);
    expect(last.project.alerts.channels.map((c) => c.name)).toEqual(['console', 'second']);
    expect(last.project.config.timezone).toBe('UTC');
  });

  it('is not kept for a project with errors, ${ENV}, a literal secret, or another build', async () => {
    const dir = project();
    const file = projectCacheFile(path.join(dir, 'vigil.yaml'));
    writeFile(dir, 'checks/bad.yaml', 'dataset: bad\nsource: x.csv\nchecks:\n  - row_cont: {}\n');
    settle(dir);
    expect((await load(dir)).diagnostics.some((d) => d.severity === 'error')).toBe(true);
    expect(existsSync(file)).toBe(false);
    rmSync(path.join(dir, 'checks/bad.yaml'));

    writeFile(dir, 'checks/env.yaml', 'dataset: env\nsource: ${DATA_DIR}/e.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n');
    settle(dir);
    process.env.DATA_DIR = '/data/one';
    try {
      await load(dir);
      expect(existsSync(file)).toBe(false);
    } finally {
      delete process.env.DATA_DIR;
    }
    rmSync(path.join(dir, 'checks/env.yaml'));

    writeFile(dir, 'alerts/slack.yaml', 'channels:\n  - name: slack\n    type: slack\n    webhook_url: https://hooks.slack.com/services/T000/B000/abcdefghijkl\n');
    settle(dir);
    await load(dir);
    expect(existsSync(file)).toBe(false);
    rmSync(path.join(dir, 'alerts/slack.yaml'));

    writeFile(dir, 'vigil.yaml', 'checks: checks\ndashboard: { token: s3cret-token }\n');
    settle(dir);
    await load(dir);
    expect(existsSync(file)).toBe(false);
    writeFile(dir, 'vigil.yaml', 'checks: checks\n');
    settle(dir);

    await load(dir);
    expect(existsSync(file)).toBe(true);
    expect((await load(dir, { build: 'build-2' })).cached).toBe(false);
    expect((await load(dir, { build: null })).cached).toBe(false); // sources/tsc output: no build id, no cache
  });

  it('a silence that ends makes the kept project stale (its warning depends on the time)', async () => {
    const dir = project();
    writeFile(dir, 'alerts/alerts.yaml', ALERTS.replace('2030-01-01T00:00:00Z', '2026-11-21T13:00:00Z'));
    settle(dir);
    await load(dir);
    expect((await load(dir, { now: T0 + 30 * 60_000 })).cached).toBe(true);
    const later = await load(dir, { now: Date.parse('2026-11-21T13:00:01Z') });
    expect(later.cached).toBe(false);
  });

  it('nothing is kept while a file is fresh enough to have been saved during the load', async () => {
    const dir = project();
    writeFile(dir, 'checks/orders.yaml', ORDERS.replace('fail: 5%', 'fail: 7%')); // saved just now
    await load(dir);
    expect(existsSync(projectCacheFile(path.join(dir, 'vigil.yaml')))).toBe(false);
    settle(dir);
    await load(dir);
    expect((await load(dir)).cached).toBe(true);
  });

  it('an input that cannot be read is a miss, and the loader reports it', async () => {
    const dir = project();
    await load(dir);
    symlinkSync(path.join(dir, 'nowhere.yaml'), path.join(dir, 'checks/dangling.yaml'));
    const after = await load(dir);
    expect(after.cached).toBe(false);
    expect(after.diagnostics.some((d) => d.severity === 'error' && d.file.endsWith('dangling.yaml'))).toBe(true);
  });

  it('a damaged cache file is ignored and replaced', async () => {
    const dir = project();
    await load(dir);
    const file = projectCacheFile(path.join(dir, 'vigil.yaml'));
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
    expect((await load(dir)).cached).toBe(false);
    expect((await load(dir)).cached).toBe(true);
  });
});
