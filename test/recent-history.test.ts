// A check's recent hours (check_history_window, migration 9): the hourly rollups
// of its last RECENT_HOURLY_DAYS days as packed points, kept in step with
// check_rollups_hour by every write, must answer hourly history windows exactly
// as the rollups do — on runs spread over more than the horizon, several in one
// hour, and --now runs that go back in time (inside the horizon: merged; beyond
// it: rollups only). After every write the row equals the one rebuilt from the
// rollups, and a store from before migration 9 gets the same rows from the backfill.
// The history endpoint writes the points as JSON byte for byte as JSON.stringify
// of the points built from the rollups (numbers as JSON.stringify writes them).

import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import type { CheckHistory } from '../src/server/api-types.js';
import { historyPointsJson } from '../src/server/history-json.js';
import { historyPoints } from '../src/server/views.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { HistoryPoints } from '../src/store/history-points.js';
import { RECENT_HOURLY_DAYS, windowOf } from '../src/store/history-window.js';
import fc from 'fast-check';
import type { HistoryRow } from '../src/store/store.js';
import { http, startApp } from './api-helpers.js';
import { cleanupProjects, makeProject, queryDb, runProject, writeData } from './helpers.js';
import { REDACTED } from '../src/alerts/redact.js';

const U = Date.parse('2026-01-05T00:00:00Z');
const H = 3600_000;
const D = 86_400_000;
const at = (hours: number) => new Date(U + hours * H);

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
// newest day, the last write changing only that day (check_history_window's `latest` alone).
const RUNS = [0.25, 0.5, 0.9, 5, 26, 24 * 3 + 0.1, 24 * 10 + 0.2, 24 * 10 + 0.7, 24 * 20, 24 * 30 + 0.3, 24 * 36, 24 * 40,
  24 * 41.3, 24 * 50, 24 * 30 + 0.6, 24 * 3 + 0.4, 24 * 50 + 0.5, 24 * 51 + 23.9, 24 * 52 + 0.05, 24 * 52 + 0.5, 24 * 52 + 3.2];
const NEWEST = 24 * 52 + 3.2;

let dir: string;
let file: string;
/** The runs after which check_history_window differed from a rebuild from the rollups. */
const windowsOff: string[] = [];
/** check_history_window's versions after each run. */
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

/** check_history_window: each check's newest day and its packed points before and on it, as hex. */
async function windowRows(f: string): Promise<Array<Record<string, unknown>>> {
  return queryDb(f, `SELECT check_id, newest_day, hex(earlier) AS earlier, hex(latest) AS latest FROM check_history_window ORDER BY check_id`);
}

/** The same rows rebuilt from the hourly rollups (what the window must equal after any write). */
async function rebuiltRows(f: string): Promise<Array<Record<string, unknown>>> {
  const all = await readRollups(f);
  return [...all.keys()].sort().map((check) => {
    const w = windowOf((all.get(check) ?? []).map(({ bucket: _b, ...row }) => row));
    return { check_id: check, newest_day: w?.newestDay, earlier: w?.earlier.bytes.toString('hex').toUpperCase(), latest: w?.latest.bytes.toString('hex').toUpperCase() };
  });
}

beforeAll(async () => {
  dir = makeProject({ 'checks/events.yaml': EVENTS });
  file = path.join(dir, '.vigil', 'vigil.duckdb');
  for (const [i, h] of RUNS.entries()) {
    // Data that changes between runs: fresh or stale, a varying row count and NULLs, fractional ages.
    const age = (i * 7) % 9;
    await writeData(dir, 'data/events.csv', `select range as id, case when range % ${(i % 4) + 2} = 0 then null else range * 1.25 end as amount,
      TIMESTAMP '${at(h - age - 0.123).toISOString().replace('T', ' ').replace('Z', '')}' as updated_at from range(${(i * 5) % 11})`);
    // Written even back in time (a CLI run would be a replay): what the store does with out-of-order results.
    await runProject(dir, { now: at(h), recordPast: true });
    // check_history_window as kept by this write against the same rows rebuilt from the rollups.
    const [kept, rebuilt] = [await windowRows(file), await rebuiltRows(file)];
    if (JSON.stringify(kept) !== JSON.stringify(rebuilt)) windowsOff.push(`after the run at hour ${h}`);
    versions.push(await queryDb(file, `SELECT check_id, version FROM check_history_window ORDER BY check_id`));
  }
  rollups = await readRollups(file);
}, 180_000);

afterAll(() => cleanupProjects());

const point = (h: number, value: number | null, runs = 1): HistoryRow => ({ at: at(h).toISOString(), value, min: null, max: 1e21, worst: runs % 4, runs, failing: runs % 2 });

describe('packed history points', () => {
  it('between() keeps exactly the points whose bucket is in [from, to], and with() replaces or inserts in order, for any points', () => {
    const hour = fc.integer({ min: 0, max: 24 * 40 });
    fc.assert(fc.property(fc.uniqueArray(hour, { maxLength: 60 }), hour, hour, hour, fc.array(fc.double({ noNaN: true }), { minLength: 61, maxLength: 61 }),
      (hours, a, b, extra, values) => {
        const rows = hours.sort((x, y) => x - y).map((h, i) => point(h, values[i] ?? null, h));
        const packed = HistoryPoints.from(rows);
        expect(packed.rows()).toEqual(rows);
        const [from, to] = [at(Math.min(a, b)).getTime(), at(Math.max(a, b)).getTime() + (a % 3) * 1000];
        expect(packed.between(from, to).rows()).toEqual(rows.filter((r) => Date.parse(r.at) >= from && Date.parse(r.at) <= to));
        const added = point(extra, values[60] ?? null, 7);
        const want = [...rows.filter((r) => r.at !== added.at), added].sort((x, y) => x.at.localeCompare(y.at));
        expect(packed.with(added).rows()).toEqual(want);
      }), { numRuns: 500 });
  });

  it('are written as JSON exactly as JSON.stringify writes the history points: integers, exponents, tiny and huge values, NaN, infinities, -0', () => {
    const values = [1, 100, 0.1, 0.30000000000000004, 1e21, 1.5e21, 1e20, 123456789012345680000, 1e-7, 1.5e-7, 0.000001, 5e-324,
      1.7976931348623157e308, -2.5e-10, -1e300, 2 ** 53, 2 ** 53 + 2, 12345.678, -0, 1 / 3, 2 / 3, 9007199254740993, 4.35, 0.000123456789, NaN, Infinity, -Infinity];
    for (let i = 0; i < 300; i++) {
      // Random doubles from their bits (every exponent) and random decimals.
      const buf = new DataView(new ArrayBuffer(8));
      buf.setUint32(0, Math.floor(Math.random() * 2 ** 32));
      buf.setUint32(4, Math.floor(Math.random() * 2 ** 32));
      values.push(buf.getFloat64(0), Math.round(Math.random() * 1e6) / 1000);
    }
    // Whole hours (the day prefix is reused) and buckets that are not (a run's own time, years before 1970).
    const rows = values.map((v, i): HistoryRow => ({
      at: new Date(i % 5 === 0 ? -86_400_000 * 400 + i * 1234 : U + i * H).toISOString(), value: i % 7 === 0 ? null : v, min: v, max: -v, worst: i % 4, runs: i, failing: 0,
    })).sort((x, y) => x.at.localeCompare(y.at));
    expect(historyPointsJson(HistoryPoints.from(rows))).toBe(JSON.stringify(historyPoints(rows)));
    expect(historyPointsJson(HistoryPoints.EMPTY)).toBe('[]');
  });
});

describe('check_history_window', () => {
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
    const store = await DuckDBStore.open(file);
    try {
      const newestDay = Math.floor(at(NEWEST).getTime() / D);
      for (const check of CHECKS) {
        const { points } = await store.checkHistory(check, at(NEWEST - 24 * (RECENT_HOURLY_DAYS - 1)), at(NEWEST), 'hour');
        expect(points.length, check).toBeGreaterThan(0);
        expect(Math.floor(points.atMs(0) / D), check).toBeGreaterThan(newestDay - RECENT_HOURLY_DAYS);
      }
    } finally {
      await store.close();
    }
    expect((await windowRows(file)).map((r) => r.check_id)).toEqual(CHECKS.slice().sort());
    expect(new Set((await windowRows(file)).map((r) => r.newest_day))).toEqual(new Set([Math.floor(at(NEWEST).getTime() / D)]));
  });

  it('answers every hourly window exactly as the rollups do, inside the horizon and before it', async () => {
    const store = await DuckDBStore.open(file);
    try {
      let compared = 0;
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          const got = (await store.checkHistory(check, from, to, 'hour')).points.rows();
          expect(got, `${check} ${from.toISOString()} → ${to.toISOString()}`).toEqual(expected(check, from, to));
          if (got.length) compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
      // The result written back in time beyond the horizon is in a window reaching it (the rollups answer that one).
      const long = (await store.checkHistory('events.freshness', at(24 * 2), at(NEWEST), 'hour')).points.rows();
      expect(long.filter((p) => Date.parse(p.at) === U + 24 * 3 * H)).toEqual([expect.objectContaining({ runs: 2 })]);
    } finally {
      await store.close();
    }
  });

  it('names the points it read from the window by the row\'s version, and those read from the rollups by nothing', async () => {
    const store = await DuckDBStore.open(file);
    try {
      const rows = new Map((await queryDb(file, 'SELECT check_id, version FROM check_history_window')).map((r) => [String(r.check_id), String(r.version)]));
      let inside = 0;
      let before = 0;
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          const { version } = await store.checkHistory(check, from, to, 'hour');
          const covered = Math.floor(Math.floor(from.getTime() / H) * H / D) > Math.floor(at(NEWEST).getTime() / D) - RECENT_HOURLY_DAYS;
          expect(version, `${check} ${from.toISOString()}`).toBe(covered ? rows.get(check) : '');
          if (covered) inside++; else before++;
        }
      }
      expect(inside).toBeGreaterThan(50);
      expect(before).toBeGreaterThan(10); // windows starting before the horizon: the rollups answer those
      expect(await store.checkHistory('events.nope', at(NEWEST - 24 * 30), at(NEWEST), 'hour')).toEqual({ points: HistoryPoints.EMPTY, version: '' });
    } finally {
      await store.close();
    }
  });

  it('reads made together (served by batched queries) answer each as on its own', async () => {
    const store = await DuckDBStore.open(file);
    try {
      const asks = CHECKS.flatMap((check) => windows().map((w) => ({ check, ...w }))).concat([{ check: 'events.nope', from: at(NEWEST - 24 * 30), to: at(NEWEST) }]);
      const text = (h: { points: HistoryPoints; version: string }) => `${h.version} ${h.points.bytes.toString('hex')}`;
      const alone: string[] = [];
      for (const a of asks) alone.push(text(await store.checkHistory(a.check, a.from, a.to, 'hour')));
      // All at once: more than the reader connections can take, so most wait and go in batches (of several checks, repeated ones too).
      const together = (await Promise.all(asks.map((a) => store.checkHistory(a.check, a.from, a.to, 'hour')))).map(text);
      expect(together).toEqual(alone);
      expect(alone.filter((x) => x.length > 40).length).toBeGreaterThan(50);
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
    await runProject(other, { now: at(NEWEST - 1), recordPast: true });
    const after = await served();
    expect(after.month.text).not.toBe(first.month.text);
    expect(after.month.etag).not.toBe(first.month.etag);
    expect(after.week.etag).not.toBe(first.week.etag);
  });

  it('a secret spelled inside the points is still scrubbed from the body sent', async () => {
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

  it('after every run the row was the one rebuilt from the rollups (the latest day alone, a new day, a run back in time), and the backfill builds the same', async () => {
    // After every run, not only the last, whose errors a later rebuild would hide.
    expect(windowsOff).toEqual([]);
    const kept = await windowRows(file);
    expect(kept.map((r) => r.check_id)).toEqual(CHECKS.slice().sort());
    const copy = path.join(makeProject(), 'copy.duckdb');
    copyFileSync(file, copy);
    await queryDb(copy, 'DELETE FROM check_history_window', { write: true });
    const store = await DuckDBStore.open(copy);
    await store.close();
    expect(await windowRows(copy)).toEqual([]);
    // The migration's own backfill, as a store from before it runs it.
    await queryDb(copy, `DELETE FROM vigil_migrations WHERE version = 9; DROP TABLE vigil_revisions; DROP TABLE check_history_window;
      CREATE TABLE check_recent_window (x INTEGER); CREATE TABLE check_recent_hour (x INTEGER)`, { write: true });
    await (await DuckDBStore.open(copy)).close();
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
  });

  it('a store at version 4 is backfilled on open (migrations 5 to 9) and answers the same histories', async () => {
    const old = path.join(makeProject(), 'v4.duckdb');
    copyFileSync(file, old);
    await queryDb(old, `DROP TABLE check_history_window; DROP TABLE vigil_revisions; DELETE FROM vigil_migrations WHERE version IN (5, 6, 7, 8, 9);
      UPDATE vigil_meta SET value = '4' WHERE key = 'schema_version'`, { write: true });
    const store = await DuckDBStore.open(old);
    try {
      for (const check of CHECKS) {
        for (const { from, to } of windows()) {
          expect((await store.checkHistory(check, from, to, 'hour')).points.rows(), `${check} ${from.toISOString()}`).toEqual(expected(check, from, to));
        }
      }
    } finally {
      await store.close();
    }
    expect(await windowRows(old)).toEqual(await windowRows(file));
    expect(await queryDb(old, `SELECT value FROM vigil_meta WHERE key = 'schema_version'`)).toEqual([{ value: String(SCHEMA_VERSION) }]);
    // The tables migration 9 replaced are gone.
    expect(await queryDb(old, `SELECT table_name FROM duckdb_tables() WHERE table_name IN ('check_recent_hour', 'check_recent_window')`)).toEqual([]);
  });

  it('a check that never ran has no hourly history', async () => {
    const store = await DuckDBStore.open(file);
    try {
      expect((await store.checkHistory('events.nope', at(NEWEST - 24 * 30), at(NEWEST), 'hour')).points.length).toBe(0);
    } finally {
      await store.close();
    }
  });
});
