// npm run bench:dashboard — the dashboard API on a year of history.
// Seeds a store with hourly results of N datasets × 10 checks (DuckDB SQL,
// range(), no row-by-row inserts) as a vigil of schema version 2 would have
// written it, opens it with this vigil (migrations 4 to 7 backfill the read models),
// starts the real daemon on port 0, and measures p50/p95 under 20 concurrent
// clients (autocannon) of GET /api/datasets, /api/datasets/:name and a 30-day
// and a 7-day check history, next to a bare express app serving the same bodies from
// memory in the same process. Then the same history requests on a 1-week
// store for the history-length ratio: the 7-day one (the same points from
// both stores) and the 30-day one (30 days of points against the 7 a 1-week
// store has). Options: --datasets N (200) --days N (365)
// --duration S (10) --quick (20 datasets, 30 days, 3 s) --fresh (seed again even
// when a kept store matches: see seed()).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import autocannon from 'autocannon';
import express from 'express';
import { startDaemon } from '../src/server/daemon.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { createLogger } from '../src/util/log.js';

const args = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const FRESH = args.includes('--fresh');
const DATASETS = flag('datasets', quick ? 20 : 200);
const DAYS = flag('days', quick ? 30 : 365);
const DURATION = flag('duration', quick ? 3 : 10);
const CONNECTIONS = 20;
const CHECKS = ['freshness', 'row_count', 'nulls.a', 'nulls.b', 'nulls.c', 'duplicates.id', 'schema', 'q1', 'q2', 'q3'];
const OUT = path.resolve('bench-data', 'dashboard');

function checkFile(i: number): string {
  return `dataset: ds_${i}
owner: team-${i % 7}
tags: [tier-${(i % 3) + 1}]
runbook: https://runbooks.example.com/ds_${i}
source: ../data/none.csv
${i > 0 ? `upstream: [ds_${Math.floor((i - 1) / 3)}]\n` : ''}slo:
  window: 28d
  objectives:
    - check: freshness
      target: 99.5%
    - check: row_count
      target: 99%
checks:
  - freshness: { column: t, warn_after: 2h, fail_after: 6h }
  - row_count: { fail: { min: 1 } }
  - nulls: { columns: [a, b, c], fail: 0 }
  - duplicates: { keys: [id], fail: 0 }
  - schema: { drift: warn }
  - sql: { name: q1, query: "select 1", fail: 0 }
  - sql: { name: q2, query: "select 1", fail: 0 }
  - sql: { name: q3, query: "select 1", fail: 0 }
`;
}

const HOUR_MS = 3_600_000;

/** The schema-2 store's contents: `hours` hourly runs of `datasets` datasets ending at `end` (an SQL TIMESTAMPTZ literal). */
function seedSql(datasets: number, hours: number, end: string): string[] {
  const names = `['${CHECKS.join("','")}']`;
  return [
    ...MIGRATIONS.filter((x) => x.version <= 2).flatMap((m) => m.sql),
    `CREATE TABLE vigil_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL); INSERT INTO vigil_meta VALUES ('schema_version', '2')`,
    `INSERT INTO runs SELECT 'run-' || h, ${end} - to_hours(${hours} - h), ${end} - to_hours(${hours} - h) + INTERVAL 20 SECOND,
    'completed', 'schedule', '[]', '{"pass":0,"warn":0,"fail":0,"error":0}' FROM range(${hours}) t(h)`,
    `INSERT INTO dataset_runs SELECT 'run-' || h, 'ds_' || d, ${end} - to_hours(${hours} - h), ${end} - to_hours(${hours} - h) + INTERVAL 2 SECOND,
    2000, NULL, '[]' FROM range(${hours}) t(h), range(${datasets}) u(d) ORDER BY h, d`,
    // Mostly passing; a few percent warn or fail, clustered so SLOs and charts have something to show.
    `INSERT INTO check_results SELECT 'run-' || h, 'ds_' || d || '.' || ${names}[k + 1], 'ds_' || d,
      CASE WHEN k = 0 THEN 'freshness' WHEN k = 1 THEN 'row_count' WHEN k < 5 THEN 'nulls' WHEN k = 5 THEN 'duplicates' WHEN k = 6 THEN 'schema' ELSE 'sql' END,
      ${names}[k + 1],
      CASE WHEN hash(h // 6, d, k) % 100 < 2 THEN 'fail' WHEN hash(h // 6, d, k) % 100 < 5 THEN 'warn' ELSE 'pass' END,
      CASE WHEN k = 0 THEN (h % 6) * 1800 + d ELSE (hash(h, d, k) % 1000)::DOUBLE END,
      CASE WHEN k = 0 THEN 'seconds' ELSE 'rows' END, 'seeded result', 'https://runbooks.example.com/ds_' || d, 'team-' || (d % 7),
      '[]', '{"fail":0}', '{}', ${end} - to_hours(${hours} - h) + INTERVAL 1 SECOND, 5
    FROM range(${hours}) t(h), range(${datasets}) u(d), range(${CHECKS.length}) v(k) ORDER BY h, d, k`,
    `INSERT INTO schema_snapshots SELECT 'ds_' || d, 'run-0', ${end} - to_hours(${hours}), '[{"name":"id","type":"BIGINT"},{"name":"a","type":"VARCHAR"}]' FROM range(${datasets}) u(d)`,
  ];
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** What a kept store was made from: reused only when all of it matches. */
interface SeedInfo {
  /** the seed's statements and check files (its end time left out) */
  seed_key: string;
  /** the migrations applied after the seed (their SQL) */
  store_key: string;
  /** the clock at seeding: the daemon runs at this time, so a kept store answers exactly the windows it answered then */
  seeded_at: string;
  rows: number;
  seed_ms: number;
  backfill_ms: number;
}

/** Kept stores older than this are seeded again (older, the dataset page's recent-runs read would reach past its one-week fast path). */
const REUSE_MAX_AGE_MS = 6 * 24 * HOUR_MS;

/**
 * A project folder and a store holding `days` of hourly runs ending at the hour of `seeded_at`.
 * The migrated store is kept (with seed.json describing it) and reused by the next run with the
 * same datasets, days, seed and migrations, unless --fresh or older than REUSE_MAX_AGE_MS.
 */
async function seed(name: string, datasets: number, days: number): Promise<SeedInfo & { dir: string; reused: boolean }> {
  const dir = path.join(OUT, name);
  const file = path.join(dir, 'store.duckdb');
  const infoFile = path.join(dir, 'seed.json');
  const hours = days * 24;
  const seedKey = digest(JSON.stringify([seedSql(datasets, hours, 'END'), Array.from({ length: datasets }, (_, i) => checkFile(i))]));
  const storeKey = digest(JSON.stringify([seedKey, MIGRATIONS]));
  if (!FRESH && existsSync(infoFile) && existsSync(file)) {
    const kept = JSON.parse(readFileSync(infoFile, 'utf8')) as SeedInfo;
    if (kept.seed_key === seedKey && kept.store_key === storeKey && Date.now() - Date.parse(kept.seeded_at) < REUSE_MAX_AGE_MS) {
      return { ...kept, dir, reused: true };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'checks'), { recursive: true });
  writeFileSync(path.join(dir, 'vigil.yaml'), 'schedule: "0 0 1 1 *"\ndashboard: { port: 0 }\nstore: store.duckdb\n');
  for (let i = 0; i < datasets; i++) writeFileSync(path.join(dir, 'checks', `ds_${i}.yaml`), checkFile(i));
  const seededAt = new Date();
  const end = `'${new Date(Math.floor(seededAt.getTime() / HOUR_MS) * HOUR_MS).toISOString()}'::TIMESTAMPTZ`;
  const t0 = Date.now();
  const inst = await DuckDBInstance.create(file, { threads: '2' });
  const c = await inst.connect();
  for (const sql of seedSql(datasets, hours, end)) await c.run(sql);
  const rows = Number((await c.runAndReadAll('SELECT count(*) FROM check_results')).getRows()[0]?.[0]);
  c.closeSync();
  inst.closeSync();
  const seedMs = Date.now() - t0;
  const t1 = Date.now();
  await (await DuckDBStore.open(file)).close(); // migrations 4 to 7: backfill of latest results, rollups, run summaries, recent hours and windows
  const info: SeedInfo = { seed_key: seedKey, store_key: storeKey, seeded_at: seededAt.toISOString(), rows, seed_ms: seedMs, backfill_ms: Date.now() - t1 };
  writeFileSync(infoFile, JSON.stringify(info, null, 2));
  return { ...info, dir, reused: false };
}

interface Measured { p50: number; p95: number; rps: number; requests: number; errors: number }

/** 20 clients for DURATION seconds, each request the next of `paths`. */
async function measure(base: string, paths: string[]): Promise<Measured> {
  let i = 0;
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon({
      url: base, connections: CONNECTIONS, duration: DURATION,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] as string }) }],
    }, (err, res) => (err ? reject(err) : resolve(res)));
    inst.on('response', (_client, _status, _bytes, ms) => { times.push(ms); });
  });
  times.sort((a, b) => a - b);
  const q = (p: number) => times.length ? (times[Math.min(times.length - 1, Math.floor(p * times.length))] as number) : NaN;
  return { p50: round(q(0.5)), p95: round(q(0.95)), rps: Math.round(result.requests.average), requests: times.length, errors: result.errors + result.non2xx };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The same bodies from memory: the floor any server on this machine pays for HTTP and JSON bytes. */
async function floorServer(bodies: Map<string, string>): Promise<{ url: string; server: Server }> {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res) => {
    const body = bodies.get(req.url);
    if (body === undefined) { res.status(404).end(); return; }
    res.type('application/json').send(body);
  });
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function bodiesOf(base: string, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of paths) {
    const res = await fetch(`${base}${p}`);
    if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    out.set(p, await res.text());
  }
  return out;
}

async function timed(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  await res.text();
  return round(performance.now() - t);
}

async function benchStore(label: string, days: number, endpoints: 'all' | 'history') {
  process.stdout.write(`seeding ${label}: ${DATASETS} datasets × ${CHECKS.length} checks × ${days * 24} hourly runs…\n`);
  const s = await seed(`${DATASETS}x${label}`, DATASETS, days);
  process.stdout.write(`  ${s.rows.toLocaleString('en-US')} results in ${(s.seed_ms / 1000).toFixed(1)} s; migrations 4–${SCHEMA_VERSION} backfill ${(s.backfill_ms / 1000).toFixed(1)} s`
    + `${s.reused ? ` (kept store seeded at ${s.seeded_at}, reused; the daemon's clock is set to that time; --fresh seeds again)` : ''}\n`);
  // The windows end when the store was seeded, whether it was just now or it is a kept one.
  process.env.VIGIL_NOW = s.seeded_at;
  const daemon = await startDaemon({ cwd: s.dir }, createLogger('error'));
  try {
    const datasetNames = Array.from({ length: DATASETS }, (_, i) => `ds_${i}`);
    const checkIds = datasetNames.flatMap((d) => CHECKS.map((c) => `${d}.${c}`));
    const routes: Record<string, string[]> = {
      '/api/datasets': ['/api/datasets'],
      '/api/datasets/:name': datasetNames.map((d) => `/api/datasets/${d}`),
      '/api/checks/:id/history?days=30': checkIds.map((id) => `/api/checks/${id}/history?days=30`),
      // The window a 1-week store can answer in full: the same points (and bytes) from either store.
      '/api/checks/:id/history?days=7': checkIds.map((id) => `/api/checks/${id}/history?days=7`),
    };
    const cold = {
      '/api/datasets': await timed(`${daemon.url}/api/datasets`),
      '/api/datasets/:name': await timed(`${daemon.url}/api/datasets/ds_1`),
      '/api/checks/:id/history?days=30': await timed(`${daemon.url}/api/checks/ds_1.row_count/history?days=30`),
      '/api/checks/:id/history?days=7': await timed(`${daemon.url}/api/checks/ds_1.freshness/history?days=7`),
    };
    const out: Record<string, { vigil: Measured; floor: Measured; ratio: number; cold_ms: number; body_bytes: number }> = {};
    for (const [name, paths] of Object.entries(routes)) {
      if (endpoints === 'history' && !name.startsWith('/api/checks')) continue;
      const bodies = await bodiesOf(daemon.url, paths);
      const floor = await floorServer(bodies);
      try {
        const v = await measure(daemon.url, paths);
        const f = await measure(floor.url, paths);
        const bytes = Math.round([...bodies.values()].reduce((n, b) => n + b.length, 0) / bodies.size);
        out[name] = { vigil: v, floor: f, ratio: round(v.p95 / f.p95), cold_ms: cold[name as keyof typeof cold], body_bytes: bytes };
        process.stdout.write(`  ${name.padEnd(34)} vigil p50 ${v.p50} ms p95 ${v.p95} ms (${v.rps} req/s) · floor p50 ${f.p50} ms p95 ${f.p95} ms · p95 ratio ${out[name]?.ratio} · body ${bytes} B${v.errors ? ` · ${v.errors} errors` : ''}\n`);
      } finally {
        floor.server.close();
        floor.server.closeAllConnections();
      }
    }
    return { label, days, datasets: DATASETS, results: s.rows, seed_ms: s.seed_ms, backfill_ms: s.backfill_ms, reused_store: s.reused, seeded_at: s.seeded_at, endpoints: out };
  } finally {
    await daemon.stop();
  }
}

const year = await benchStore(`${DAYS}d`, DAYS, 'all');
const week = await benchStore('7d', 7, 'history');
/** The same request on the year store and on the 1-week store: p95 and p50 ratios, and the bodies' sizes. */
const versus = (h: string) => {
  const [y, w] = [year.endpoints[h], week.endpoints[h]];
  return { p95: round((y?.vigil.p95 ?? NaN) / (w?.vigil.p95 ?? NaN)), p50: round((y?.vigil.p50 ?? NaN) / (w?.vigil.p50 ?? NaN)), year: y?.vigil, week: w?.vigil, bytes: [y?.body_bytes, w?.body_bytes] };
};
const h30 = versus('/api/checks/:id/history?days=30');
const h7 = versus('/api/checks/:id/history?days=7');

process.stdout.write(`\n| endpoint (${DATASETS} datasets × ${CHECKS.length} checks, ${DAYS} days hourly) | vigil p50 | vigil p95 | floor p50 | floor p95 | p95 / floor (target ≤ 3) |\n|---|---|---|---|---|---|\n`);
for (const [name, r] of Object.entries(year.endpoints)) {
  process.stdout.write(`| ${name} | ${r.vigil.p50} ms | ${r.vigil.p95} ms | ${r.floor.p50} ms | ${r.floor.p95} ms | ${r.ratio} |\n`);
}
for (const [days, r] of [[7, h7], [30, h30]] as const) {
  process.stdout.write(`\n${days}-day history, ${DAYS}-day store vs 7-day store (bodies ${r.bytes[0]} B vs ${r.bytes[1]} B): p95 ${r.year?.p95} ms vs ${r.week?.p95} ms = ${r.p95}× (p50 ${r.year?.p50} vs ${r.week?.p50} ms = ${r.p50}×; target ≤ 1.5)`);
}
process.stdout.write('\n');
mkdirSync(path.resolve('bench-data'), { recursive: true });
writeFileSync(path.resolve('bench-data', 'dashboard-results.json'), JSON.stringify({
  measured_at: new Date().toISOString(), connections: CONNECTIONS, duration_s: DURATION, stores: [year, week],
  history_7d_ratio_p95: h7.p95, history_7d_ratio_p50: h7.p50, history_30d_ratio_p95: h30.p95, history_30d_ratio_p50: h30.p50,
}, null, 2));
process.stdout.write('written: bench-data/dashboard-results.json\n');
