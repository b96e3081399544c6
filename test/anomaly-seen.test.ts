// The expected band wherever a result is seen: the `vigil run` table, the
// alert a channel receives (a real HTTP receiver playing Slack), and /metrics.

import { afterAll, describe, expect, it } from 'vitest';
import { Metrics } from '../src/server/metrics.js';
import type { RunReport } from '../src/run/run.js';
import { formatBand } from '../src/util/format.js';
import { slackStandIn } from './alerts-helpers.js';
import { cleanupProjects, makeProject, vigil, writeFile } from './helpers.js';

afterAll(cleanupProjects);

const DAY = 86_400_000;

describe('formatBand', () => {
  it('rounds the ends outwards to three figures, in the value\'s unit', () => {
    expect(formatBand(9812.4, 12061, 'rows')).toBe('9,810–12,100');
    expect(formatBand(0.0123, 3.4567, '%')).toBe('0.0123%–3.46%');
    expect(formatBand(3600, 7260, 'seconds')).toBe('1h–2h 1m');
    expect(formatBand(0, 0, 'value')).toBe('0–0');
    expect(formatBand(null, 3, 'rows')).toBe('—');
  });
});

describe('an anomaly, seen', () => {
  it('in the run table (an EXPECTED column) and in the Slack alert (observed against the expected range)', async () => {
    const slack = await slackStandIn();
    try {
      const dir = makeProject({
        'vigil.yaml': 'checks: checks\nalerts: alerts\n',
        'checks/o.yaml': 'dataset: orders\nsource: ../data/o.csv\nchecks:\n  - row_count: { anomaly: { min_points: 4 } }\n',
        'alerts/a.yaml': `channels:\n  - { name: s, type: slack, webhook_url: "${slack.url}/hook" }\nroutes:\n  - channels: [s]\n`,
      });
      const counts = [100, 103, 98, 101, 99, 102, 100, 10];
      let last = { code: 0, stdout: '', stderr: '' };
      for (const [i, n] of counts.entries()) {
        writeFile(dir, 'data/o.csv', `id\n${Array.from({ length: n }, (_, k) => k).join('\n')}\n`);
        last = await vigil(['run', '--now', new Date(Date.parse('2026-03-01T06:00:00Z') + i * DAY).toISOString()], { cwd: dir });
      }
      expect(last.code, last.stderr).toBe(0); // warn is not a failure
      const [header, row] = last.stdout.split('\n');
      expect(header).toMatch(/STATUS\s+CHECK\s+VALUE\s+EXPECTED\s+MESSAGE/);
      expect(row).toMatch(/WARN\s+orders\.row_count\s+10 rows\s+[\d,.]+–[\d,.]+\s+10 rows, expected [\d,.]+–[\d,.]+; warn/);
      expect(slack.requests).toHaveLength(1);
      const text = JSON.stringify(slack.requests[0]?.body);
      expect(text).toMatch(/observed 10 rows; expected [\d,.]+–[\d,.]+/);
      expect(text).toMatch(/10 rows, expected [\d,.]+–[\d,.]+; warn/);
    } finally {
      await slack.close();
    }
  }, 60_000);

  it('in /metrics: expected, lower and upper gauges, gone again while a check is learning', async () => {
    const m = new Metrics();
    const report = (details: Record<string, unknown>) => ({
      datasets: [{
        dataset: 'orders', startedAt: '2026-03-01T00:00:00Z', finishedAt: '2026-03-01T00:00:01Z', schema: null, error: null, queries: [],
        results: [{ check: 'orders.row_count', dataset: 'orders', kind: 'row_count', name: 'row_count', status: 'warn', value: 30, unit: 'rows', message: '', runbook: null, owner: null, tags: [], thresholds: {}, details, evaluated_at: '2026-03-01T00:00:01Z', duration_ms: 1 }],
      }],
    }) as unknown as RunReport;
    m.observe(report({ anomaly: { expected: 100, lower: 90.5, upper: 111, points: 7, score: -9, method: 'x', anomalous: true } }));
    const text = await m.registry.metrics();
    const labels = '{dataset="orders",check="orders.row_count",kind="row_count",unit="rows"}';
    expect(text).toContain(`vigil_check_expected${labels} 100`);
    expect(text).toContain(`vigil_check_expected_lower${labels} 90.5`);
    expect(text).toContain(`vigil_check_expected_upper${labels} 111`);
    m.observe(report({ anomaly: { learning: true, points: 2, needed: 7 } }));
    expect(await m.registry.metrics()).not.toContain('vigil_check_expected_lower{');
  });
});
