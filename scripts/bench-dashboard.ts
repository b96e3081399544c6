// npm run bench:dashboard — the dashboard API on a year of history.
// Seeds a store with hourly results of N datasets × 10 checks (DuckDB SQL,
// range(), no row-by-row inserts) as a vigil of schema version 2 would have
// written it, opens it with this vigil (migrations 4 to 8 backfill the read models),
// and the same for a 1-week store, and measures p50/p95 under 20 concurrent clients
// (autocannon) of GET /api/datasets, /api/datasets/:name and a 30-day and a 7-day
// check history on `vigil serve` (port 0), each next to a bare express app serving
// the same bodies from memory. Every measurement starts its server and its load
// generator as processes of their own and stops them after it, so none pays for
// another's heap, for the clients' parsing, or for having sat idle while the others
// were measured (see measure()). The history requests run on both stores for the
// history-length ratio: the 7-day one (the same points from both) and the 30-day one
// (30 days of points against the 7 a 1-week store has). Every measurement is made once
// per round, the rounds interleave the stores, and the report gives medians and the
// ratios round by round. Options: --datasets N (200) --days N (365) --duration S (5)
// --warmup S (2, before each measurement) --rounds N (3) --quick (20 datasets, 30 days, 3 s, 1 round) --fresh (seed again even
// when a kept store matches: see seed()).
// The PostgreSQL store: the 1-week store copied into a real PostgreSQL server started here (with
// vigil store migrate's copy), and the same four endpoints measured on it in the same rounds as on
// the DuckDB 1-week store, as PostgreSQL p95 / DuckDB p95 (target ≤ 2). --no-postgres skips it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { copyDuckDBToPostgres } from '../src/store/copy.js';
import { startPostgres, type PgServer } from './pg-server.js';

const args = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const NO_POSTGRES = args.includes('--no-postgres');
const FRESH = args.includes('--fresh');
const DATASETS = flag('datasets', quick ? 20 : 200);
const DAYS = flag('days', quick ? 30 : 365);
const DURATION = flag('duration', quick ? 3 : 5);
const ROUNDS = flag('rounds', quick ? 1 : 3);
/** Seconds of the same load before each measurement, not counted. */
const WARMUP = flag('warmup', quick ? 1 : 2);
const CONNECTIONS = 20;
const CHECKS = ['freshness', 'row_count', 'nulls.a', 'nulls.b', 'nulls.c', 'duplicates.id', 'schema', 'q1', 'q2', 'q3'];
const OUT = path.resolve('bench-data', 'dashboard');
const HERE = path.dirname(fileURLToPath(import.meta.url));

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
  await (await DuckDBStore.open(file)).close(); // migrations 4 to 8: backfill of latest results, rollups, run summaries, recent hours and windows
  const info: SeedInfo = { seed_key: seedKey, store_key: storeKey, seeded_at: seededAt.toISOString(), rows, seed_ms: seedMs, backfill_ms: Date.now() - t1 };
  writeFileSync(infoFile, JSON.stringify(info, null, 2));
  return { ...info, dir, reused: false };
}

interface Measured { p50: number; p95: number; rps: number; requests: number; errors: number; cpu_us_per_request?: number | null }

/**
 * 20 clients for DURATION seconds, each request the next path of the JSON array in `pathsFile`, from a
 * load generator process of its own, against a server `start()` starts for this measurement alone and
 * which is stopped after it. Servers kept up for the whole run sat idle for 20 s and more while the
 * other series were measured, and V8 shrinks the heap of a process idle for 8 s (its memory reducer):
 * with --trace-gc, a daemon measured after such a pause ran a full mark-compact every ~60 ms (at 5 MB
 * over its 25 MB of live heap) instead of every ~0.9 s, for the whole measurement and at random,
 * which doubled its CPU per request (800–1000 µs against 530–570) and its p95.
 */
async function measure(start: () => Promise<Child>, pathsFile: string): Promise<Measured> {
  const server = await start();
  try {
    const child = spawn(process.execPath, [path.join(HERE, 'bench-load.js'), server.url, pathsFile, String(CONNECTIONS), String(DURATION), String(WARMUP), String(server.pid ?? '')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the load generator exited with ${code}`);
    return JSON.parse(out) as Measured;
  } finally {
    await server.stop();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** A server process; stop() ends it (SIGTERM) and waits for it. */
interface Child { url: string; pid: number | undefined; stop(): Promise<void> }

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `vigil serve` in the project `dir`, its clock at `now` (VIGIL_NOW); its URL from the discovery file it writes once it listens. */
async function startVigil(dir: string, now: string): Promise<Child> {
  const announced = path.join(dir, 'serve.json');
  rmSync(announced, { force: true });
  const child = spawn(process.execPath, [path.resolve(HERE, '../../bin/vigil'), 'serve'], {
    cwd: dir, env: { ...process.env, VIGIL_NOW: now, VIGIL_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  for (const started = Date.now(); ;) {
    // A PostgreSQL store's daemon writes no discovery file (there may be many): its listening line says where.
    const listening = /vigil serve: listening on (http:\/\/\S+)/.exec(stderr);
    if (listening?.[1]) return { url: listening[1], pid: child.pid, stop: stopper(child) };
    if (existsSync(announced)) {
      try { return { url: (JSON.parse(readFileSync(announced, 'utf8')) as { url: string }).url, pid: child.pid, stop: stopper(child) }; } catch { /* being written */ }
    }
    if (child.exitCode !== null) throw new Error(`vigil serve exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() - started > 120_000) { child.kill(); throw new Error(`vigil serve did not start in 2 min: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The bodies in `file`, from memory, in a process of its own: the floor any server on this machine pays for HTTP and JSON bytes. */
async function startFloor(file: string): Promise<Child> {
  const child = spawn(process.execPath, [path.join(HERE, 'bench-floor.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    (async () => { for await (const l of createInterface({ input: child.stdout as NodeJS.ReadableStream })) return [l]; return []; })(),
    new Promise<string[]>((_, reject) => child.once('exit', (code) => reject(new Error(`the floor server exited with ${code}`)))),
  ]);
  if (!line) throw new Error('the floor server printed no URL');
  return { url: line.trim(), pid: child.pid, stop: stopper(child) };
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

/** A seeded store's project, and how to start its `vigil serve`. */
async function prepare(label: string, days: number) {
  process.stdout.write(`seeding ${label}: ${DATASETS} datasets × ${CHECKS.length} checks × ${days * 24} hourly runs…\n`);
  const s = await seed(`${DATASETS}x${label}`, DATASETS, days);
  process.stdout.write(`  ${s.rows.toLocaleString('en-US')} results in ${(s.seed_ms / 1000).toFixed(1)} s; migrations 4–${SCHEMA_VERSION} backfill ${(s.backfill_ms / 1000).toFixed(1)} s`
    + `${s.reused ? ` (kept store seeded at ${s.seeded_at}, reused; the daemon's clock is set to that time; --fresh seeds again)` : ''}\n`);
  // The windows end when the store was seeded, whether it was just now or it is a kept one.
  return { label, days, seed: s, start: () => startVigil(s.dir, s.seeded_at) };
}
type Prepared = Awaited<ReturnType<typeof prepare>>;

/** The DuckDB store `from` copied into a database of `server`, with a project of the same check files on it. */
async function preparePostgres(from: Prepared, server: PgServer): Promise<Prepared> {
  const url = await server.createDatabase(`bench_${from.label}`);
  const copied = await copyDuckDBToPostgres({ from: path.join(from.seed.dir, 'store.duckdb'), to: url, force: true });
  const rows = copied.tables.reduce((n, t) => n + t.rows, 0);
  process.stdout.write(`copied the ${from.label} store into PostgreSQL: ${rows.toLocaleString('en-US')} rows in ${(copied.ms / 1000).toFixed(1)} s\n`);
  const dir = path.join(OUT, `${path.basename(from.seed.dir)}-pg`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'checks'), { recursive: true });
  writeFileSync(path.join(dir, 'vigil.yaml'), `schedule: "0 0 1 1 *"\ndashboard: { port: 0 }\nstore: "${url}"\n`);
  for (let i = 0; i < DATASETS; i++) writeFileSync(path.join(dir, 'checks', `ds_${i}.yaml`), checkFile(i));
  return { label: `pg${from.label}`, days: from.days, seed: from.seed, start: () => startVigil(dir, from.seed.seeded_at) };
}

const datasetNames = Array.from({ length: DATASETS }, (_, i) => `ds_${i}`);
const checkIds = datasetNames.flatMap((d) => CHECKS.map((c) => `${d}.${c}`));
const ROUTES: Record<string, string[]> = {
  '/api/datasets': ['/api/datasets'],
  '/api/datasets/:name': datasetNames.map((d) => `/api/datasets/${d}`),
  '/api/checks/:id/history?days=30': checkIds.map((id) => `/api/checks/${id}/history?days=30`),
  // The window a 1-week store can answer in full: the same points (and bytes) from either store.
  '/api/checks/:id/history?days=7': checkIds.map((id) => `/api/checks/${id}/history?days=7`),
};
const COLD_PATH: Record<string, string> = {
  '/api/datasets': '/api/datasets', '/api/datasets/:name': '/api/datasets/ds_1',
  '/api/checks/:id/history?days=30': '/api/checks/ds_1.row_count/history?days=30', '/api/checks/:id/history?days=7': '/api/checks/ds_1.freshness/history?days=7',
};

/** One endpoint on one store, measured once per round against its floor. */
interface Series {
  store: Prepared;
  route: string;
  /** The bodies for this series' floor, a file the floor server reads when it starts. */
  floorFile: string;
  body_bytes: number;
  cold_ms: number;
  vigil: Measured[];
  floors: Measured[];
}

async function series(store: Prepared, route: string): Promise<Series> {
  const paths = ROUTES[route] as string[];
  const daemon = await store.start();
  try {
    const cold = await timed(`${daemon.url}${COLD_PATH[route]}`);
    const bodies = await bodiesOf(daemon.url, paths);
    const floorFile = path.join(OUT, `floor-${store.label}-${digest(route)}.json`);
    writeFileSync(floorFile, JSON.stringify([...bodies]));
    return { store, route, floorFile, body_bytes: Math.round([...bodies.values()].reduce((n, b) => n + b.length, 0) / bodies.size), cold_ms: cold, vigil: [], floors: [] };
  } finally {
    await daemon.stop();
  }
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const summary = (ms: Measured[]) => ({
  p50: round(median(ms.map((m) => m.p50))), p95: round(median(ms.map((m) => m.p95))), rps: Math.round(median(ms.map((m) => m.rps))),
  cpu_us_per_request: ms.some((m) => m.cpu_us_per_request == null) ? null : Math.round(median(ms.map((m) => m.cpu_us_per_request as number))),
  errors: ms.reduce((n, m) => n + m.errors, 0),
});

const year = await prepare(`${DAYS}d`, DAYS);
const week = await prepare('7d', 7);
let pgServer: PgServer | null = null;
let pgWeek: Prepared | null = null;
if (!NO_POSTGRES) {
  try {
    pgServer = await startPostgres();
  } catch (err) {
    process.stdout.write(`PostgreSQL store not measured: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  if (pgServer) pgWeek = await preparePostgres(week, pgServer);
}
const all: Series[] = [];
// Each route's request paths, in a file each load generator reads.
const pathFiles = new Map(Object.entries(ROUTES).map(([route, paths]) => [route, path.join(OUT, `paths-${digest(route)}.json`)]));
try {
  for (const [route, file] of pathFiles) writeFileSync(file, JSON.stringify(ROUTES[route]));
  const pairs: Array<readonly [Prepared, string]> = [
    [year, '/api/datasets'], [year, '/api/datasets/:name'],
    [year, '/api/checks/:id/history?days=30'], [week, '/api/checks/:id/history?days=30'],
    [year, '/api/checks/:id/history?days=7'], [week, '/api/checks/:id/history?days=7'],
    // The same endpoints on the same data in PostgreSQL and in DuckDB (the 1-week store).
  ];
  const onPg = pgWeek;
  if (onPg) pairs.push([week, '/api/datasets'], [week, '/api/datasets/:name'], ...Object.keys(ROUTES).map((r) => [onPg, r] as const));
  for (const [store, route] of pairs) all.push(await series(store, route));
  // Rounds, each measuring every series in turn: whatever drifts over the run (the machine, caches)
  // falls on the year store and the week store alike; medians over the rounds.
  for (let r = 1; r <= ROUNDS; r++) {
    process.stdout.write(`round ${r} of ${ROUNDS}\n`);
    for (const x of all) {
      const paths = pathFiles.get(x.route) as string;
      const v = await measure(x.store.start, paths);
      const f = await measure(() => startFloor(x.floorFile), paths);
      x.vigil.push(v);
      x.floors.push(f);
      process.stdout.write(`  ${x.store.label.padStart(4)} ${x.route.padEnd(34)} vigil p50 ${v.p50} ms p95 ${v.p95} ms (${v.rps} req/s, ${v.cpu_us_per_request ?? '?'} µs CPU/request)`
        + ` · floor p50 ${f.p50} ms p95 ${f.p95} ms · p95 ratio ${round(v.p95 / f.p95)} · body ${x.body_bytes} B${v.errors ? ` · ${v.errors} errors` : ''}\n`);
    }
  }

  const find = (store: Prepared, route: string) => all.find((x) => x.store === store && x.route === route) as Series;
  const report = (x: Series) => {
    const [v, f] = [summary(x.vigil), summary(x.floors)];
    return { vigil: v, floor: f, ratio: round(v.p95 / f.p95), ratios: x.vigil.map((m, i) => round(m.p95 / (x.floors[i]?.p95 ?? NaN))), cold_ms: x.cold_ms, body_bytes: x.body_bytes };
  };
  /** The same request on the year store and on the 1-week store, round by round (measured next to each other) and as medians. */
  const versus = (route: string) => {
    const [y, w] = [find(year, route), find(week, route)];
    const p95s = y.vigil.map((m, i) => round(m.p95 / (w.vigil[i]?.p95 ?? NaN)));
    const cpu = summary(y.vigil).cpu_us_per_request !== null ? round((summary(y.vigil).cpu_us_per_request as number) / (summary(w.vigil).cpu_us_per_request as number)) : null;
    return { p95: round(median(p95s)), p95_per_round: p95s, p50: round(median(y.vigil.map((m, i) => m.p50 / (w.vigil[i]?.p50 ?? NaN)))), cpu, year: summary(y.vigil), week: summary(w.vigil), bytes: [y.body_bytes, w.body_bytes] };
  };
  const endpoints = Object.fromEntries(all.filter((x) => x.store === year).map((x) => [x.route, report(x)]));
  const weekEndpoints = Object.fromEntries(all.filter((x) => x.store === week).map((x) => [x.route, report(x)]));
  const h30 = versus('/api/checks/:id/history?days=30');
  const h7 = versus('/api/checks/:id/history?days=7');

  process.stdout.write(`\n| endpoint (${DATASETS} datasets × ${CHECKS.length} checks, ${DAYS} days hourly; medians of ${ROUNDS} rounds) | vigil p50 | vigil p95 | floor p50 | floor p95 | p95 / floor (target ≤ 3) |\n|---|---|---|---|---|---|\n`);
  for (const [name, r] of Object.entries(endpoints)) {
    process.stdout.write(`| ${name} | ${r.vigil.p50} ms | ${r.vigil.p95} ms | ${r.floor.p50} ms | ${r.floor.p95} ms | ${r.ratio} (rounds: ${r.ratios.join(', ')}) |\n`);
  }
  for (const [days, r] of [[7, h7], [30, h30]] as const) {
    process.stdout.write(`\n${days}-day history, ${DAYS}-day store vs 7-day store (bodies ${r.bytes[0]} B vs ${r.bytes[1]} B): p95 ${r.year.p95} ms vs ${r.week.p95} ms;`
      + ` ratio of p95 round by round ${r.p95_per_round.join(', ')}, median ${r.p95}× (target ≤ 1.5); p50 ${r.p50}×; server CPU per request ${r.year.cpu_us_per_request ?? '?'} vs ${r.week.cpu_us_per_request ?? '?'} µs = ${r.cpu ?? '?'}×`);
  }
  process.stdout.write('\n');
  /** PostgreSQL store / DuckDB store, the same request on the same data, round by round and as medians. */
  const postgres = pgWeek ? Object.fromEntries(Object.keys(ROUTES).map((route) => {
    const [d, p] = [find(week, route), find(pgWeek as Prepared, route)];
    const p95s = p.vigil.map((m, i) => round(m.p95 / (d.vigil[i]?.p95 ?? NaN)));
    return [route, { duckdb: summary(d.vigil), postgres: summary(p.vigil), p95_ratio: round(median(p95s)), p95_ratio_per_round: p95s, cold_ms: [d.cold_ms, p.cold_ms] }];
  })) : null;
  if (postgres) {
    process.stdout.write(`\n| endpoint (${DATASETS} datasets × ${CHECKS.length} checks, 7 days hourly, in both stores) | DuckDB p95 | PostgreSQL p95 | PostgreSQL / DuckDB p95 (target ≤ 2) |\n|---|---|---|---|\n`);
    for (const [route, r] of Object.entries(postgres)) {
      process.stdout.write(`| ${route} | ${r.duckdb.p95} ms | ${r.postgres.p95} ms | ${r.p95_ratio} (rounds: ${r.p95_ratio_per_round.join(', ')}) |\n`);
    }
  }
  mkdirSync(path.resolve('bench-data'), { recursive: true });
  const storeInfo = (p: Prepared, eps: Record<string, unknown>) => ({
    label: p.label, days: p.days, datasets: DATASETS, results: p.seed.rows, seed_ms: p.seed.seed_ms, backfill_ms: p.seed.backfill_ms,
    reused_store: p.seed.reused, seeded_at: p.seed.seeded_at, endpoints: eps,
  });
  writeFileSync(path.resolve('bench-data', 'dashboard-results.json'), JSON.stringify({
    measured_at: new Date().toISOString(), connections: CONNECTIONS, duration_s: DURATION, rounds: ROUNDS,
    stores: [storeInfo(year, endpoints), storeInfo(week, weekEndpoints)],
    history_7d: h7, history_30d: h30, postgres_vs_duckdb_7d: postgres,
  }, null, 2));
  process.stdout.write('written: bench-data/dashboard-results.json\n');
} finally {
  for (const file of [...pathFiles.values(), ...all.map((x) => x.floorFile)]) rmSync(file, { force: true });
  await pgServer?.destroy();
}
