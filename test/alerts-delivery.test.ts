// Alerts end to end through the real bin/vigil: a real HTTP server standing in
// for Slack and a real SMTP server, both on port 0. Block Kit JSON, parsed
// email, grouping, open → escalate → remind → resolve, 429 + Retry-After,
// permanent failures, SMTP down then up, undelivered rows sent by the next
// process exactly once, --no-alerts, and secrets kept out of every output.

import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile, type CliResult } from './helpers.js';
import { freePort, slackStandIn, smtpStandIn, type SlackStandIn, type SmtpStandIn } from './alerts-helpers.js';

afterAll(cleanupProjects);
const servers: Array<SlackStandIn | SmtpStandIn> = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

const SECRET = 's3cr3tT0kenXYZ';
const SMTP_PASS = 'hunter2pass';
const ENV = { VIGIL_ALERT_BACKOFF_MS: '1', VIGIL_LOG_LEVEL: 'info' };

const ORDERS = `dataset: orders
description: One row per order
source: ../data/orders.csv
owner: payments-data
tags: [tier-1]
runbook: https://runbooks.example.com/data/orders
checks:
  - row_count: { warn: { min: 5 }, fail: { min: 2 }, runbook: "https://runbooks.example.com/data/orders#rows" }
  - nulls: { column: id, fail: 0 }
  - nulls: { column: note, fail: 0, name: note_nulls, runbook: "javascript:alert(1)" }
`;
const ITEMS = `dataset: order_items
source: ../data/items.csv
owner: payments-data
upstream: [orders]
checks:
  - row_count: { fail: { min: 1 } }
`;

/** rows: how many orders (1 → row_count fail, 3 → warn, 6 → pass); nullNotes: note is NULL somewhere. */
function writeOrders(dir: string, rows: number, nullNotes = false): void {
  const lines = ['id,note'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${nullNotes && i === 1 ? '' : 'n'}`);
  writeFile(dir, 'data/orders.csv', `${lines.join('\n')}\n`);
}

function project(alerts: string, opts: { items?: boolean } = {}): string {
  const dir = makeProject({
    'vigil.yaml': 'dashboard: { public_url: "https://vigil.example.com" }\n',
    'checks/orders.yaml': ORDERS,
    'alerts/alerts.yaml': alerts,
    ...(opts.items ? { 'checks/items.yaml': ITEMS, 'data/items.csv': 'id\n1\n' } : {}),
  });
  writeOrders(dir, 6);
  return dir;
}

const slackAlerts = (extra = '') => `channels:
  - name: data-alerts
    type: slack
    webhook_url: \${SLACK_WEBHOOK_URL}
routes:
  - channels: [data-alerts]
${extra}`;

const store = (dir: string) => path.join(dir, '.vigil', 'vigil.duckdb');

async function dump(dir: string): Promise<string> {
  const parts = await Promise.all(['outbox', 'incidents', 'incident_events'].map((t) => queryDb(store(dir), `select * from ${t}`)));
  return JSON.stringify(parts);
}

async function outbox(dir: string): Promise<Array<Record<string, unknown>>> {
  return queryDb(store(dir), 'select channel, dataset, state, attempts, last_error from outbox order by created_at, rowid');
}

function expectNoSecret(...texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toContain(SECRET);
    expect(t).not.toContain(SMTP_PASS);
  }
}

const run = (dir: string, env: Record<string, string>, args: string[] = []): Promise<CliResult> =>
  vigil(['run', ...args], { cwd: dir, env: { ...ENV, ...env } });

describe('Slack', () => {
  it('one Block Kit message per dataset: header, checks with observed vs threshold, runbook buttons, dashboard, at risk; exit code and --json untouched', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const dir = project(slackAlerts(), { items: true });
    writeOrders(dir, 1, true); // row_count fail + note_nulls fail
    writeFile(dir, 'data/items.csv', 'id\n'); // order_items.row_count fails too
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/${SECRET}` };
    const res = await run(dir, env, ['--json']);
    expect(res.code, res.stderr).toBe(1);
    const doc = JSON.parse(res.stdout) as { summary: Record<string, number> };
    expect(doc.summary.fail).toBe(3);
    expect(res.stderr).toContain('alerts: 1 sent');
    // Grouped: one message per dataset with all of that dataset's checks; order_items, failing downstream of
    // the failing orders, is held back and named in orders' message (root causes).
    expect(slack.requests.map((r) => r.body.text)).toEqual(['[FAIL] orders: 2 checks failing; 1 downstream dataset failing']);
    const req = slack.requests.find((r) => r.body.text.includes('orders: 2'))!;
    expect(req.path).toBe(`/services/T0/B0/${SECRET}`);
    const { text, blocks } = req.body;
    expect(text).toBe('[FAIL] orders: 2 checks failing; 1 downstream dataset failing');
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '🔴 orders: 2 checks failing; 1 downstream dataset failing' } });
    expect(JSON.stringify(blocks)).toContain('*Root cause:* orders is failing; 1 downstream dataset failing: order_items');
    expect(blocks.length).toBeLessThanOrEqual(50);
    const sections = blocks.filter((b) => b.type === 'section');
    const rowCount = sections.find((b) => String(b.text.text).includes('orders.row_count'));
    expect(rowCount?.text.text).toContain('observed 1 row; fail below 2, warn below 5');
    expect(rowCount?.accessory).toMatchObject({ type: 'button', url: 'https://runbooks.example.com/data/orders#rows' });
    // A javascript: runbook is never a link: the dataset's runbook stands in.
    const notes = sections.find((b) => String(b.text.text).includes('orders.note_nulls'));
    expect(notes?.accessory.url).toBe('https://runbooks.example.com/data/orders');
    expect(JSON.stringify(blocks)).not.toContain('javascript:');
    expect(JSON.stringify(blocks)).toContain('*Owner:* payments-data');
    expect(JSON.stringify(blocks)).toContain('*First seen:*');
    expect(JSON.stringify(blocks)).toContain('*Downstream at risk:* order_items');
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements.map((e: { url: string }) => e.url)).toContain('https://vigil.example.com/datasets/orders');

    // The same state next run sends nothing.
    const again = await run(dir, env, ['--json']);
    expect(again.code).toBe(1);
    expect(slack.requests).toHaveLength(1);
    expect(again.stderr).not.toContain('alerts:');
    expectNoSecret(res.stdout, res.stderr, again.stderr, await dump(dir));
  });

  it('open → escalate → remind → resolve, one message each; incidents keep first seen and history', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const dir = project(slackAlerts('policy:\n  repeat_interval: 4h\n'));
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/hook` };
    const t0 = Date.now();
    const iso = (h: number) => new Date(t0 + h * 3600_000).toISOString();
    writeOrders(dir, 3);
    expect((await run(dir, env, ['--now', iso(0)])).code).toBe(0); // warn: opened
    writeOrders(dir, 1);
    expect((await run(dir, env, ['--now', iso(1)])).code).toBe(1); // fail: escalated
    expect((await run(dir, env, ['--now', iso(2)])).code).toBe(1); // same: nothing
    expect((await run(dir, env, ['--now', iso(5.5)])).code).toBe(1); // 4h after the escalation: reminder
    writeOrders(dir, 6);
    expect((await run(dir, env, ['--now', iso(6)])).code).toBe(0); // resolved
    expect((await run(dir, env, ['--now', iso(7)])).code).toBe(0); // nothing
    expect(slack.requests.map((r) => r.body.text)).toEqual([
      '[WARN] orders: 1 check warning',
      '[FAIL] orders: 1 check failing',
      '[FAIL] orders: 1 check failing',
      '[RESOLVED] orders: 1 check back to pass',
    ]);
    const sectionText = (i: number) => JSON.stringify(slack.requests[i]?.body.blocks);
    expect(sectionText(1)).toContain('fail (escalated from warn)');
    expect(sectionText(2)).toContain('fail (still failing)');
    expect(sectionText(3)).toContain('resolved (was fail)');
    const incidents = await queryDb(store(dir), `select check_id, state, opened_at, resolved_at, last_event, status from incidents`);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ check_id: 'orders.row_count', state: 'resolved', last_event: 'resolved', status: 'fail' });
    expect((incidents[0]!.opened_at as Date).toISOString()).toBe(iso(0));
    const history = await queryDb(store(dir), `select status, event from incident_events order by event_at`);
    expect(history).toEqual([
      { status: 'warn', event: 'opened' }, { status: 'fail', event: 'escalated' }, { status: 'fail', event: 'reminder' }, { status: 'pass', event: 'resolved' },
    ]);
  });

  it('HTTP 429 with Retry-After: waits that long, then delivers once', async () => {
    const slack = await slackStandIn([{ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } }]);
    servers.push(slack);
    const dir = project(slackAlerts());
    writeOrders(dir, 1);
    const res = await run(dir, { SLACK_WEBHOOK_URL: `${slack.url}/hook` });
    expect(res.code).toBe(1);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.at - slack.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(res.stderr).toContain('alerts: 1 sent');
    expect(await outbox(dir)).toEqual([expect.objectContaining({ state: 'delivered', attempts: 2 })]);
  });

  it('HTTP 404 no_service is permanent: reported loudly, never retried, no secret anywhere', async () => {
    const slack = await slackStandIn([{ status: 404, body: 'no_service' }]);
    servers.push(slack);
    const dir = project(slackAlerts());
    writeOrders(dir, 1);
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/${SECRET}` };
    const res = await run(dir, env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 FAILED for good, not retried \(data-alerts: Slack answered HTTP 404 no_service/);
    const rows = await outbox(dir);
    expect(rows).toEqual([expect.objectContaining({ state: 'failed', attempts: 1 })]);
    expect(String(rows[0]!.last_error)).toContain('no_service');
    const second = await run(dir, env);
    expect(slack.requests).toHaveLength(1);
    expectNoSecret(res.stdout, res.stderr, second.stderr, await dump(dir));
  });

  it('HTTP 500 is retried: the row stays pending, the next process sends it exactly once', async () => {
    const slack = await slackStandIn([{ status: 500, body: 'internal_error' }]);
    servers.push(slack);
    const dir = project(slackAlerts());
    writeOrders(dir, 1);
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/hook` };
    const first = await run(dir, env);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/0 sent, 1 will be retried \(data-alerts: Slack answered HTTP 500/);
    expect(await outbox(dir)).toEqual([expect.objectContaining({ state: 'pending', attempts: 1 })]);
    const second = await run(dir, env);
    expect(second.stderr).toContain('alerts: 1 sent');
    const third = await run(dir, env);
    expect(third.stderr).not.toContain('alerts:');
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[0]!.body).toEqual(slack.requests[1]!.body);
    expect(await outbox(dir)).toEqual([expect.objectContaining({ state: 'delivered', attempts: 2 })]);
  });
});

describe('email', () => {
  const emailAlerts = (port: number, to = 'oncall@example.com') => `channels:
  - name: oncall-email
    type: email
    smtp_url: smtp://vigil:${SMTP_PASS}@127.0.0.1:${port}
    from: vigil@example.com
    to: [${to}]
routes:
  - channels: [oncall-email]
`;

  it('a real SMTP server receives subject, HTML and text parts with a runbook link per check', async () => {
    const smtp = await smtpStandIn({ user: 'vigil', pass: SMTP_PASS });
    servers.push(smtp);
    const dir = project(emailAlerts(smtp.port), { items: true });
    writeOrders(dir, 1, true);
    const res = await run(dir, {});
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('alerts: 1 sent');
    expect(smtp.logins).toEqual(['vigil']);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('[FAIL] orders: 2 checks failing');
    expect(mail.from?.text).toBe('vigil@example.com');
    expect(String(mail.html)).toContain('<a href="https://runbooks.example.com/data/orders#rows">Runbook</a>');
    expect(String(mail.html)).toContain('orders.row_count');
    expect(String(mail.html)).toContain('observed 1 row; fail below 2, warn below 5');
    expect(String(mail.html)).toContain('<a href="https://vigil.example.com/datasets/orders">Dashboard</a>');
    expect(String(mail.html)).not.toContain('javascript:');
    expect(mail.text).toContain('Runbook: https://runbooks.example.com/data/orders#rows');
    // The check with a javascript: runbook gets the dataset's instead.
    expect(mail.text).toContain('Runbook: https://runbooks.example.com/data/orders\n');
    expect(mail.text).toContain('Downstream at risk: order_items');
    expect(mail.text).toContain('Owner: payments-data');
    expect(mail.messageId).toMatch(/@vigil>$/);
    expectNoSecret(res.stdout, res.stderr, await dump(dir));
  });

  it('SMTP down, then up: the first run keeps it, the next run delivers it once', async () => {
    const port = await freePort();
    const dir = project(emailAlerts(port));
    writeOrders(dir, 1);
    const first = await run(dir, {});
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/0 sent, 1 will be retried \(oncall-email: SMTP .*ECONNREFUSED/);
    const rows = await outbox(dir);
    expect(rows).toEqual([expect.objectContaining({ state: 'pending', attempts: 1 })]);
    expectNoSecret(first.stderr, await dump(dir));
    const smtp = await smtpStandIn({ port, user: 'vigil', pass: SMTP_PASS });
    servers.push(smtp);
    const second = await run(dir, {});
    expect(second.stderr).toContain('alerts: 1 sent');
    await run(dir, {});
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.subject).toBe('[FAIL] orders: 1 check failing');
  });

  it('a rejected recipient is permanent; one broken channel does not hold back another', async () => {
    const smtp = await smtpStandIn({ user: 'vigil', pass: SMTP_PASS, reject: /^nobody@/ });
    const slack = await slackStandIn();
    servers.push(smtp, slack);
    const dir = project(`channels:
  - name: oncall-email
    type: email
    smtp_url: smtp://vigil:${SMTP_PASS}@127.0.0.1:${smtp.port}
    from: vigil@example.com
    to: nobody@example.com
  - name: data-alerts
    type: slack
    webhook_url: ${slack.url}/services/T0/B0/${SECRET}
routes:
  - channels: [oncall-email, data-alerts]
`);
    writeOrders(dir, 1);
    const res = await run(dir, {});
    expect(res.stderr).toMatch(/alerts: 1 sent, 1 FAILED for good, not retried \(oncall-email: SMTP .*550/);
    expect(slack.requests).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
    expect((await outbox(dir)).map((r) => [r.channel, r.state]).sort()).toEqual([['data-alerts', 'delivered'], ['oncall-email', 'failed']]);
    expectNoSecret(res.stdout, res.stderr, await dump(dir));
  });
});

describe('routing, silences, --no-alerts, config', () => {
  it('routes by match, silences are recorded as silenced and not sent', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const dir = project(`channels:
  - name: tier1
    type: slack
    webhook_url: ${slack.url}/tier1
  - name: everything
    type: slack
    webhook_url: ${slack.url}/all
routes:
  - match: { tags: [tier-1], status: [fail, error] }
    channels: [tier1]
    continue: true
  - channels: [everything]
silences:
  - match: { dataset: order_items }
    until: 2999-01-01T00:00:00Z
    reason: migration to v2
`, { items: true });
    writeFile(dir, 'data/items.csv', 'id\n'); // order_items row_count fails, but is silenced
    writeOrders(dir, 3); // orders warn: only the catch-all
    const res = await run(dir, {});
    expect(res.code).toBe(1);
    expect(slack.requests.map((r) => [r.path, r.body.text])).toEqual([['/all', '[WARN] orders: 1 check warning']]);
    const rows = await queryDb(store(dir), `select channel, dataset, state, last_error from outbox order by dataset, channel`);
    expect(rows).toEqual([
      { channel: 'everything', dataset: 'order_items', state: 'silenced', last_error: expect.stringContaining('migration to v2') },
      { channel: 'everything', dataset: 'orders', state: 'delivered', last_error: null },
    ]);
    const inc = await queryDb(store(dir), `select check_id, silenced_reason from incidents order by check_id`);
    expect(inc).toEqual([
      { check_id: 'order_items.row_count', silenced_reason: 'migration to v2' },
      { check_id: 'orders.row_count', silenced_reason: null },
    ]);
    // Escalation to fail: tier-1 route and the catch-all.
    writeOrders(dir, 1);
    await run(dir, {});
    expect(slack.requests.slice(1).map((r) => r.path).sort()).toEqual(['/all', '/tier1']);
  });

  it('--no-alerts: incidents still move, nothing is queued or sent, and channel secrets are not needed', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const dir = project(slackAlerts());
    writeOrders(dir, 1);
    const res = await vigil(['run', '--no-alerts', '--json'], { cwd: dir, env: ENV }); // SLACK_WEBHOOK_URL unset
    expect(res.code, res.stderr).toBe(1);
    expect(await queryDb(store(dir), 'select count(*)::INT as n from outbox')).toEqual([{ n: 0 }]);
    expect(await queryDb(store(dir), `select state from incidents`)).toEqual([{ state: 'open' }]);
    // Without --no-alerts the unset variable is a configuration error that names it.
    const blocked = await vigil(['run'], { cwd: dir, env: ENV });
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/alerts\/alerts\.yaml:4:\d+: environment variable SLACK_WEBHOOK_URL is not set/);
    // Nobody was told yet: the first run with alerts opens it.
    await run(dir, { SLACK_WEBHOOK_URL: `${slack.url}/hook` });
    expect(slack.requests.map((r) => r.body.text)).toEqual(['[FAIL] orders: 1 check failing']);
    // What the dashboard reads: open incidents per dataset, and the incidents themselves.
    const s = await DuckDBStore.open(store(dir));
    try {
      expect(await s.openIncidentCounts()).toEqual(new Map([['orders', 1]]));
      const [inc] = await s.incidents({ state: 'open', dataset: 'orders' });
      expect(inc).toMatchObject({ checkId: 'orders.row_count', state: 'open', lastEvent: 'opened', silencedReason: null });
      expect(inc?.lastNotifiedAt).not.toBeNull();
      expect(await s.incidents({ state: 'resolved' })).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('vigil validate reports alert-file problems as file:line:col with hints, without repeating secrets', async () => {
    const dir = project(`channels:
  - name: data-alerts
    type: slack
    webhook_url: not-a-url-${SECRET}
  - name: mail
    type: emial
routes:
  - match: { ownr: x }
    channels: [data-alert]
policy:
  repeat_interval: 4x
`);
    const res = await vigil(['validate', '--no-data'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('alerts/alerts.yaml:4:18: webhook_url is not an http(s) URL');
    expect(res.stderr).toContain("alerts/alerts.yaml:6:11: unknown channel type 'emial' — did you mean 'email'?");
    expect(res.stderr).toContain("alerts/alerts.yaml:8:14: unknown key 'ownr' — did you mean 'owner'?");
    expect(res.stderr).toContain("alerts/alerts.yaml:9:16: unknown channel 'data-alert' — did you mean 'data-alerts'?");
    expect(res.stderr).toContain("alerts/alerts.yaml:11:20: repeat_interval: bad duration '4x'");
    expectNoSecret(res.stdout, res.stderr);
  });
});

describe('vigil alerts test', () => {
  it('says per channel whether the test message arrived; exit 1 when one failed', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const port = await freePort();
    const dir = project(`channels:
  - name: data-alerts
    type: slack
    webhook_url: \${SLACK_WEBHOOK_URL}
  - name: oncall-email
    type: email
    smtp_url: smtp://vigil:${SMTP_PASS}@127.0.0.1:${port}
    from: vigil@example.com
    to: oncall@example.com
routes:
  - channels: [data-alerts]
`);
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/${SECRET}` };
    const one = await vigil(['alerts', 'test', 'data-alerts'], { cwd: dir, env });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('data-alerts (slack): sent\n');
    expect(slack.requests[0]?.body.text).toMatch(/^\[TEST\] /);
    const all = await vigil(['alerts', 'test'], { cwd: dir, env });
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('data-alerts (slack): sent');
    expect(all.stdout).toMatch(/oncall-email \(email\): failed: SMTP .*ECONNREFUSED/);
    const unknown = await vigil(['alerts', 'test', 'data-alert'], { cwd: dir, env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("did you mean 'data-alerts'?");
    expectNoSecret(one.stdout, all.stdout, all.stderr, unknown.stderr);
    // Not through the outbox: no store was needed.
    expect(await import('node:fs').then((fs) => fs.existsSync(store(dir)))).toBe(false);
  });
});
