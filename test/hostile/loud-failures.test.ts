// Permanent failures are loud and clear by themselves (issue: hardening, item 5): a Slack 400,
// an SMTP 550 and a PagerDuty 400 show in vigil run's stderr, vigil status, /healthz (degraded,
// with the reason) and the dashboard's banner (real Chromium), and the incident says no
// notification was sent; a later delivery clears it. A store that cannot be written (a real file
// size limit on the vigil serve process, set with prlimit) makes /healthz degraded, leaves no run
// `running`, and recovers once writes work again.

import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile } from '../helpers.js';
import { slackStandIn, smtpStandIn, type SlackStandIn, type SmtpStandIn } from '../alerts-helpers.js';
import { launchChromium } from '../chromium.js';
import { api, killAllDaemons, startServe, stopServe, waitFor, type Daemon } from '../serve-helpers.js';

const servers: Array<SlackStandIn | SmtpStandIn> = [];
let browser: Browser | undefined;
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });
afterAll(async () => {
  await browser?.close();
  await killAllDaemons();
  cleanupProjects();
});

const ORDERS = 'dataset: orders\nsource: ../data/orders.csv\nchecks:\n  - row_count: { fail: { min: 3 } }\n';
const rows = (n: number) => `id\n${Array.from({ length: n }, (_, i) => i + 1).join('\n')}\n`;

const ALERTS = `channels:
  - { name: slack, type: slack, webhook_url: \${SLACK_URL} }
  - { name: mail, type: email, smtp_url: \${SMTP_URL}, from: vigil@example.com, to: [\${MAIL_TO}] }
  - { name: pd, type: pagerduty, routing_key: routingkey0123456789, url: \${PD_URL} }
routes:
  - channels: [slack, mail, pd]
`;

interface Health {
  status: string;
  problems?: Array<{ kind: string; channel?: string; message: string }>;
}

async function receivers() {
  const slack = await slackStandIn([{ status: 400, body: 'invalid_payload' }]);
  const pd = await slackStandIn([{ status: 400, body: '{"status":"invalid event","message":"Event object is invalid"}' }]);
  const smtp = await smtpStandIn({ reject: /^nobody@/ });
  servers.push(slack, pd, smtp);
  const env = {
    VIGIL_ALERT_BACKOFF_MS: '1', SLACK_URL: `${slack.url}/services/T0/B0/x`, PD_URL: `${pd.url}/v2/enqueue`,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_TO: 'nobody@example.com',
  };
  return { slack, pd, smtp, env };
}

describe('alert channels that fail for good', () => {
  it('vigil run says so on stderr (exit code unchanged), vigil status shows it, the incident was not sent; a later delivery clears it', async () => {
    const { slack, pd, env } = await receivers();
    const dir = makeProject({ 'checks/orders.yaml': ORDERS, 'data/orders.csv': rows(1), 'alerts/alerts.yaml': ALERTS });
    const first = await vigil(['run'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(1); // the check fails: SPEC's exit code, whatever the alerts did
    expect(first.stderr).toMatch(/alerts: 0 sent, 3 FAILED for good/);
    for (const ch of ['slack', 'mail', 'pd']) expect(first.stderr).toMatch(new RegExp(`^vigil run: alert channel ${ch} fails for good: 1 notification not delivered since \\S+ \\(last: .+\\)`, 'm'));
    expect(first.stderr).toMatch(/alert channel slack fails for good: .*400/);
    expect(first.stderr).toMatch(/alert channel mail fails for good: .*550/);
    expect(slack.requests).toHaveLength(1);
    expect(pd.requests).toHaveLength(1);

    // Not sent: the incident says so (last_notified_at is when it was queued).
    const store = path.join(dir, '.vigil', 'vigil.duckdb');
    const [incident] = await queryDb(store, 'select last_notified_at, last_sent_at from incidents');
    expect(incident?.last_notified_at).not.toBeNull();
    expect(incident?.last_sent_at).toBeNull();

    // A run with nothing new to send still says the channels are broken.
    const again = await vigil(['run'], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).not.toMatch(/alerts: /);
    expect(again.stderr.match(/^vigil run: alert channel \S+ fails for good/gm)).toHaveLength(3);

    const status = await vigil(['status'], { cwd: dir, env });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^alerts failing: alert channel slack fails for good: 1 notification not delivered/m);
    const statusJson = JSON.parse((await vigil(['status', '--json'], { cwd: dir, env })).stdout) as { problems: Array<{ kind: string; channel: string }> };
    expect(statusJson.problems.map((p) => [p.kind, p.channel])).toEqual([['alerts', 'mail'], ['alerts', 'pd'], ['alerts', 'slack']]);

    // Fixed (the receivers answer 200 now, the address exists): the next notification goes out and clears it.
    writeFile(dir, 'data/orders.csv', rows(5));
    const fixed = await vigil(['run'], { cwd: dir, env: { ...env, MAIL_TO: 'oncall@example.com' } });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/alerts: 3 sent/);
    expect(fixed.stderr).not.toMatch(/fails for good/);
    const [resolved] = await queryDb(store, 'select state, last_sent_at from incidents');
    expect(resolved?.state).toBe('resolved');
    expect(resolved?.last_sent_at).not.toBeNull();
    const after = JSON.parse((await vigil(['status', '--json'], { cwd: dir, env })).stdout) as { problems: unknown[] };
    expect(after.problems).toEqual([]);
  });

  it('vigil serve: /healthz is degraded with the reason (strangers see only the status), the dashboard shows a banner, /api/incidents says none sent; all clear after a delivery', async () => {
    const { env } = await receivers();
    const dir = makeProject({
      'vigil.yaml': 'dashboard: { port: 0, token: "${VIGIL_TOKEN}" }\nschedule: "0 0 1 1 *"\n',
      'checks/orders.yaml': ORDERS, 'data/orders.csv': rows(1), 'alerts/alerts.yaml': ALERTS,
    });
    const token = 'loud-failures-token-1234';
    const d = await startServe(dir, { env: { ...env, VIGIL_TOKEN: token } });
    const healthz = async (auth: boolean): Promise<Health> => (await fetch(`${d.url}/healthz`, auth ? { headers: { authorization: `Bearer ${token}` } } : {})).json() as Promise<Health>;
    // The catch-up run at start fails the check; its notifications fail for good.
    const degraded = await waitFor('/healthz degraded', async () => { const h = await healthz(true); return h.problems?.length === 3 ? h : null; }, { daemon: d });
    expect(degraded.status).toBe('degraded');
    expect(degraded.problems?.map((p) => [p.kind, p.channel])).toEqual([['alerts', 'mail'], ['alerts', 'pd'], ['alerts', 'slack']]);
    expect(degraded.problems?.find((p) => p.channel === 'slack')?.message).toMatch(/fails for good: 1 notification not delivered .*400/);
    expect(await healthz(false)).toEqual({ status: 'degraded' });
    const incidents = (await api<{ incidents: Array<{ last_notification_at: string | null; last_notification_queued_at: string | null }> }>(d, '/api/incidents', { auth: token })).body.incidents;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.last_notification_at).toBeNull();
    expect(incidents[0]?.last_notification_queued_at).not.toBeNull();

    browser ??= await launchChromium();
    const page = await (await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${token}` } })).newPage();
    await page.goto(`${d.url}/`);
    const banner = page.locator('#health-banner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.innerText()).toMatch(/vigil is degraded: 3 problems[\s\S]*alert channel slack fails for good/);

    // The receivers answer 200 now and the address is fixed: the next notification of each channel is delivered and clears it.
    const reloads = () => d.logs().filter((l) => l.msg === 'configuration reloaded').length;
    const before = reloads();
    writeFile(dir, 'alerts/alerts.yaml', ALERTS.replace('${MAIL_TO}', 'oncall@example.com'));
    await waitFor('the fixed alert file to be loaded', () => reloads() > before, { daemon: d });
    writeFile(dir, 'data/orders.csv', rows(5));
    const run = await api<{ summary: Record<string, number> }>(d, '/api/runs', { method: 'POST', body: { select: ['orders'] }, auth: token });
    expect(run.status).toBe(201);
    expect(run.body.summary.pass).toBe(1);
    await waitFor('/healthz ok again', async () => (await healthz(true)).problems?.length === 0, { daemon: d, timeoutMs: 30_000 });
    expect(await healthz(false)).toEqual({ status: 'ok' });
    await page.reload();
    await page.locator('#datasets tr').first().waitFor();
    await page.waitForFunction(() => document.getElementById('health')?.childElementCount === 0, undefined, { timeout: 15_000 });
    const after = (await api<{ incidents: Array<{ last_notification_at: string | null }> }>(d, '/api/incidents', { auth: token })).body.incidents;
    expect(after[0]?.last_notification_at).not.toBeNull();
    expect((await stopServe(d)).code).toBe(0);
  });
});

describe('a store that cannot be written', () => {
  it('makes /healthz degraded with the store\'s error, leaves no run running, and recovers by itself once writes work again', async () => {
    const dir = makeProject({
      'vigil.yaml': 'dashboard: { port: 0 }\nschedule: "0 0 1 1 *"\nreplicas: { lease: 3s }\n',
      'checks/orders.yaml': ORDERS, 'data/orders.csv': rows(5),
    });
    const d: Daemon = await startServe(dir);
    const healthz = async (): Promise<Health> => (await fetch(`${d.url}/healthz`)).json() as Promise<Health>;
    await waitFor('the catch-up run to be recorded', async () => (await api<{ runs: Array<{ status: string }> }>(d, '/api/runs')).body.runs[0]?.status === 'completed', { daemon: d });
    expect((await healthz()).status).toBe('ok');

    // A real write failure: a file size limit on the serve process (soft limit, so it can be raised again),
    // a little above what the store's WAL holds now: the run's row still fits, its results do not, nor
    // (measured) the write that would mark it aborted — the run a full disk used to leave `running`.
    // DuckDB's commits fail with "File too large".
    const wal = path.join(dir, '.vigil', 'vigil.duckdb.wal');
    const walSize = existsSync(wal) ? statSync(wal).size : 0;
    execFileSync('prlimit', ['--pid', String(d.pid), `--fsize=${walSize + 500}:unlimited`]);
    const failed = await api<{ record_errors?: string[] }>(d, '/api/runs', { method: 'POST', body: { select: ['orders'] } });
    expect(failed.status).toBe(201);
    expect(failed.body.record_errors?.[0]).toMatch(/^orders: .*File too large/);
    const degraded = await waitFor('/healthz degraded by the store', async () => { const h = await healthz(); return h.status === 'degraded' ? h : null; }, { daemon: d });
    expect(degraded.problems).toEqual([expect.objectContaining({ kind: 'store', message: expect.stringMatching(/the results store cannot be written since \S+: .*File too large.* — results are not recorded/) })]);
    expect(d.logs().some((l) => l.msg.startsWith('the results store cannot be written'))).toBe(true);

    // Writes work again: the next write that works clears it, and no run is left running.
    execFileSync('prlimit', ['--pid', String(d.pid), '--fsize=unlimited:unlimited']);
    const run = await api<{ summary: Record<string, number>; record_errors?: string[] }>(d, '/api/runs', { method: 'POST', body: { select: ['orders'] } });
    expect(run.status).toBe(201);
    expect(run.body.record_errors ?? []).toEqual([]);
    await waitFor('/healthz ok again', async () => (await healthz()).status === 'ok', { daemon: d, timeoutMs: 30_000 });
    const runs = (await api<{ runs: Array<{ status: string }> }>(d, '/api/runs')).body.runs;
    // Newest first: the run after recovery, the one whose results were lost (aborted), the catch-up run.
    expect(runs.map((r) => r.status)).toEqual(['completed', 'aborted', 'completed']);
    expect((await stopServe(d)).code).toBe(0);
  });
});
