// The recent hourly history (check_recent_hour, migration 5): a check's last
// RECENT_HOURLY_DAYS days of hourly buckets, kept in step with check_rollups_hour
// by every write, must answer hourly history windows exactly as the rollups do —
// on runs spread over more than the horizon, several in one hour, and --now runs
// that go back in time (inside the horizon: merged; beyond it: rollups only).
// A store from before migration 5 gets the same rows from the backfill.
// From migration 6 on each day's points are stored as the API's history points:
// the hourly history endpoint splices them into its body, which must be byte for
// byte the JSON it built from parsed rows before (numbers as JSON.stringify writes them).
// From migration 7 the reads take one row per check (check_recent_window: the newest day's
// points and those of the days before it), kept by the writes and equal to its backfill.

import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, RECENT_HOURLY_DAYS, SCHEMA_VERSION, recentWindowSql } from '../src/store/migrations.js';
import type { CheckHistory } from '../src/server/api-types.js';
import { historyPoints } from '../src/server/views.js';
import { DuckDBStore, pointsBetween } from '../src/store/duckdb-store.js';
import fc from 'fast-check';
import type { HistoryRow, RecentHistoryJson } from '../src/store/store.js';
import { http, startApp } from './api-helpers.js';
import { cleanupProjects, makeProject, queryDb, runProject, writeData } from './helpers.js';
import { REDACTED } from '../src/alerts/redact.js';

const U = Date.parse('2026-01-05T00:00:00Z');
const H = 3600_000;
const D = 86_400_000;
const at = (hours: number) => new Date(U + hours * H);
/** A recent history read as the text of its JSON array (null: the window starts before the recent hours). */
const asText = (r: RecentHistoryJson | null) => (r === null ? null : Buffer.concat(r.json).toString('utf8'));

const EVENTS = `dataset: events
source: ../data/events.csv
checks:
  - freshness: { column: updated_at, warn_after: 2h, fail_after: 6h }
  - row_count: { warn: { min: 5 }, fail: { min: 1 } }
  - nulls: { column: amount, warn: 1, fail: 3 }
`;
const CHECKS = ['events.freshness', 'events.row_count', 'events.nulls.amount'];

// Hours (from U) of the runs, in the order they are made: several in one hour, gaps of days,
// over 50 days in all; then --now back to day 30 (inside the horizon of day 50: merged into
// existing buckets) and to day 3 (beyond it: kept in the rollups only); the last ones on the
// newest day, the last write changing only that day (check_recent_window's `latest` alone).
const RUNS = [0.25, 0.5, 0.9, 5, 26, 24 * 3 + 0.1, 24 * 10 + 0.2, 24 * 10 + 0.7, 24 * 20, 24 * 30 + 0.3, 24 * 36, 24 * 40,
  24 * 41.3, 24 * 50, 24 * 30 + 0.6, 24 * 3 + 0.4, 24 * 50 + 0.5, 24 * 51 + 23.9, 24 * 52 + 0.05, 24 * 52 + 0.5, 24 * 52 + 3.2];
const NEWEST = 24 * 52 + 3.2;

let dir: string;
let file: string;
/** The runs after which check_recent_window differed from a rebuild from check_recent_hour. */
const windowsOff: string[] = [];
/** check_recent_window's versions after each run. */
const versions: Array<Array<Record<string, unknown>>> = [];
/** Every hourly rollup of each check, read with plain SQL: what the rollups path answers. */
let rollups: Map<string, Array<HistoryRow & { bucket: number }>>;

async function readRollups(f: string): Promise<Map<string, Array<HistoryRow & { bucket: number }>>> {
  const rows = await queryDb(f, `SELECT check_id, epoch_ms(bucket) AS b, last_value, min_value, max_value, worst, runs, failing_runs
    FROM check_rollups_hour ORDER BY check_id, bucket`);
  const out = new Map<string, Array<HistoryRow & { bucket: number }>>();
  for (const r of rows) {
    const list = out.get(String(r.check_id)) ?? out.set(String(r.check_id), []).get(String(r.check_id))!;
    list.push({
      bucket: Number(r.b), at: new Date(Number(r.b)).toISOString(), value: r.last_value as number | null, min: r.min_value as number | null,
      max: r.max_value as number | null, worst: Number(r.worst), runs: Number(r.runs), failing: Number(r.failing_runs),
    });
  }
  return out;
}

/** The rollups' answer for [from, to]: buckets from from's hour to to. */
function expected(check: string, from: Date, to: Date): HistoryRow[] {
  const start = Math.floor(from.getTime() / H) * H;
  return (rollups.get(check) ?? []).filter((r) => r.bucket >= start && r.bucket <= to.getTime()).map(({ bucket: _b, ...row }) => row);
}

/** Windows ending at several clocks, 3 to 45 days long, some starting inside the horizon and some before it. */
function windows(): Array<{ from: Date; to: Date }> {
  const out: Array<{ from: Date; to: Date }> = [];
  for (const end of [NEWEST, NEWEST + 0.5, 24 * 53 + 7, 24 * 45, 24 * 31.5, 24 * 20 + 12]) {
    for (const days of [3, 7, 10.4, 17, 30, 34, 35, 36, 45]) out.push({ from: at(end - days * 24), to: at(end) });
  }
  return out;
}

/** check_recent_window (migration 7): each check's newest day and its points before and on it. */
async function windowRows(f: string): Promise<Array<Record<string, unknown>>> {
  return queryDb(f, `SELECT check_id, newest::VARCHAR AS newest, earlier, latest FROM check_recent_window ORDER BY check_id`);
}

async function recentRows(f: string): Promise<Array<{ check_id: string; day: string; points: unknown }>> {
  return (await queryDb(f, `SELECT check_id, day::VARCHAR AS day, points::VARCHAR AS points FROM check_recent_hour ORDER BY check_id, day`))
    .map((r) => ({ check_id: String(r.check_id), day: String(r.day), points: JSON.parse(String(r.points)) as unknown }));
}

beforeAll(async () => {
  dir = makeProject({ 'checks/events.yaml': EVENTS });
  file = path.join(dir, '.vigil', 'vigil.duckdb');
  for (const [i, h] of RUNS.entries()) {
    // Data that changes between runs: fresh or stale, a varying row count and NULLs, fractional ages.
    const age = (i * 7) % 9;
    await writeData(dir, 'data/events.csv', `select range as id, case when range % ${(i % 4) + 2} = 0 then null else range * 1.25 end as amount,
      TIMESTAMP '${at(h - age - 0.123).toISOString().replace('T', ' ').replace('Z', '')}' as updated_at from range(${(i * 5) % 11})`);
    await runProject(dir, { now: at(h) });
    // check_recent_window as kept by this write against the same rows rebuilt from the day rows.
    const [kept, rebuilt] = [await windowRows(file), await queryDb(file, `SELECT check_id, newest::VARCHAR AS newest, e AS earlier, l AS latest
      FROM (${recentWindowSql('')}) AS w(check_id, newest, e, l) ORDER BY check_id`)];
    if (JSON.stringify(kept) !== JSON.stringify(rebuilt)) windowsOff.push(`after the run at hour ${h}`);
    versions.push(await queryDb(file, `SELECT check_id, version::VARCHAR AS version FROM check_recent_window ORDER BY check_id`));
  }
  rollups = await readRollups(file);
}, 180_000);

afterAll(() => cleanupProjects());

describe('pointsBetween (the cut of a stored run of points to a window)', () => {
  it('keeps exactly the points whose bucket is in [from, to], for any points and window', () => {
    const hour = fc.integer({ min: 0, max: 24 * 40 });
    fc.assert(fc.property(fc.uniqueArray(hour, { maxLength: 60 }), hour, hour, fc.array(fc.double({ noNaN: true }), { minLength: 60, maxLength: 60 }),
      (hours, a, b, values) => {
        const points = hours.sort((x, y) => x - y).map((h, i) => ({ at: at(h).toISOString(), value: values[i] ?? null, min: null, max: 1e21, status: 'pass', runs: h }));
        const [from, to] = [at(Math.min(a, b)).toISOString(), new Date(at(Math.max(a, b)).getTime() + (a % 3) * 1000).toISOString()];
        const joined = Buffer.from(JSON.stringify(points).slice(1, -1));
        const want = JSON.stringify(points.filter((p) => p.at >= from && p.at <= to)).slice(1, -1);
        expect(pointsBetween(joined, from, to).toString()).toBe(want);
      }), { numRuns: 500 });
  });
});

describe('check_recent_hour', () => {
  it('the seeded history has the cases this test is about', async () => {
    const fresh = rollups.get('events.freshness') ?? [];
    expect(fresh.find((r) => r.bucket === U)?.runs).toBe(3); // three runs in one hour
    expect(fresh.find((r) => r.bucket === U + 24 * 30 * H)?.runs).toBe(2); // day 30: once in order, once back in time
    expect(fresh.find((r) => r.bucket === U + 24 * 3 * H)?.runs).toBe(2); // day 3: once in order, once back in time beyond the horizon
    expect(new Set(fresh.map((r) => r.worst))).toEqual(new Set([0, 1, 2, 3])); // pass to error (an empty file)
    // The first run (an empty file) has no value; its bucket's min and max come from the other two.
    expect(await queryDb(file, `SELECT value FROM check_results WHERE check_id = 'events.freshness' ORDER BY evaluated_at LIMIT 1`)).toEqual([{ value: null }]);
    expect(fresh[0]?.min).not.toBeNull();
  });

  it('holds only the horizon: the days after the newest day minus RECENT_HOURLY_DAYS', async () => {
    const rows = await recentRows(file);
    const newestDay = Math.floor(at(NEWEST).getTime() / D);
    for (const r of rows) expect(Date.parse(`${r.day}T00:00:00Z`) / D, r.day).toBeGreaterThan(newestDay - RECENT_HOURLY_DAYS);
    expect(new Set(rows.map((r) => r.check_id))).toEqual(new Set(CHECKS));
  });

  it('answers every hourly window exactly as the rollups do, inside the horizon and before it', async () => {
    const store = await DuckDBStore.open(file);
    try {
      let compared = 0;
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          const got = await store.checkHistory(check, from, to, 'hour');
          expect(got, `${check} ${from.toISOString()} → ${to.toISOString()}`).toEqual(expected(check, from, to));
          if (got.length) compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
      // The result written back in time beyond the horizon is in a window reaching it (the rollups answer that one).
      const long = await store.checkHistory('events.freshness', at(24 * 2), at(NEWEST), 'hour');
      expect(long.filter((p) => Date.parse(p.at) === U + 24 * 3 * H)).toEqual([expect.objectContaining({ runs: 2 })]);
    } finally {
      await store.close();
    }
  });

  it('answers every window inside the horizon with the JSON of the history points built from the rollups', async () => {
    const store = await DuckDBStore.open(file);
    try {
      let compared = 0;
      let fallbacks = 0;
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          const got = asText(await store.recentHourlyHistoryJson(check, from, to));
          if (got === null) { fallbacks++; continue; }
          expect(got, `${check} ${from.toISOString()} → ${to.toISOString()}`).toBe(JSON.stringify(historyPoints(expected(check, from, to))));
          if (got.length > 2) compared++;
        }
      }
      expect(compared).toBeGreaterThan(50);
      expect(fallbacks).toBeGreaterThan(10); // windows starting before the horizon: the rollups answer those
      expect(asText(await store.recentHourlyHistoryJson('events.nope', at(NEWEST - 24 * 30), at(NEWEST)))).toBe('[]');
    } finally {
      await store.close();
    }
  });

  it('reads made together (served by batched queries) answer each as on its own', async () => {
    const store = await DuckDBStore.open(file);
    try {
      const asks = CHECKS.flatMap((check) => windows().map((w) => ({ check, ...w }))).concat([{ check: 'events.nope', from: at(NEWEST - 24 * 30), to: at(NEWEST) }]);
      const alone: Array<string | null> = [];
      for (const a of asks) alone.push(asText(await store.recentHourlyHistoryJson(a.check, a.from, a.to)));
      // All at once: more than the reader connections can take, so most wait and go in batches (of several checks, repeated ones too).
      const together = (await Promise.all(asks.map((a) => store.recentHourlyHistoryJson(a.check, a.from, a.to)))).map(asText);
      expect(together).toEqual(alone);
      expect(alone.filter((x) => x !== null && x.length > 2).length).toBeGreaterThan(50);
    } finally {
      await store.close();
    }
  });

  it('the history endpoint sends the same bytes as JSON.stringify of the response built from the rollups', async () => {
    let compared = 0;
    for (const end of [NEWEST, NEWEST + 0.5, 24 * 53 + 7, 24 * 31.5]) {
      const app = await startApp(dir, { now: at(end) });
      try {
        for (const days of [3, 7, 17, 30, 34, 45, 89]) {
          for (const check of CHECKS) {
            const res = await http<CheckHistory>(app.url, `/api/checks/${check}/history?days=${days}`);
            expect(res.status).toBe(200);
            const to = at(end);
            const from = new Date(to.getTime() - days * D);
            const old = JSON.stringify({ ...res.body, points: historyPoints(expected(check, from, to)) });
            expect(res.text, `${check} days=${days} at ${to.toISOString()}`).toBe(old);
            if (res.body.points.length) compared++;
          }
        }
      } finally {
        await app.close();
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('a history body\'s ETag names its bytes: the same from a restarted server, new after a write to the check, its own per window', async () => {
    const other = makeProject({ 'vigil.yaml': 'store: store.duckdb\n', 'checks/events.yaml': EVENTS });
    copyFileSync(file, path.join(other, 'store.duckdb'));
    const served = async () => {
      const app = await startApp(other, { now: at(NEWEST) });
      try {
        const [month, week] = [await http(app.url, '/api/checks/events.row_count/history?days=30'), await http(app.url, '/api/checks/events.row_count/history?days=7')];
        for (const res of [month, week]) {
          expect(res.status).toBe(200);
          expect(res.headers.get('etag')).toMatch(new RegExp(`^W/"${Buffer.byteLength(res.text).toString(16)}-[A-Za-z0-9+/]{27}"$`));
        }
        return { month: { etag: month.headers.get('etag'), text: month.text }, week: { etag: week.headers.get('etag'), text: week.text } };
      } finally {
        await app.close();
      }
    };
    const first = await served();
    expect(first.week.etag).not.toBe(first.month.etag);
    expect(await served()).toEqual(first);
    // One more run an hour before the clock: the newest day's points change (that hour's runs), so do both ETags.
    await writeData(other, 'data/events.csv', 'select range as id, range * 1.5 as amount, TIMESTAMP \'2026-02-26 01:00:00\' as updated_at from range(4)');
    await runProject(other, { now: at(NEWEST - 1) });
    const after = await served();
    expect(after.month.text).not.toBe(first.month.text);
    expect(after.month.etag).not.toBe(first.month.etag);
    expect(after.week.etag).not.toBe(first.week.etag);
  });

  it('a secret spelled inside the stored points is still scrubbed from the body sent (the points are searched as bytes)', async () => {
    // A connection URL that happens to read like part of a point: every body is scrubbed of it, the stored points too.
    const secret = '"status":"pass","runs":1}';
    const other = makeProject({ 'vigil.yaml': `store: store.duckdb\nconnections:\n  wh: { type: postgres, url: ${JSON.stringify(secret)} }\n`, 'checks/events.yaml': EVENTS });
    copyFileSync(file, path.join(other, 'store.duckdb'));
    const app = await startApp(other, { now: at(NEWEST) });
    try {
      const res = await http(app.url, '/api/checks/events.row_count/history?days=30');
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(secret);
      expect(res.text).toContain(REDACTED);
      // …and nothing else changed: the body with the secret put back is the one built from the rollups.
      const to = at(NEWEST);
      const points = JSON.stringify(historyPoints(expected('events.row_count', new Date(to.getTime() - 30 * D), to)));
      expect(points).toContain(secret);
      expect(res.text.endsWith(`"points":${points.split(secret).join(REDACTED)}}`)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('writes numbers as JSON.stringify does: integers, exponents, tiny and huge values, NaN, infinities, -0', async () => {
    const copy = path.join(makeProject(), 'numbers.duckdb');
    copyFileSync(file, copy);
    const values = [1, 100, 0.1, 0.30000000000000004, 1e21, 1.5e21, 1e20, 123456789012345680000, 1e-7, 1.5e-7, 0.000001, 5e-324,
      1.7976931348623157e308, -2.5e-10, -1e300, 2 ** 53, 2 ** 53 + 2, 12345.678, -0, 1 / 3, 2 / 3, 9007199254740993, 4.35, 0.000123456789];
    for (let i = 0; i < 300; i++) {
      // Random doubles from their bits (every exponent) and random decimals.
      const buf = new DataView(new ArrayBuffer(8));
      buf.setUint32(0, Math.floor(Math.random() * 2 ** 32));
      buf.setUint32(4, Math.floor(Math.random() * 2 ** 32));
      const v = buf.getFloat64(0);
      values.push(Number.isFinite(v) ? v : i, Math.round(Math.random() * 1e6) / 1000);
    }
    // As strings: a numeric literal would be a DECIMAL first, rounded again on its way to DOUBLE.
    const sqlValues = [...values.map((v) => (Object.is(v, -0) ? `'-0.0'::DOUBLE` : `'${v.toPrecision(17)}'::DOUBLE`)), `'nan'::DOUBLE`, `'inf'::DOUBLE`, `'-inf'::DOUBLE`];
    const dayStart = Math.floor(at(NEWEST).getTime() / D) * D;
    // One check's newest day replaced by a bucket for every value (a bucket per second: only the strings matter here).
    await queryDb(copy, `DELETE FROM check_rollups_hour WHERE check_id = 'events.nulls.amount' AND bucket >= '${new Date(dayStart).toISOString()}'::TIMESTAMPTZ AT TIME ZONE 'UTC';
      INSERT INTO check_rollups_hour SELECT 'events.nulls.amount', '${new Date(dayStart).toISOString().slice(0, 19)}'::TIMESTAMP + to_seconds(i), now(), v, v, v, i % 4, i, 0
      FROM (SELECT unnest([${sqlValues.join(', ')}]) AS v, generate_subscripts([${sqlValues.join(', ')}], 1) AS i);
      ${MIGRATIONS.find((m) => m.version === 6)?.sql[0] ?? ''}`, { write: true });
    const [row] = await queryDb(copy, `SELECT points::VARCHAR AS points FROM check_recent_hour WHERE check_id = 'events.nulls.amount' ORDER BY day DESC LIMIT 1`);
    const points = JSON.parse(String(row?.points)) as Array<{ value: number | null }>;
    const want = [...values, NaN, Infinity, -Infinity];
    expect(points).toHaveLength(want.length);
    expect(String(row?.points)).toBe(JSON.stringify(points));
    expect(points.map((p) => JSON.stringify(p.value))).toEqual(want.map((v) => JSON.stringify(v)));
  });

  it('what the writes kept equals what the migrations would build from the rollups', async () => {
    const copy = path.join(makeProject(), 'copy.duckdb');
    copyFileSync(file, copy);
    const backfill = MIGRATIONS.find((m) => m.version === 5)?.sql.find((s) => s.startsWith('INSERT'));
    const rewrite = MIGRATIONS.find((m) => m.version === 6)?.sql[0];
    expect(backfill).toBeDefined();
    // check_recent_window as migration 7 creates and fills it, and migration 8 adds its version.
    const windows = MIGRATIONS.filter((m) => m.version === 7 || m.version === 8).flatMap((m) => m.sql);
    expect(windows).toHaveLength(4);
    await queryDb(copy, `DELETE FROM check_recent_hour; ${backfill ?? ''}; ${rewrite ?? ''}; DROP TABLE check_recent_window; ${windows.join('; ')}`, { write: true });
    expect(await recentRows(copy)).toEqual(await recentRows(file));
    // The writes replaced `latest` alone on most runs and rebuilt the row on new days and runs back in
    // time: after every run (not only the last, whose errors a later rebuild would hide) it was the rebuild's.
    expect(windowsOff).toEqual([]);
    const kept = await windowRows(file);
    expect(kept.map((r) => r.check_id)).toEqual(CHECKS.slice().sort());
    expect(await windowRows(copy)).toEqual(kept);
  });

  it('every write of a check\'s row gives it a new version (the latest day alone, a new day, a run back in time); a backfill gives each row its own', async () => {
    expect(versions).toHaveLength(RUNS.length);
    let newestDay = -Infinity;
    for (const [i, now] of versions.entries()) {
      expect(now.map((r) => r.check_id), `run ${i}`).toEqual(CHECKS.slice().sort());
      expect(now.every((r) => /^[0-9a-f-]{36}$/.test(String(r.version))), `run ${i}`).toBe(true);
      const before = new Set((versions[i - 1] ?? []).map((r) => r.version));
      // A run further back than the horizon writes the rollups only: its windows (and versions) stay.
      const day = Math.floor((RUNS[i] as number) / 24);
      newestDay = Math.max(newestDay, day);
      const kept = now.filter((r) => before.has(r.version));
      expect(kept, `run ${i} at day ${day}`).toEqual(day <= newestDay - RECENT_HOURLY_DAYS ? now : []);
    }
    expect(RUNS.some((h) => Math.floor(h / 24) <= NEWEST / 24 - RECENT_HOURLY_DAYS)).toBe(true);
    const copy = path.join(makeProject(), 'versions.duckdb');
    copyFileSync(file, copy);
    await queryDb(copy, `ALTER TABLE check_recent_window DROP COLUMN version; ${MIGRATIONS.find((m) => m.version === 8)?.sql.join('; ') ?? 'error'}`, { write: true });
    const backfilled = await queryDb(copy, `SELECT count(DISTINCT version) AS n, count(*) AS rows FROM check_recent_window`);
    expect(backfilled).toEqual([{ n: CHECKS.length, rows: CHECKS.length }]);
  });

  it('a store at version 4 is backfilled on open (migrations 5 to 8) and answers the same histories', async () => {
    const old = path.join(makeProject(), 'v4.duckdb');
    copyFileSync(file, old);
    await queryDb(old, `DROP TABLE check_recent_hour; DROP TABLE check_recent_window; DELETE FROM vigil_migrations WHERE version IN (5, 6, 7, 8);
      UPDATE vigil_meta SET value = '4' WHERE key = 'schema_version'`, { write: true });
    const store = await DuckDBStore.open(old);
    try {
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          expect(await store.checkHistory(check, from, to, 'hour'), `${check} ${from.toISOString()}`).toEqual(expected(check, from, to));
          const json = asText(await store.recentHourlyHistoryJson(check, from, to));
          if (json !== null) expect(json, `${check} ${from.toISOString()}`).toBe(JSON.stringify(historyPoints(expected(check, from, to))));
        }
      }
    } finally {
      await store.close();
    }
    expect(await recentRows(old)).toEqual(await recentRows(file));
    expect(await windowRows(old)).toEqual(await windowRows(file));
    expect(await queryDb(old, `SELECT value FROM vigil_meta WHERE key = 'schema_version'`)).toEqual([{ value: String(SCHEMA_VERSION) }]);
  });

  it('a check that never ran has no hourly history', async () => {
    const store = await DuckDBStore.open(file);
    try {
      expect(await store.checkHistory('events.nope', at(NEWEST - 24 * 30), at(NEWEST), 'hour')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
