// SLO burn-rate alerts through real delivery: `alert: burn_rate` on an
// objective, a run a minute driven by --now, a real HTTP receiver (webhook).
// The burn-rate alert is an incident of its own: it opens as a page when the
// budget burns fast over both windows, goes quiet while it only burns slowly
// (ticket: warn), and resolves once the short windows are clean.

import { afterAll, describe, expect, it } from 'vitest';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { cleanupProjects, makeProject, vigil, writeFile } from './helpers.js';

let hook: SlackStandIn;
afterAll(async () => { await hook?.close(); cleanupProjects(); });

interface Note { check: string; event: string; status: string; message: string; incident_id: string }
const T0 = Date.parse('2026-03-10T08:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('burn-rate alerts', () => {
  it('page → (ticket, quiet) → resolved, as notifications with their own incident, beside the check\'s own', async () => {
    hook = await slackStandIn();
    const dir = makeProject({
      'checks/orders.yaml': [
        'dataset: orders', 'source: ../data/orders.csv', 'checks:', '  - row_count: { fail: { min: 1 } }',
        'slo:', '  window: 28d', '  objectives:', '    - { check: row_count, target: 99%, alert: burn_rate }',
      ].join('\n'),
      'alerts/alerts.yaml': `channels:\n  - { name: hook, type: webhook, url: "${hook.url}/hook" }\nroutes:\n  - channels: [hook]\n`,
    });
    const rows = (n: number) => writeFile(dir, 'data/orders.csv', `id\n${Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('')}`);
    const notes = () => hook.requests.flatMap((r) => (r.body as unknown as { notifications: Note[] }).notifications);
    const run = async (minute: number) => {
      const r = await vigil(['run', '--now', at(minute), '--json'], { cwd: dir, env: { VIGIL_ALERT_WAIT_MS: '10000' } });
      expect([0, 1], r.stderr).toContain(r.code);
      return JSON.parse(r.stdout) as { results: Array<{ check: string }> };
    };

    rows(3);
    for (const m of [0, 1, 2, 3]) await run(m);
    expect(notes()).toEqual([]);

    // One failing run in five: 20× over the last hour and over the last 5 minutes — a page.
    rows(0);
    const failing = await run(4);
    // The verdict is an alert, not a check: the run's results are the configured checks only.
    expect(failing.results.map((r) => r.check)).toEqual(['orders.row_count']);
    const page = notes().find((n) => n.check === 'orders.slo:row_count');
    expect(page).toMatchObject({ event: 'opened', status: 'fail' });
    expect(page?.message).toMatch(/^SLO 99% on orders\.row_count: the error budget burns 20× over 1h and 20× over 5m \(page at 14\.4×\)$/);
    expect(notes().map((n) => `${n.check}:${n.event}`).sort()).toEqual(['orders.row_count:opened', 'orders.slo:row_count:opened']);

    await run(5); // still failing: the same state, nothing new
    expect(notes()).toHaveLength(2);

    // An hour later, passing: the last hour and 30 minutes are clean (no page), 2 failures in 7 runs over 6h and 3d still
    // burn the budget (a ticket, warn): fail → warn is quiet. The check's own incident resolves.
    rows(3);
    await run(65);
    expect(notes().map((n) => `${n.check}:${n.event}`).slice(2)).toEqual(['orders.row_count:resolved']);

    // Seven hours on: the 6h window holds no failure — the burn-rate incident resolves, with its own notification.
    await run(7 * 60);
    const last = notes().at(-1);
    expect(last).toMatchObject({ check: 'orders.slo:row_count', event: 'resolved', incident_id: page?.incident_id });
    expect(notes()).toHaveLength(4);
  }, 120_000);
});
