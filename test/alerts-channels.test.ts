// PagerDuty Events API v2 and the generic webhook, against real HTTP
// receivers on port 0: the incident's life as trigger → resolve under one
// dedup_key, 429/5xx retried, 400 permanent with PagerDuty's reason shown;
// the webhook's documented body, its HMAC-SHA256 signature, retries like Slack.

import { createHmac } from 'node:crypto';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pagerdutyChannel, pagerdutyEvents, pagerdutyAction } from '../src/alerts/channels/pagerduty.js';
import { webhookChannel, webhookSignature } from '../src/alerts/channels/webhook.js';
import type { AlertMessage } from '../src/alerts/message.js';
import type { NotificationItem } from '../src/alerts/routing.js';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile, type CliResult } from './helpers.js';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';

afterAll(cleanupProjects);
const servers: SlackStandIn[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });
async function receiver(script: SlackStandIn['script'] = []): Promise<SlackStandIn> {
  const s = await slackStandIn(script);
  servers.push(s);
  return s;
}

const ROUTING_KEY = 'R0UT1NGKEYabcdef0123456789abcdef';
const HMAC_SECRET = 'whsec-0123456789abcdef';
const pos = { file: 'alerts.yaml', line: 1, col: 1 };

function item(event: NotificationItem['event'], incidentId = 'inc1', status: NotificationItem['status'] = 'fail'): NotificationItem {
  return {
    event, incidentId, at: '2026-01-01T00:00:00.000Z', check: 'orders.row_count', name: 'row_count', kind: 'row_count', dataset: 'orders',
    status, previousStatus: null, value: 1, unit: 'rows', message: '1 row; fail below 2', thresholds: { fail: { min: 2 } },
    runbook: 'https://runbooks.example.com/orders', owner: 'payments-data', tags: ['tier-1'], openedAt: '2026-01-01T00:00:00.000Z',
  };
}
function message(items: NotificationItem[]): AlertMessage {
  return {
    key: 'k1', channel: 'pd', dataset: 'orders', runId: 'r1', createdAt: '2026-01-01T00:00:01.000Z', description: 'One row per order',
    owner: 'payments-data', tags: ['tier-1'], runbook: null, dashboardUrl: 'https://vigil.example.com/datasets/orders', atRisk: ['order_items'], items,
  };
}

describe('PagerDuty events (pure)', () => {
  it.each([
    ['opened', 'trigger'], ['escalated', 'trigger'], ['reminder', null], ['acknowledged', 'acknowledge'], ['resolved', 'resolve'],
  ] as const)('%s → %s', (event, action) => {
    expect(pagerdutyAction(event)).toBe(action);
  });

  it('one event per item, dedup_key = the incident id, severity from the status, links to dashboard and runbook', () => {
    const events = pagerdutyEvents(message([item('opened', 'a', 'fail'), item('reminder', 'b'), item('escalated', 'c', 'error'), item('resolved', 'd')]), ROUTING_KEY);
    expect(events.map((e) => [e.event_action, e.dedup_key, e.payload?.severity])).toEqual([
      ['trigger', 'a', 'critical'], ['trigger', 'c', 'error'], ['resolve', 'd', undefined],
    ]);
    expect(events[0]).toMatchObject({
      routing_key: ROUTING_KEY, client: 'vigil', client_url: 'https://vigil.example.com/datasets/orders',
      payload: { summary: 'orders.row_count fail: 1 row; fail below 2', source: 'orders', component: 'orders', group: 'payments-data', class: 'row_count',
        custom_details: { observed: 'observed 1 row; fail below 2', downstream_at_risk: ['order_items'] } },
      links: [{ href: 'https://vigil.example.com/datasets/orders', text: 'Dashboard: orders' }, { href: 'https://runbooks.example.com/orders', text: 'Runbook' }],
    });
    expect(events[2]).not.toHaveProperty('payload');
  });
});

describe('PagerDuty channel', () => {
  const def = (url: string) => ({ name: 'pd', type: 'pagerduty' as const, routingKey: ROUTING_KEY, url, pos });

  it('posts each event as JSON; a message of reminders only sends nothing', async () => {
    const pd = await receiver();
    const ch = pagerdutyChannel(def(`${pd.url}/v2/enqueue`), {});
    expect(await ch.send(message([item('opened'), item('resolved', 'x')]))).toMatchObject({ ok: true });
    expect(pd.requests.map((r) => [r.path, r.headers['content-type'], r.body])).toEqual([
      ['/v2/enqueue', 'application/json', expect.objectContaining({ event_action: 'trigger', dedup_key: 'inc1' })],
      ['/v2/enqueue', 'application/json', expect.objectContaining({ event_action: 'resolve', dedup_key: 'x' })],
    ]);
    expect(await ch.send(message([item('reminder')]))).toMatchObject({ ok: true });
    expect(pd.requests).toHaveLength(2);
  });

  it('429 and 5xx are retryable (Retry-After kept), 400 is permanent and names what PagerDuty refused', async () => {
    const pd = await receiver([
      { status: 429, body: '{"status":"throttle event"}', headers: { 'retry-after': '3' } },
      { status: 502, body: 'bad gateway' },
      { status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"] }) },
    ]);
    const ch = pagerdutyChannel(def(`${pd.url}/v2/enqueue`), {});
    const m = message([item('opened')]);
    expect(await ch.send(m)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 3000 });
    expect(await ch.send(m)).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('HTTP 502') });
    const refused = await ch.send(m);
    expect(refused).toMatchObject({ ok: false, retryable: false });
    expect(!refused.ok && refused.error).toContain("Length of 'routing_key' is incorrect");
  });
});

describe('webhook channel', () => {
  it('the documented body, an idempotency key, and a signature over timestamp.body that the receiver can verify', async () => {
    const hook = await receiver();
    const ch = webhookChannel({ name: 'hook', type: 'webhook', url: `${hook.url}/in`, secret: HMAC_SECRET, headers: { 'x-team': 'data' }, pos }, {});
    expect(await ch.send(message([item('opened')]))).toMatchObject({ ok: true });
    const [req] = hook.requests;
    expect(req?.headers['x-vigil-idempotency-key']).toBe('k1');
    expect(req?.headers['x-team']).toBe('data');
    const ts = String(req?.headers['x-vigil-timestamp']);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const expected = `sha256=${createHmac('sha256', HMAC_SECRET).update(`${ts}.${req?.raw}`).digest('hex')}`;
    expect(req?.headers['x-vigil-signature']).toBe(expected);
    expect(webhookSignature(HMAC_SECRET, ts, req?.raw ?? '')).toBe(expected);
    expect(req?.body).toEqual({
      version: 1, key: 'k1', test: false, dataset: 'orders', status: 'fail', summary: '[FAIL] orders: 1 check failing',
      description: 'One row per order', owner: 'payments-data', tags: ['tier-1'], runbook: null,
      dashboard_url: 'https://vigil.example.com/datasets/orders', downstream_at_risk: ['order_items'], downstream_failing: [], silenced: [], run_id: 'r1', created_at: '2026-01-01T00:00:01.000Z',
      notifications: [{
        incident_id: 'inc1', event: 'opened', at: '2026-01-01T00:00:00.000Z', check: 'orders.row_count', name: 'row_count', kind: 'row_count',
        status: 'fail', previous_status: null, value: 1, unit: 'rows', observed: '1 row', message: '1 row; fail below 2',
        thresholds: { fail: { min: 2 } }, runbook: 'https://runbooks.example.com/orders', owner: 'payments-data', tags: ['tier-1'], first_seen: '2026-01-01T00:00:00.000Z', incident_url: null,
      }],
    });
  });

  it('without a secret there is no signature header; 429/503 retryable, 404 permanent', async () => {
    const hook = await receiver([{ status: 429, headers: { 'retry-after': '2' } }, { status: 503 }, { status: 404, body: 'not found' }]);
    const ch = webhookChannel({ name: 'hook', type: 'webhook', url: `${hook.url}/in`, secret: null, headers: {}, pos }, {});
    const m = message([item('opened')]);
    expect(await ch.send(m)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 2000 });
    expect(await ch.send(m)).toMatchObject({ ok: false, retryable: true });
    expect(await ch.send(m)).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('HTTP 404') });
    expect(hook.requests[0]?.headers).not.toHaveProperty('x-vigil-signature');
  });
});

// ---- end to end through bin/vigil ----

const ORDERS = `dataset: orders
source: ../data/orders.csv
owner: payments-data
runbook: https://runbooks.example.com/data/orders
checks:
  - row_count: { fail: { min: 2 } }
`;
const ALERTS = `channels:
  - name: pager
    type: pagerduty
    routing_key: \${PD_KEY}
    url: \${PD_URL}
  - name: hook
    type: webhook
    url: \${HOOK_URL}
    secret: \${HOOK_SECRET}
routes:
  - channels: [pager, hook]
`;
const writeOrders = (dir: string, rows: number) => writeFile(dir, 'data/orders.csv', `id\n${Array.from({ length: rows }, (_, i) => i + 1).join('\n')}\n`);
const run = (dir: string, env: Record<string, string>, args: string[] = []): Promise<CliResult> =>
  vigil(['run', ...args], { cwd: dir, env: { VIGIL_ALERT_BACKOFF_MS: '1', ...env } });

describe('through vigil run', () => {
  it('an incident is triggered then resolved on PagerDuty under its id; the webhook hears both, signed; no secret is printed or stored', async () => {
    const pd = await receiver();
    const hook = await receiver();
    const dir = makeProject({ 'vigil.yaml': 'dashboard: { public_url: "https://vigil.example.com" }\n', 'checks/orders.yaml': ORDERS, 'alerts/alerts.yaml': ALERTS });
    const env = { PD_KEY: ROUTING_KEY, PD_URL: `${pd.url}/v2/enqueue`, HOOK_URL: `${hook.url}/vigil`, HOOK_SECRET: HMAC_SECRET };
    writeOrders(dir, 1);
    const failing = await run(dir, env);
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stderr).toContain('alerts: 2 sent');
    writeOrders(dir, 5);
    const passing = await run(dir, env);
    expect(passing.code, passing.stderr).toBe(0);
    const [incident] = await queryDb(path.join(dir, '.vigil', 'vigil.duckdb'), 'select id from incidents');
    expect(pd.requests.map((r) => r.body as unknown as Record<string, unknown>).map((b) => [b.event_action, b.dedup_key, b.routing_key])).toEqual([
      ['trigger', incident?.id, ROUTING_KEY], ['resolve', incident?.id, ROUTING_KEY],
    ]);
    expect(hook.requests.map((r) => (r.body as unknown as { status: string }).status)).toEqual(['fail', 'resolved']);
    for (const r of hook.requests) {
      expect(r.headers['x-vigil-signature']).toBe(webhookSignature(HMAC_SECRET, String(r.headers['x-vigil-timestamp']), r.raw));
    }
    const stored = JSON.stringify(await queryDb(path.join(dir, '.vigil', 'vigil.duckdb'), 'select * from outbox'));
    for (const text of [failing.stdout, failing.stderr, passing.stdout, passing.stderr, stored]) {
      expect(text).not.toContain(ROUTING_KEY);
      expect(text).not.toContain(HMAC_SECRET);
    }
  });

  it('PagerDuty 400 fails for good: vigil run says why, the outbox keeps it as failed, the next run does not resend; the webhook still delivers', async () => {
    const pd = await receiver([{ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing"] }) }]);
    const hook = await receiver([{ status: 500 }]);
    const dir = makeProject({ 'checks/orders.yaml': ORDERS, 'alerts/alerts.yaml': ALERTS });
    const env = { PD_KEY: ROUTING_KEY, PD_URL: `${pd.url}/v2/enqueue`, HOOK_URL: `${hook.url}/vigil`, HOOK_SECRET: HMAC_SECRET };
    writeOrders(dir, 1);
    const res = await run(dir, env);
    expect(res.stderr).toMatch(/FAILED for good, not retried \(pager: PagerDuty answered HTTP 400 .*'payload.summary' is missing/);
    const rows = await queryDb(path.join(dir, '.vigil', 'vigil.duckdb'), 'select channel, state, last_error from outbox order by channel');
    expect(rows.map((r) => [r.channel, r.state])).toEqual([['hook', 'pending'], ['pager', 'failed']]);
    const next = await run(dir, env);
    expect(next.stderr).toContain('alerts: 1 sent');
    expect(pd.requests).toHaveLength(1);
    expect(hook.requests).toHaveLength(2);
  });
});
