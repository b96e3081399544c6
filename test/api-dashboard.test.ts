// The dashboard API (SPEC section 6) on a store seeded by real runs at chosen
// clock times (--now): every endpoint's shape, failing-first order, freshness
// against its thresholds, the schema change log, history at each resolution
// and its boundaries, lineage with statuses and what is at risk, SLO numbers,
// 404s — and a store written by an older vigil upgraded with its read models.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CheckHistory, DatasetDetail, DatasetsResponse, LineageResponse, SlosResponse,
} from '../src/server/api-types.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { cleanupProjects, makeProject, queryDb, runProject, writeData, writeFile } from './helpers.js';
import { http, startApp, type TestApp } from './api-helpers.js';

/** Express's default ETag (`etag fn` 'weak'): W/"<length in hex>-<first 27 characters of the base64 SHA-1>". */
const weakEtag = (body: Buffer) => `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;

const U = Date.parse('2026-03-01T00:00:00Z');
const H = 3600_000;
const at = (hours: number) => new Date(U + hours * H);

const ORDERS = `dataset: orders
description: "Orders <b>bold</b> & co"
source: ../data/orders.csv
owner: commerce
tags: [tier-1, finance]
runbook: https://runbooks.example.com/orders
upstream: [customers, { name: raw_events, external: true, owner: events-team, description: "Kafka topic, exported hourly" }, legacy_feed]
slo:
  window: 1d
  objectives:
    - check: freshness
      target: 99%
    - check: row_count
      target: 100%
checks:
  - freshness: { column: updated_at, warn_after: 2h, fail_after: 6h }
  - row_count: { fail: { min: 1 } }
  - nulls: { column: amount, fail: 0 }
  - schema: { drift: warn }
`;

let dir: string;
let app: TestApp;

beforeAll(async () => {
  dir = makeProject({
    'vigil.yaml': 'dashboard: { port: 0 }\nconnections:\n  wh: { type: postgres, url: "postgres://vigil:SECRETPW-77@db.internal/warehouse" }\n',
    'checks/orders.yaml': ORDERS,
    'checks/customers.yaml': 'dataset: customers\nsource: ../data/customers.csv\nowner: crm\ntags: [tier-2]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
    'checks/payments.yaml': 'dataset: payments\nsource: ../data/payments.csv\nupstream: [orders]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/customers.csv', 'select range as id from range(5)');
  await writeData(dir, 'data/orders.csv', `select range as id, 1.5 + range as amount, TIMESTAMP '2026-03-01 00:00:00' as updated_at from range(10)`);
  const run = (hours: number) => runProject(dir, { now: at(hours), selectors: ['orders', 'customers'] });
  await run(1); // freshness 1h: pass
  await run(3); // 3h: warn
  await run(7); // 7h: fail
  // amount retyped to text, a column added: a schema change on the next run
  await writeData(dir, 'data/orders.csv', `select range as id, 'x' || range as amount, 'web' as channel, TIMESTAMP '2026-03-01 00:00:00' as updated_at from range(10)`);
  await run(8);
  await run(8.5);
  // an invalid check file: a config problem, its dataset not served
  writeFile(dir, 'checks/broken.yaml', 'dataset: broken\nsource: x.csv\nchecks:\n  - row_count: { fial: 1 }\n');
  app = await startApp(dir, { now: new Date(U + 8 * H + 40 * 60_000) });
}, 120_000);

afterAll(async () => {
  await app?.close();
  cleanupProjects();
});

describe('GET /api/datasets', () => {
  it('every configured dataset, failing first, never-run ones as unknown; config problems as a list', async () => {
    const res = await http<DatasetsResponse>(app.url, '/api/datasets');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body.datasets.map((d) => [d.name, d.status])).toEqual([['orders', 'fail'], ['payments', 'unknown'], ['customers', 'pass']]);
    expect(res.body.config_problems.some((p) => p.file.endsWith('broken.yaml') && p.severity === 'error' && /fial/.test(p.message))).toBe(true);
    expect(Date.parse(res.body.generated_at)).toBe(U + 8 * H + 40 * 60_000);
  });

  it('a row: owner, tags, runbook, file, counts, last run, freshness against its thresholds, SLOs, lineage, incidents', async () => {
    const orders = (await http<DatasetsResponse>(app.url, '/api/datasets')).body.datasets.find((d) => d.name === 'orders');
    expect(orders).toMatchObject({
      description: 'Orders <b>bold</b> & co', owner: 'commerce', tags: ['tier-1', 'finance'], runbook: 'https://runbooks.example.com/orders',
      file: 'checks/orders.yaml', upstream: ['customers', 'raw_events', 'legacy_feed'], downstream: ['payments'], open_incidents: 0,
      counts: { pass: 3, warn: 0, fail: 1, error: 0 },
      freshness: { check: 'orders.freshness', status: 'fail', age_seconds: 8.5 * 3600, warn_after_seconds: 7200, fail_after_seconds: 21600, evaluated_at: at(8.5).toISOString() },
    });
    expect(orders?.last_run_at).not.toBeNull();
    expect(orders?.slos).toEqual([
      // 5 runs of a 99% target: 100 are needed before its budget allows one failing run.
      { check: 'orders.freshness', target: 99, window_seconds: 86400, attainment: 40, budget_remaining: -5900, data: 'too_few_runs', runs_needed: 100, runs: 5 },
      { check: 'orders.row_count', target: 100, window_seconds: 86400, attainment: 100, budget_remaining: 100, data: 'enough', runs_needed: null, runs: 5 },
    ]);
    const payments = (await http<DatasetsResponse>(app.url, '/api/datasets')).body.datasets.find((d) => d.name === 'payments');
    expect(payments).toMatchObject({ status: 'unknown', last_run_at: null, freshness: null, counts: { pass: 0, warn: 0, fail: 0, error: 0 }, slos: [] });
  });
});

describe('GET /api/datasets/:name', () => {
  it('checks with their latest result, schema and its change log, recent runs, neighbours with status', async () => {
    const res = await http<DatasetDetail>(app.url, '/api/datasets/orders');
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.source).toBe('../data/orders.csv');
    expect(d.checks.map((c) => [c.id, c.status])).toEqual([
      ['orders.freshness', 'fail'], ['orders.row_count', 'pass'], ['orders.nulls.amount', 'pass'], ['orders.schema', 'pass'],
    ]);
    const fresh = d.checks[0];
    expect(fresh).toMatchObject({ name: 'freshness', kind: 'freshness', value: 30600, unit: 'seconds', thresholds: { warn_after: '2h', fail_after: '6h' }, runbook: 'https://runbooks.example.com/orders' });
    expect(fresh?.message).toMatch(/fail after 6h/);
    expect(d.schema?.map((c) => c.name)).toEqual(['id', 'amount', 'channel', 'updated_at']);
    expect(d.schema_changes).toHaveLength(1);
    expect(d.schema_changes[0]).toMatchObject({
      added: [{ name: 'channel', type: 'VARCHAR' }], removed: [], retyped: [{ column: 'amount', from: 'DOUBLE', to: 'VARCHAR' }],
    });
    expect(d.recent_runs.map((r) => r.status)).toEqual(['fail', 'fail', 'fail', 'warn', 'pass']);
    expect(d.recent_runs[0]).toMatchObject({ error: null });
    expect(d.recent_runs[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    // Only a dataset of the project has a page: the kind tells the page which names to link.
    expect(d.upstream_status).toEqual([
      { name: 'customers', status: 'pass', kind: 'dataset' }, { name: 'raw_events', status: 'unknown', kind: 'external' },
      { name: 'legacy_feed', status: 'unknown', kind: 'undeclared' },
    ]);
    expect(d.downstream_status).toEqual([{ name: 'payments', status: 'unknown', kind: 'dataset' }]);
  });

  it('the schema check warned once, on the run that saw the change', async () => {
    const h = (await http<CheckHistory>(app.url, '/api/checks/orders.schema/history?days=2')).body;
    expect(h.points.map((p) => p.status)).toEqual(['pass', 'pass', 'pass', 'warn', 'pass']);
  });

  it('a dataset never run: its checks are unknown, no schema, no runs', async () => {
    const d = (await http<DatasetDetail>(app.url, '/api/datasets/payments')).body;
    expect(d.checks).toEqual([expect.objectContaining({ id: 'payments.row_count', status: 'unknown', value: null, message: null, evaluated_at: null, thresholds: { fail: { min: 1 } } })]);
    expect(d.schema).toBeNull();
    expect(d.schema_changes).toEqual([]);
    expect(d.recent_runs).toEqual([]);
    expect(d.upstream_status).toEqual([{ name: 'orders', status: 'fail', kind: 'dataset' }]);
  });

  it('404 with the known names for an unknown dataset (and for a dataset only in an invalid file)', async () => {
    for (const name of ['nope', 'broken']) {
      const res = await http<{ error: string; datasets: string[] }>(app.url, `/api/datasets/${name}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(name);
      expect(res.body.datasets).toEqual(['customers', 'orders', 'payments']);
    }
  });
});

describe('GET /api/checks/:id/history', () => {
  it('up to 2 days: every run, oldest first', async () => {
    const h = (await http<CheckHistory>(app.url, '/api/checks/orders.freshness/history?days=1')).body;
    expect(h).toMatchObject({ check: 'orders.freshness', dataset: 'orders', kind: 'freshness', unit: 'seconds', resolution: 'run', thresholds: { warn_after: '2h', fail_after: '6h' } });
    expect(h.points.map((p) => [p.at, p.value, p.status, p.runs])).toEqual([
      [at(1).toISOString(), 3600, 'pass', 1], [at(3).toISOString(), 10800, 'warn', 1], [at(7).toISOString(), 25200, 'fail', 1],
      [at(8).toISOString(), 28800, 'fail', 1], [at(8.5).toISOString(), 30600, 'fail', 1],
    ]);
    expect(Date.parse(h.to) - Date.parse(h.from)).toBe(86_400_000);
  });

  it('3 to 89 days: hourly buckets with last, min, max, worst status and runs', async () => {
    for (const days of [3, 30, 89]) {
      const h = (await http<CheckHistory>(app.url, `/api/checks/orders.freshness/history?days=${days}`)).body;
      expect(h.resolution, `days=${days}`).toBe('hour');
      expect(h.points).toEqual([
        { at: at(1).toISOString(), value: 3600, min: 3600, max: 3600, status: 'pass', runs: 1 },
        { at: at(3).toISOString(), value: 10800, min: 10800, max: 10800, status: 'warn', runs: 1 },
        { at: at(7).toISOString(), value: 25200, min: 25200, max: 25200, status: 'fail', runs: 1 },
        { at: at(8).toISOString(), value: 30600, min: 28800, max: 30600, status: 'fail', runs: 2 },
      ]);
    }
  });

  it('90 days and more: daily buckets; the default is 30 days', async () => {
    const h = (await http<CheckHistory>(app.url, '/api/checks/orders.freshness/history?days=90')).body;
    expect(h.resolution).toBe('day');
    expect(h.points).toEqual([{ at: at(0).toISOString(), value: 30600, min: 3600, max: 30600, status: 'fail', runs: 5 }]);
    const def = (await http<CheckHistory>(app.url, '/api/checks/orders.freshness/history')).body;
    expect(def.resolution).toBe('hour');
    expect(Date.parse(def.to) - Date.parse(def.from)).toBe(30 * 86_400_000);
  });

  it('the window ends at the clock: runs before it are left out', async () => {
    // 2 days back from 08:40 on day 0 still holds them all; the rollups of a later clock would not.
    const late = await startApp(dir, { now: new Date(U + 30 * 86_400_000) });
    try {
      const h = (await http<CheckHistory>(late.url, '/api/checks/orders.freshness/history?days=29')).body;
      expect(h.points).toEqual([]);
      const h2 = (await http<CheckHistory>(late.url, '/api/checks/orders.freshness/history?days=31')).body;
      expect(h2.points).toHaveLength(4);
    } finally {
      await late.close();
    }
  });

  it('400 for a bad days, 404 for an unknown check', async () => {
    for (const q of ['0', '401', '2.5', 'abc']) {
      const res = await http<{ error: string }>(app.url, `/api/checks/orders.freshness/history?days=${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error).toMatch(/days/);
    }
    const res = await http<{ error: string }>(app.url, '/api/checks/orders.nope/history');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/orders\.nope/);
  });
});

describe('SLO summaries (the overview and the dataset page)', () => {
  it('give the attainment and budget left that /api/slos computes from the buckets, at clocks on and around the window\'s edges', async () => {
    // Buckets at hours 1, 3, 7 and 8; the 1-day window counts buckets starting after now − 25 h, up to now.
    const clocks = [0.5, 1, 2, 8 + 40 / 60, 25, 25.5, 26, 32, 33, 34].map((h) => new Date(U + h * H));
    let compared = 0;
    for (const now of clocks) {
      const other = await startApp(dir, { now });
      try {
        const { slos } = (await http<SlosResponse>(other.url, '/api/slos')).body;
        const want = slos.map((s) => ({
          check: s.check_id, target: s.target, window_seconds: s.window_seconds, attainment: s.attainment, budget_remaining: s.budget_remaining,
          data: s.data, runs_needed: s.runs_needed, runs: s.runs_in_window,
        }));
        const overview = (await http<DatasetsResponse>(other.url, '/api/datasets')).body.datasets.find((d) => d.name === 'orders');
        const page = (await http<DatasetDetail>(other.url, '/api/datasets/orders')).body;
        expect(overview?.slos, now.toISOString()).toEqual(want);
        expect(page.slos, now.toISOString()).toEqual(want);
        if (want.some((w) => w.attainment !== null)) compared++;
      } finally {
        await other.close();
      }
    }
    expect(compared).toBeGreaterThanOrEqual(6);
  });
});

describe('GET /api/lineage', () => {
  it('nodes with status, owner and what each puts at risk; external sources and undeclared upstreams marked; edges upstream → downstream', async () => {
    const l = (await http<LineageResponse>(app.url, '/api/lineage')).body;
    expect(l.nodes).toEqual([
      { name: 'customers', external: false, kind: 'dataset', status: 'pass', owner: 'crm', description: null, at_risk: ['orders', 'payments'] },
      { name: 'orders', external: false, kind: 'dataset', status: 'fail', owner: 'commerce', description: null, at_risk: ['payments'] },
      { name: 'payments', external: false, kind: 'dataset', status: 'unknown', owner: null, description: null, at_risk: [] },
      { name: 'legacy_feed', external: true, kind: 'undeclared', status: 'unknown', owner: null, description: null, at_risk: ['orders', 'payments'] },
      { name: 'raw_events', external: true, kind: 'external', status: 'unknown', owner: 'events-team', description: 'Kafka topic, exported hourly', at_risk: ['orders', 'payments'] },
    ]);
    expect(l.edges).toEqual(expect.arrayContaining([
      { from: 'customers', to: 'orders' }, { from: 'raw_events', to: 'orders' }, { from: 'legacy_feed', to: 'orders' }, { from: 'orders', to: 'payments' },
    ]));
    expect(l.edges).toHaveLength(4);
  });

  it('a declared external source is no config problem; an undeclared upstream is one warning that says how to declare it', async () => {
    const { config_problems: problems } = (await http<DatasetsResponse>(app.url, '/api/datasets')).body;
    const lineage = problems.filter((p) => /upstream/.test(p.message));
    expect(lineage).toEqual([expect.objectContaining({ severity: 'warning', file: expect.stringMatching(/checks\/orders\.yaml$/) })]);
    expect(lineage[0]?.message).toMatch(/upstream legacy_feed of orders is not a dataset in this project — if it is a source outside this project, write \{ name: legacy_feed, external: true \}/);
  });
});

describe('GET /api/slos', () => {
  it('attainment, budget (percent, runs, time), burn rates over 1h/6h/24h/3d and a burn-down', async () => {
    const { slos } = (await http<SlosResponse>(app.url, '/api/slos')).body;
    expect(slos.map((s) => s.check_id)).toEqual(['orders.freshness', 'orders.row_count']);
    const f = slos[0];
    expect(f).toMatchObject({
      dataset: 'orders', target: 99, window_seconds: 86400, runs_in_window: 5, failing_runs: 3,
      attainment: 40, budget_remaining: -5900, budget_runs: 0.05, zero_budget: false, budget_exhausted: true,
      // 1h: the 07:00 and 08:00 buckets (3 of 3 failing); 6h: 03:00 to 08:00 (3 of 4); 24h and 3d: all 5 (3 failing)
      burn_rates: { '1h': 100, '6h': 75, '24h': 60, '3d': 60 },
    });
    expect(f?.budget_remaining_seconds).toBeCloseTo(-59 * 0.01 * 86400, 3);
    expect(f?.burndown).toEqual([
      { at: at(1).toISOString(), budget_remaining: 100 }, { at: at(3).toISOString(), budget_remaining: 100 },
      { at: at(7).toISOString(), budget_remaining: -1900 }, { at: at(8).toISOString(), budget_remaining: -5900 },
    ]);
    expect(slos[1]).toMatchObject({
      target: 100, attainment: 100, budget_remaining: 100, zero_budget: true, budget_exhausted: false,
      burn_rates: { '1h': 0, '6h': 0, '24h': 0, '3d': 0 }, budget_remaining_seconds: 0,
    });
  });

  it('with fewer runs than the budget needs: a not-enough-data state, clamped figures to show, and the burn in words', async () => {
    const { slos } = (await http<SlosResponse>(app.url, '/api/slos')).body;
    const f = slos[0];
    expect(f).toMatchObject({ data: 'too_few_runs', runs_needed: 100, runs: 5 });
    // The raw figures stay what they are (−5900 %, minus 14 h); what is shown stops at −100 % and at no time left.
    expect(f?.shown).toEqual({ budget_remaining: -100, budget_remaining_seconds: 0 });
    expect(f?.burn_words['1h']).toBe('3 of 3 runs failed in the last hour: the budget burns 100× as fast as the 99% target allows — at that pace a whole 1d budget is spent in 14m 24s');
    expect(f?.burn_words['6h']).toBe('3 of 4 runs failed in the last 6 hours: the budget burns 75× as fast as the 99% target allows — at that pace a whole 1d budget is spent in 19m 12s');
    expect(slos[1]?.burn_words['24h']).toBe('0 of 5 runs failed in the last 24 hours: no budget spent');
    expect(slos[1]).toMatchObject({ data: 'enough', runs_needed: null, shown: { budget_remaining: 100, budget_remaining_seconds: 0 } });
  });
});

describe('cached bodies', () => {
  it('go out as express would send them (type, length, weak ETag), the same bytes again from the cache, and a matching If-None-Match is answered 304', async () => {
    for (const route of ['/api/datasets', '/api/datasets/orders', '/api/checks/orders.freshness/history?days=30', '/api/lineage', '/api/slos']) {
      const first = await http(app.url, route);
      const again = await http(app.url, route);
      for (const res of [first, again]) {
        expect(res.status, route).toBe(200);
        expect(res.headers.get('content-type'), route).toBe('application/json; charset=utf-8');
        expect(res.headers.get('content-length'), route).toBe(String(Buffer.byteLength(res.text)));
        // A history body's hash is of what it is made of (recent-history.test.ts), not of its bytes; the form is express's.
        if (route.includes('/history')) expect(res.headers.get('etag'), route).toMatch(new RegExp(`^W/"${Buffer.byteLength(res.text).toString(16)}-[A-Za-z0-9+/]{27}"$`));
        else expect(res.headers.get('etag'), route).toBe(weakEtag(Buffer.from(res.text)));
      }
      expect(again.text, route).toBe(first.text);
      // (fetch adds Cache-Control: no-cache to a conditional request unless it has one, and express then never answers 304)
      const unchanged = await http(app.url, route, { headers: { 'if-none-match': first.headers.get('etag') ?? '', 'cache-control': 'max-age=0' } });
      expect(unchanged.status, route).toBe(304);
      expect(unchanged.text, route).toBe('');
    }
  });
});

describe('secrets', () => {
  it('no connection URL or token in any response', async () => {
    const routes = ['/api/datasets', '/api/datasets/orders', '/api/datasets/payments', '/api/checks/orders.freshness/history?days=1',
      '/api/lineage', '/api/slos', '/api/status', '/api/runs', '/healthz', '/metrics'];
    for (const route of routes) {
      const res = await http(app.url, route);
      expect(res.status, route).toBe(200);
      expect(res.text, route).not.toMatch(/SECRETPW|postgres:\/\/|internal-token-for-tests/);
    }
  });
});

describe('a store written before the read models (schema version 2)', () => {
  it('is upgraded once and its latest results, rollups and run summaries are backfilled from the history', async () => {
    const file = path.join(makeProject(), 'old.duckdb');
    const inst = await DuckDBInstance.create(file);
    const conn = await inst.connect();
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) for (const sql of m.sql) await conn.run(sql);
    await conn.run(`CREATE TABLE vigil_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL); INSERT INTO vigil_meta VALUES ('schema_version', '2')`);
    await conn.run(`INSERT INTO runs VALUES ('r1', '2026-03-01 01:00:00+00', '2026-03-01 01:00:05+00', 'completed', 'cli', '[]', NULL),
      ('r2', '2026-03-01 01:30:00+00', '2026-03-01 01:30:05+00', 'completed', 'cli', '[]', NULL)`);
    await conn.run(`INSERT INTO dataset_runs VALUES ('r1', 'a', '2026-03-01 01:00:00+00', '2026-03-01 01:00:05+00', 5000, NULL, '[]'),
      ('r2', 'a', '2026-03-01 01:30:00+00', '2026-03-01 01:30:05+00', 5000, NULL, '[]')`);
    await conn.run(`INSERT INTO check_results VALUES
      ('r1', 'a.row_count', 'a', 'row_count', 'row_count', 'pass', 10, 'rows', 'ok', NULL, NULL, '[]', '{}', '{}', '2026-03-01 01:00:01+00', 1),
      ('r2', 'a.row_count', 'a', 'row_count', 'row_count', 'fail', 0, 'rows', 'empty', NULL, NULL, '[]', '{}', '{}', '2026-03-01 01:30:01+00', 1)`);
    conn.closeSync();
    inst.closeSync();

    const store = await DuckDBStore.open(file);
    try {
      expect((await store.latestStates()).map((r) => [r.check, r.status, r.value, r.run_id])).toEqual([['a.row_count', 'fail', 0, 'r2']]);
      const hours = (await store.checkHistory('a.row_count', at(0), at(2), 'hour')).points.rows();
      expect(hours).toEqual([{ at: at(1).toISOString(), value: 0, min: 0, max: 10, worst: 2, runs: 2, failing: 1 }]);
      expect((await store.recentDatasetRuns('a', 10)).map((r) => [r.run_id, r.status])).toEqual([['r2', 'fail'], ['r1', 'pass']]);
    } finally {
      await store.close();
    }
    expect(await queryDb(file, `select value from vigil_meta where key = 'schema_version'`)).toEqual([{ value: String(MIGRATIONS.at(-1)?.version) }]);
    expect((await queryDb(file, 'select version from vigil_migrations order by 1')).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // Opening again applies nothing twice.
    await (await DuckDBStore.open(file)).close();
    expect(await queryDb(file, 'select count(*)::INTEGER as n from check_rollups_hour')).toEqual([{ n: 1 }]);
  });

  it('a migration numbered below the store\'s version but not yet applied (a merged branch) still runs', async () => {
    const file = path.join(makeProject(), 'gap.duckdb');
    await (await DuckDBStore.open(file)).close();
    // Pretend migration 2 was never applied here although the version is past it.
    await queryDb(file, 'DROP TABLE skipped_ticks; DELETE FROM vigil_migrations WHERE version = 2', { write: true });
    await (await DuckDBStore.open(file)).close();
    expect(await queryDb(file, 'select count(*)::INTEGER as n from skipped_ticks')).toEqual([{ n: 0 }]);
  });
});
