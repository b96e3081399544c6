// Alerts in vigil serve: notifications a CLI run could not deliver are sent by
// the daemon at start-up, exactly once; runs handed to the daemon alert too;
// GET /api/incidents shows incidents (silenced ones marked, not hidden) behind
// the dashboard token; vigil_notifications_total counts deliveries.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile } from './helpers.js';
import { api, killAllDaemons, metricValue, sleep, startServe, stopServe, waitFor } from './serve-helpers.js';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import type { IncidentsResponse } from '../src/server/api-types.js';

const SECRET = 's3cr3tServeT0ken';
const servers: SlackStandIn[] = [];
afterEach(async () => {
  await killAllDaemons();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(cleanupProjects);

describe('vigil serve delivers alerts', () => {
  it('sends what a CLI run left in the outbox once at start-up, alerts for runs it does, and serves /api/incidents', async () => {
    const slack = await slackStandIn([{ status: 503, body: 'service_unavailable' }]);
    servers.push(slack);
    const dir = makeProject({
      // A yearly schedule: nothing runs by itself during the test.
      'vigil.yaml': 'schedule: "0 0 1 1 *"\ndashboard: { port: 0, token: dash-token-1 }\n',
      'checks/orders.yaml': 'dataset: orders\nsource: ../data/orders.csv\nowner: payments-data\nchecks:\n  - row_count: { fail: { min: 2 } }\n',
      'checks/legacy.yaml': 'dataset: legacy_events\nsource: ../data/legacy.csv\nchecks:\n  - row_count: { fail: { min: 2 } }\n',
      'data/orders.csv': 'id\n1\n',
      'data/legacy.csv': 'id\n1\n',
      'alerts/alerts.yaml': `channels:
  - name: data-alerts
    type: slack
    webhook_url: \${SLACK_WEBHOOK_URL}
routes:
  - channels: [data-alerts]
silences:
  - match: { dataset: legacy_events }
    until: 2999-12-01T00:00:00Z
    reason: migration to v2
`,
    });
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/${SECRET}`, VIGIL_ALERT_BACKOFF_MS: '1', VIGIL_ALERT_INTERVAL_MS: '200' };
    const cli = await vigil(['run'], { cwd: dir, env });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('1 will be retried');
    expect(slack.requests).toHaveLength(1);

    const d = await startServe(dir, { env });
    await waitFor('the pending notification to be delivered', () => slack.requests.length >= 2, { daemon: d });
    expect(slack.requests[1]?.body).toEqual(slack.requests[0]?.body);
    expect(slack.requests[1]?.body.text).toBe('[FAIL] orders: 1 check failing');

    // The API: token required; silenced incidents shown as silenced.
    expect((await api(d, '/api/incidents')).status).toBe(401);
    const open = await api<IncidentsResponse>(d, '/api/incidents?state=open', { auth: 'dash-token-1' });
    expect(open.status).toBe(200);
    const byCheck = new Map(open.body.incidents.map((i) => [i.check, i]));
    expect(byCheck.get('orders.row_count')).toMatchObject({
      dataset: 'orders', kind: 'row_count', status: 'fail', state: 'open', resolved_at: null, last_event: 'opened', silenced: null, owner: 'payments-data',
      history: [expect.objectContaining({ status: 'fail', event: 'opened' })],
    });
    expect(byCheck.get('legacy_events.row_count')?.silenced).toEqual({ reason: 'migration to v2', until: '2999-12-01T00:00:00.000Z' });
    expect((await api(d, '/api/incidents?state=bogus', { auth: 'dash-token-1' })).status).toBe(400);

    // A run handed to the daemon records the recovery and the daemon sends it.
    writeFile(dir, 'data/orders.csv', 'id\n1\n2\n3\n');
    const handed = await vigil(['run', 'orders'], { cwd: dir, env });
    expect(handed.code, handed.stderr).toBe(0);
    await waitFor('the resolved notification', () => slack.requests.length >= 3, { daemon: d });
    expect(slack.requests[2]?.body.text).toBe('[RESOLVED] orders: 1 check back to pass');
    const resolved = await api<IncidentsResponse>(d, '/api/incidents?state=resolved', { auth: 'dash-token-1' });
    expect(resolved.body.incidents.map((i) => [i.check, i.last_event])).toEqual([['orders.row_count', 'resolved']]);

    const metrics = await api(d, '/metrics', { auth: 'dash-token-1' });
    expect(metricValue(metrics.text, 'vigil_notifications_total', { channel: 'data-alerts', result: 'sent' })).toBe(2);

    // Editing the alert file takes effect without a restart.
    const reloads = d.logs().filter((l) => l.msg === 'configuration reloaded').length;
    writeFile(dir, 'alerts/alerts.yaml', `channels:\n  - name: ops\n    type: slack\n    webhook_url: ${slack.url}/ops\nroutes:\n  - channels: [ops]\n`);
    await waitFor('the reload', () => d.logs().filter((l) => l.msg === 'configuration reloaded').length > reloads, { daemon: d });
    writeFile(dir, 'data/orders.csv', 'id\n1\n');
    expect((await vigil(['run', 'orders'], { cwd: dir, env })).code).toBe(1);
    await waitFor('the new channel to get the new incident', () => slack.requests.length >= 4, { daemon: d });
    expect([slack.requests[3]?.path, slack.requests[3]?.body.text]).toEqual(['/ops', '[FAIL] orders: 1 check failing']);

    // --no-alerts on a run handed to the daemon: the incident resolves, nothing is queued or sent.
    writeFile(dir, 'data/orders.csv', 'id\n1\n2\n');
    const quiet = await vigil(['run', 'orders', '--no-alerts'], { cwd: dir, env });
    expect(quiet.code, quiet.stderr).toBe(0);
    await sleep(800); // several deliverer intervals
    expect(slack.requests).toHaveLength(4);
    const after = await api<IncidentsResponse>(d, '/api/incidents?state=open', { auth: 'dash-token-1' });
    expect(after.body.incidents.map((i) => i.check)).not.toContain('orders.row_count');

    // An alert file that turns invalid leaves the last valid alert configuration in force.
    const before = d.logs().filter((l) => l.msg === 'configuration reloaded').length;
    writeFile(dir, 'alerts/alerts.yaml', `channels:\n  - name: ops\n    type: slack\n    webhook_url: ${slack.url}/ops\nroutes:\n  - channels: [opps]\n`);
    await waitFor('the reload', () => d.logs().filter((l) => l.msg === 'configuration reloaded').length > before, { daemon: d });
    expect(d.logs().some((l) => l.msg === 'invalid alert file: keeping the last valid alert configuration')).toBe(true);
    writeFile(dir, 'data/orders.csv', 'id\n1\n');
    // (the CLI itself refuses to alert with an invalid alert file — exit 3 — so the run goes through the API)
    expect((await vigil(['run', 'orders'], { cwd: dir, env })).code).toBe(3);
    expect((await api(d, '/api/runs', { method: 'POST', auth: 'dash-token-1', body: { select: ['orders'] } })).status).toBe(201);
    await waitFor('the kept channel to get the new incident', () => slack.requests.length >= 5, { daemon: d });
    expect([slack.requests[4]?.path, slack.requests[4]?.body.text]).toEqual(['/ops', '[FAIL] orders: 1 check failing']);

    const stopped = await stopServe(d);
    expect(stopped.code).toBe(0);
    expect(slack.requests).toHaveLength(5);
    const rows = await queryDb(`${dir}/.vigil/vigil.duckdb`, 'select dataset, state from outbox order by created_at');
    expect(rows.map((r) => r.state).sort()).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'silenced']);
    expect(d.stderr()).not.toContain(SECRET);
    expect(JSON.stringify(await queryDb(`${dir}/.vigil/vigil.duckdb`, 'select * from outbox'))).not.toContain(SECRET);
  });
});
