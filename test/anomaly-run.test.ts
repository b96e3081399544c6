// Anomaly checks through the real run path (SPEC section 7): points from the
// check's recorded history, and points from the data per time bucket of a
// timestamp_column — aligned in the dataset's timezone, DST included, and
// replayable exactly with --now.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketKeyOf, bucketOf, bucketWindow, toInstant } from '../src/anomaly/buckets.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const DAY = 86_400_000;
type Result = Awaited<ReturnType<typeof runProject>>['byId'] extends Map<string, infer R> ? R : never;
const anomaly = (r: Result | undefined) => (r?.details as { anomaly?: Record<string, unknown> } | undefined)?.anomaly;

describe('buckets in the dataset\'s timezone', () => {
  it('a local day is 23 hours on the spring-forward day and 25 on the fall-back day (America/New_York)', () => {
    const tz = 'America/New_York';
    const spring = bucketOf(bucketKeyOf(Date.parse('2026-03-08T12:00:00Z'), '1d', tz), '1d', tz);
    expect([new Date(spring.start).toISOString(), (spring.end - spring.start) / 3_600_000]).toEqual(['2026-03-08T05:00:00.000Z', 23]);
    const fall = bucketOf(bucketKeyOf(Date.parse('2026-11-01T12:00:00Z'), '1d', tz), '1d', tz);
    expect([new Date(fall.start).toISOString(), (fall.end - fall.start) / 3_600_000]).toEqual(['2026-11-01T04:00:00.000Z', 25]);
  });

  it('the fall-back hour is two hour buckets; a :30 zone\'s hours start at :30 UTC; weeks start on Monday', () => {
    const tz = 'America/New_York';
    const a = bucketKeyOf(Date.parse('2026-11-01T05:10:00Z'), '1h', tz); // 01:10 EDT
    const b = bucketKeyOf(Date.parse('2026-11-01T06:10:00Z'), '1h', tz); // 01:10 EST
    expect([new Date(a).toISOString(), new Date(b).toISOString()]).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    expect(new Date(bucketKeyOf(Date.parse('2026-03-09T10:10:00Z'), '1h', 'Asia/Kolkata')).toISOString()).toBe('2026-03-09T09:30:00.000Z');
    const week = bucketOf(bucketKeyOf(Date.parse('2026-03-12T10:00:00Z'), '1w', 'Europe/Berlin'), '1w', 'Europe/Berlin');
    expect(new Date(week.start).toISOString()).toBe('2026-03-08T23:00:00.000Z'); // Monday 9 March, 00:00 CET
    // The week holding the spring-forward Sunday (29 March in Berlin) is an hour short.
    const dst = bucketOf(bucketKeyOf(Date.parse('2026-03-25T10:00:00Z'), '1w', 'Europe/Berlin'), '1w', 'Europe/Berlin');
    expect((dst.end - dst.start) / 3_600_000).toBe(167);
  });

  it('the judged bucket is the latest complete one and training the buckets before it', () => {
    const w = bucketWindow(Date.parse('2026-03-10T03:00:00Z'), '1d', 3, 'Europe/Berlin'); // 04:00 local on the 10th
    expect(new Date(w.judged.start).toISOString()).toBe('2026-03-08T23:00:00.000Z');
    expect(w.training.map((b) => new Date(b.start).toISOString().slice(0, 10))).toEqual(['2026-03-05', '2026-03-06', '2026-03-07']);
    expect(toInstant(Date.parse('2026-03-29T02:30:00Z'), 'Europe/Berlin')).toBe(Date.parse('2026-03-29T01:30:00Z')); // in the gap: after it
  });
});

describe('points from history (no timestamp_column)', () => {
  it('learns from the check\'s own earlier runs, flags a drop, and a --now in the past learns only from before it', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/o.csv\nchecks:\n  - row_count:\n      anomaly: { min_points: 4 }\n  - row_count:\n      name: guarded\n      fail: { min: 50 }\n      anomaly: { min_points: 4 }\n',
    });
    const counts = [100, 104, 98, 101, 103, 99, 102, 10];
    const runs: Result[] = [];
    for (const [i, n] of counts.entries()) {
      await writeData(dir, 'data/o.csv', `select range as id from range(${n})`);
      const { byId } = await runProject(dir, { now: new Date(Date.parse('2026-03-01T06:00:00Z') + i * DAY) });
      runs.push(byId.get('orders.row_count') as Result);
      if (i === counts.length - 1) {
        // Thresholds are checked first: the fail stands, with the band beside it.
        const guarded = byId.get('orders.guarded');
        expect(guarded?.status).toBe('fail');
        expect(anomaly(guarded)).toMatchObject({ points: 7 });
      }
    }
    expect(runs.slice(0, 4).map((r) => [r.status, r.message])).toEqual([0, 1, 2, 3].map((i) => ['pass', `learning: ${i} of 4 points`]));
    expect(anomaly(runs[2])).toEqual({ learning: true, points: 2, needed: 4 });
    const normal = runs[6] as Result;
    expect(normal.status).toBe('pass');
    expect(anomaly(normal)).toMatchObject({ points: 6, method: expect.any(String) });
    const a = anomaly(normal) as { expected: number; lower: number; upper: number };
    expect(a.lower).toBeLessThan(102);
    expect(a.upper).toBeGreaterThan(102);
    expect(a.expected).toBeGreaterThan(95);
    expect(a.expected).toBeLessThan(106);
    const drop = runs[7] as Result;
    expect(drop.status).toBe('warn');
    expect(drop.value).toBe(10);
    expect(drop.message).toMatch(/^10 rows, expected [\d,.]+–[\d,.]+; warn$/);

    // Replaying day 3 now that eight days are recorded: only the two runs before it count.
    await writeData(dir, 'data/o.csv', 'select range as id from range(98)');
    const replay = (await runProject(dir, { now: new Date(Date.parse('2026-03-01T06:00:00Z') + 2 * DAY) })).byId.get('orders.row_count');
    expect(replay?.message).toBe('learning: 2 of 4 points');
  });

  it('runs in error are no points', async () => {
    const dir = makeProject({ 'checks/o.yaml': 'dataset: orders\nsource: ../data/o.csv\nchecks:\n  - row_count: { anomaly: { min_points: 5 } }\n' });
    const at = (i: number) => new Date(Date.parse('2026-03-01T06:00:00Z') + i * DAY);
    await writeData(dir, 'data/o.csv', 'select range as id from range(10)');
    await runProject(dir, { now: at(0) });
    rmSync(path.join(dir, 'data/o.csv'));
    expect((await runProject(dir, { now: at(1) })).byId.get('orders.row_count')?.status).toBe('error');
    await writeData(dir, 'data/o.csv', 'select range as id from range(10)');
    expect((await runProject(dir, { now: at(2) })).byId.get('orders.row_count')?.message).toBe('learning: 1 of 5 points');
  });
});

/** Rows every 15 minutes from `from` (UTC) for `days` days; `skip(ms)` drops a row; email NULL where `nullAt(ms)`. */
function series(from: string, days: number, where = 'true'): string {
  return `select range as id, TIMESTAMPTZ '${from}' + to_minutes(range * 15) as created_at,
    case when range % 20 = 0 then null else 'x' end as email
    from range(${days * 96}) where ${where}`;
}

describe('points from the data (timestamp_column)', () => {
  it('row_count per local day across a DST change: a 23-hour day is judged as it is; an outage day warns', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/o.parquet\ntimezone: America/New_York\nchecks:\n'
        + '  - row_count: { anomaly: { timestamp_column: created_at, training: 14d } }\n',
    });
    // 15-minute rows from 1 March (local midnight) for 20 days; 8 March has 23 hours (92 rows), 15 March lost 3/4 of its rows.
    await writeData(dir, 'data/o.parquet', series('2026-03-01 05:00:00+00', 20,
      "not (created_at >= TIMESTAMPTZ '2026-03-15 04:00:00+00' and created_at < TIMESTAMPTZ '2026-03-16 04:00:00+00' and range % 4 <> 0)"));
    const at = async (iso: string) => (await runProject(dir, { now: new Date(iso) })).byId.get('orders.row_count') as Result;
    const dst = await at('2026-03-09T09:00:00-04:00');
    expect(dst.value).toBe(92);
    expect(anomaly(dst)).toMatchObject({ bucket_start: '2026-03-08T05:00:00.000Z', bucket_end: '2026-03-09T04:00:00.000Z', points: 7 });
    expect(dst.status).toBe('pass');
    const normal = await at('2026-03-15T00:30:00-04:00');
    expect([normal.value, normal.status]).toEqual([96, 'pass']);
    expect(normal.message).toMatch(/^96 rows on 2026-03-14, expected [\d,.]+–[\d,.]+$/);
    const outage = await at('2026-03-16T00:30:00-04:00');
    expect([outage.value, outage.status]).toEqual([24, 'warn']);
    expect(outage.message).toMatch(/^24 rows on 2026-03-15, expected [\d,.]+–[\d,.]+; warn$/);
    expect(anomaly(outage)).toMatchObject({ points: 14, anomalous: true, direction: 'down' });
  });

  it('a --now replay of a past day is exact: rows that arrived later, and the day still filling, are ignored', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/*.parquet\ntimezone: Europe/Berlin\nchecks:\n'
        + '  - row_count: { anomaly: { timestamp_column: created_at, min_points: 3 } }\n'
        + '  - nulls: { column: email, anomaly: { timestamp_column: created_at, min_points: 3 } }\n',
    });
    await writeData(dir, 'data/a.parquet', series('2026-02-28 23:00:00+00', 8));
    const now = new Date('2026-03-06T13:00:00+01:00');
    const first = (await runProject(dir, { now })).byId;
    // Later rows: the rest of the 6th (still filling at `now`) and the days after.
    await writeData(dir, 'data/b.parquet', series('2026-03-08 23:00:00+00', 5));
    const again = (await runProject(dir, { now })).byId;
    for (const id of ['orders.row_count', 'orders.nulls.email']) {
      expect(again.get(id)?.value).toBe(first.get(id)?.value);
      expect(again.get(id)?.details).toEqual(first.get(id)?.details);
      expect(again.get(id)?.message).toBe(first.get(id)?.message);
    }
    expect(first.get('orders.row_count')?.value).toBe(96);
    expect(anomaly(first.get('orders.row_count'))).toMatchObject({ bucket_start: '2026-03-04T23:00:00.000Z', points: 4 });
    // Rows 384–479 are the judged day; 400, 420, 440 and 460 have a NULL email: 4 of 96.
    expect(first.get('orders.nulls.email')).toMatchObject({ unit: '%', status: 'pass' });
    expect(first.get('orders.nulls.email')?.value).toBeCloseTo(4.1667, 3);
    expect(first.get('orders.nulls.email')?.message).toMatch(/^4\.17% NULL email on 2026-03-05, expected [\d.]+%–[\d.]+%$/);
  });

  it('learning: buckets before the first row are no points; an empty bucket after it is 0 rows (an outage)', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/o.parquet\nchecks:\n  - row_count: { anomaly: { timestamp_column: created_at, min_points: 3 } }\n',
    });
    // Three days of data from 1 March (UTC), then nothing on the 4th.
    await writeData(dir, 'data/o.parquet', series('2026-03-01 00:00:00+00', 3));
    const learning = (await runProject(dir, { now: new Date('2026-03-03T06:00:00Z') })).byId.get('orders.row_count');
    expect(learning).toMatchObject({ status: 'pass', value: 96, message: 'learning: 1 of 3 points' });
    expect(anomaly(learning)).toMatchObject({ learning: true, points: 1, needed: 3, bucket_start: '2026-03-02T00:00:00.000Z' });
    const empty = (await runProject(dir, { now: new Date('2026-03-05T06:00:00Z') })).byId.get('orders.row_count');
    expect([empty?.value, empty?.status]).toEqual([0, 'warn']);
    const before = (await runProject(dir, { now: new Date('2026-02-20T06:00:00Z') })).byId.get('orders.row_count');
    expect([before?.value, before?.status]).toEqual([null, 'pass']);
    expect(before?.message).toMatch(/^learning: 0 of 3 points/);
  });
});

describe('hourly buckets with day_of_week', () => {
  it('compare an hour with the same hour of the same weekday', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/o.parquet\nchecks:\n'
        + '  - row_count: { anomaly: { timestamp_column: created_at, bucket: 1h, seasonality: day_of_week, training: 3w, min_points: 3 } }\n',
    });
    // Busy 09:00–17:00 (40 rows an hour), quiet otherwise (4 an hour), every day for 4 weeks.
    await writeData(dir, 'data/o.parquet', `select range as id, TIMESTAMPTZ '2026-03-02 00:00:00+00' + to_seconds(range * 90) as created_at from range(4 * 7 * 960)
      where extract(hour from (TIMESTAMPTZ '2026-03-02 00:00:00+00' + to_seconds(range * 90)) at time zone 'UTC') between 9 and 16 or range % 10 = 0`);
    const r = (await runProject(dir, { now: new Date('2026-03-23T10:00:00Z') })).byId.get('orders.row_count');
    expect(r?.value).toBe(40);
    expect(r?.status).toBe('pass');
    expect(anomaly(r)).toMatchObject({ points: 3 });
  });
});
