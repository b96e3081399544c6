// vigil backtest: replaying a check's anomaly detection over past days, from
// the data (timestamp_column, no history needed) or from recorded runs.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backtest } from '../src/anomaly/backtest.js';
import { cleanupProjects, makeProject, vigil, writeData, writeFile } from './helpers.js';

afterAll(cleanupProjects);

const DAY = 86_400_000;

describe('vigil backtest', () => {
  it('from the data: each of the last days judged against the days before it, with no store at all', async () => {
    const dir = makeProject({
      'checks/o.yaml': 'dataset: orders\nsource: ../data/o.parquet\ntimezone: Europe/Berlin\nchecks:\n'
        + '  - row_count: { anomaly: { timestamp_column: created_at, training: 14d } }\n  - row_count: { name: plain, fail: { min: 1 } }\n',
    });
    // 15-minute rows for 30 local days from 1 March; 20 March lost three quarters of its rows.
    await writeData(dir, 'data/o.parquet', `select range as id, TIMESTAMPTZ '2026-02-28 23:00:00+00' + to_minutes(range * 15) as created_at from range(30 * 96)
      where not (created_at >= TIMESTAMPTZ '2026-03-19 23:00:00+00' and created_at < TIMESTAMPTZ '2026-03-20 23:00:00+00' and range % 4 <> 0)`);
    const r = await vigil(['backtest', 'orders.row_count', '--days', '10', '--now', '2026-03-25T08:00:00+01:00', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout) as Backtest;
    expect(b).toMatchObject({ check: 'orders.row_count', source: 'data', bucket: '1d', unit: 'rows', error: null, alerts: 1 });
    expect(b.points.map((p) => p.local)).toEqual(Array.from({ length: 10 }, (_, i) => `2026-03-${String(15 + i).padStart(2, '0')}`));
    const outage = b.points.find((p) => p.status !== 'pass');
    expect(outage).toMatchObject({ local: '2026-03-20', value: 24, status: 'warn', learning: false, points: 14 });
    for (const p of b.points.filter((x) => x !== outage)) {
      // The 29th has 23 hours (Berlin's clocks go forward): 92 rows, still normal.
      expect(p.value).toBe(p.local === '2026-03-29' ? 92 : 96);
      expect(p.lower as number).toBeLessThan(p.value as number);
      expect(p.upper as number).toBeGreaterThan(p.value as number);
    }
    expect(existsSync(path.join(dir, '.vigil'))).toBe(false);

    const text = await vigil(['backtest', 'orders.row_count', '--days', '10', '--now', '2026-03-25T08:00:00+01:00'], { cwd: dir });
    expect(text.stdout).toMatch(/^BUCKET\s+VALUE\s+EXPECTED\s+WOULD ALERT$/m);
    expect(text.stdout).toMatch(/^2026-03-20\s+24 rows\s+[\d,.]+–[\d,.]+\s+warn$/m);
    expect(text.stdout).toMatch(/10 1d buckets from the data, .*; 1 would have alerted \(warn\) at sensitivity 3/);
  }, 60_000);

  it('from history: the recorded runs of the last days, each against the runs before it', async () => {
    const dir = makeProject({ 'checks/o.yaml': 'dataset: orders\nsource: ../data/o.csv\nchecks:\n  - row_count: { anomaly: { min_points: 4 } }\n' });
    const counts = [100, 104, 98, 101, 103, 99, 102, 10];
    const t0 = Date.parse('2026-03-01T06:00:00Z');
    for (const [i, n] of counts.entries()) {
      writeFile(dir, 'data/o.csv', `id\n${Array.from({ length: n }, (_, k) => k).join('\n')}\n`);
      const run = await vigil(['run', '--no-alerts', '--now', new Date(t0 + i * DAY).toISOString()], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
    }
    const r = await vigil(['backtest', 'orders.row_count', '--days', '5', '--now', new Date(t0 + 7 * DAY + 3_600_000).toISOString(), '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout) as Backtest;
    expect(b).toMatchObject({ source: 'history', bucket: null, alerts: 1 });
    expect(b.points.map((p) => p.value)).toEqual([101, 103, 99, 102, 10]);
    expect(b.points.map((p) => p.points)).toEqual([3, 4, 5, 6, 7]);
    expect(b.points[0]).toMatchObject({ learning: true, status: 'pass' });
    expect(b.points[4]).toMatchObject({ learning: false, status: 'warn' });
  }, 60_000);

  it('says what is wrong with a check it cannot backtest (exit 3)', async () => {
    const dir = makeProject({ 'checks/o.yaml': 'dataset: orders\nsource: ../data/o.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - row_count: { name: learnt, anomaly: {} }\n' });
    const unknown = await vigil(['backtest', 'orders.nope'], { cwd: dir });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no check orders\.nope in this project — checks with anomaly: orders\.learnt/);
    const plain = await vigil(['backtest', 'orders.row_count'], { cwd: dir });
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/has no anomaly: — add anomaly: \{\}/);
    const days = await vigil(['backtest', 'orders.learnt', '--days', 'many'], { cwd: dir });
    expect(days.code).toBe(3);
    expect(days.stderr).toMatch(/--days must be a whole number/);
  }, 60_000);
});
