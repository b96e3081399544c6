// Acknowledge and silence without editing files, end to end: the real bin/vigil
// (on the store directly, and through a running vigil serve), the API behind
// its guards, and real delivery to real HTTP receivers (a webhook and a
// PagerDuty Events API stand-in) showing what an acknowledgement and a
// silence change: reminders stop but escalations and recoveries still come,
// a silenced dataset sends nothing while the others do, and alerts come back
// once the silence is expired.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeFile } from './helpers.js';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { api, killAllDaemons, sleep, startServe, stopServe, waitFor } from './serve-helpers.js';

const receivers: SlackStandIn[] = [];
afterEach(async () => { await killAllDaemons(); });
afterAll(async () => { for (const r of receivers.splice(0)) await r.close(); cleanupProjects(); });

interface WebhookBody {
  dataset: string;
  status: string;
  summary: string;
  notifications: Array<{ incident_id: string; event: string; check: string; status: string; acknowledged_by?: string | null; ack_reason?: string | null }>;
}

/** A project with two datasets (orders, other), each a row_count check that warns under 5 rows and fails at 0, alerts to a webhook and PagerDuty. */
async function project(extraAlerts = '', vigilYaml = 'dashboard: { port: 0 }\n', otherChecks = '') {
  const hook = await slackStandIn();
  const pd = await slackStandIn();
  receivers.push(hook, pd);
  const dir = makeProject({
    'vigil.yaml': vigilYaml,
    'checks/orders.yaml': 'dataset: orders\nsource: ../data/orders.csv\nowner: payments\nchecks:\n  - row_count: { warn: { min: 5 }, fail: { min: 1 } }\n',
    'checks/other.yaml': `dataset: other\nsource: ../data/other.csv\ntags: [tier-2]\nchecks:\n  - row_count: { warn: { min: 5 }, fail: { min: 1 } }\n${otherChecks}`,
    'alerts/alerts.yaml': [
      'channels:',
      `  - { name: hook, type: webhook, url: "${hook.url}/hook" }`,
      `  - { name: pd, type: pagerduty, routing_key: R0UTINGKEY0123456789, url: "${pd.url}/v2/enqueue" }`,
      'routes:',
      '  - channels: [hook, pd]',
      'policy: { repeat_interval: 1s }',
      extraAlerts,
    ].join('\n'),
  });
  rows(dir, 'orders', 3);
  rows(dir, 'other', 3);
  return { dir, hook, pd };
}

function rows(dir: string, dataset: string, n: number): void {
  writeFile(dir, `data/${dataset}.csv`, `id\n${Array.from({ length: n }, (_, i) => i + 1).join('\n')}${n ? '\n' : ''}`);
}

const events = (hook: SlackStandIn) => hook.requests.flatMap((r) => (r.body as unknown as WebhookBody).notifications.map((n) => `${n.check}:${n.event}:${n.status}`));
const pdActions = (pd: SlackStandIn) => pd.requests.map((r) => (r.body as unknown as { event_action: string }).event_action);

async function run(dir: string) {
  const r = await vigil(['run', '--json'], { cwd: dir, env: { VIGIL_ALERT_WAIT_MS: '10000' } });
  expect([0, 1], r.stderr).toContain(r.code);
  return r;
}

describe('on the store directly (no vigil serve)', () => {
  it('vigil ack: who and why recorded and told to the channels; no more reminders, but the escalation and the recovery still come', async () => {
    const { dir, hook, pd } = await project();
    await run(dir);
    expect(events(hook).sort()).toEqual(['orders.row_count:opened:warn', 'other.row_count:opened:warn']);
    const opened = hook.requests.map((r) => (r.body as unknown as WebhookBody).notifications[0]!).find((n) => n.check === 'orders.row_count')!;

    // A unique start of the id is enough.
    const ack = await vigil(['ack', opened.incident_id.slice(0, 8), '--by', 'alice', '--reason', 'reloading the extract', '--json'], { cwd: dir });
    expect(ack.code, ack.stderr).toBe(0);
    const body = JSON.parse(ack.stdout) as { outcome: string; incident: { id: string; acknowledged: { by: string; reason: string } } };
    expect(body.outcome).toBe('acknowledged');
    expect(body.incident.id).toBe(opened.incident_id);
    expect(body.incident.acknowledged).toMatchObject({ by: 'alice', reason: 'reloading the extract' });
    // The channels hear who took it (PagerDuty: acknowledge on the incident's dedup key).
    const ackMsg = hook.requests.at(-1)?.body as unknown as WebhookBody;
    expect(ackMsg.status).toBe('acknowledged');
    expect(ackMsg.summary).toBe('[ACK] orders: orders.row_count acknowledged by alice');
    expect(ackMsg.notifications[0]).toMatchObject({ event: 'acknowledged', acknowledged_by: 'alice', ack_reason: 'reloading the extract' });
    expect(pdActions(pd).at(-1)).toBe('acknowledge');
    expect((pd.requests.at(-1)?.body as unknown as { dedup_key: string }).dedup_key).toBe(opened.incident_id);

    const again = await vigil(['ack', opened.incident_id, '--by', 'bob'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already acknowledged by alice/);

    // Past repeat_interval: the unacknowledged incident reminds, the acknowledged one does not.
    await sleep(1100);
    const before = hook.requests.length;
    await run(dir);
    expect(events(hook).slice(before)).toEqual(['other.row_count:reminder:warn']);

    // Worse: the acknowledged incident still escalates; back to pass: it resolves.
    rows(dir, 'orders', 0);
    await run(dir);
    expect(events(hook)).toContain('orders.row_count:escalated:fail');
    rows(dir, 'orders', 10);
    await run(dir);
    expect(events(hook).at(-1)).toBe('orders.row_count:resolved:pass');
    expect(pdActions(pd).at(-1)).toBe('resolve');

    const resolved = await vigil(['ack', opened.incident_id], { cwd: dir });
    expect(resolved.code).toBe(1);
    expect(resolved.stderr).toMatch(/is resolved: there is nothing to acknowledge/);
    const unknown = await vigil(['ack', 'ffffffffff'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no incident ffffffffff/);
  }, 120_000);

  it('vigil silence add|list|expire: the silenced dataset sends nothing while the other does; expired, its alerts come back; file silences listed too', async () => {
    const { dir, hook } = await project('silences:\n  - { match: { dataset: legacy }, until: 2099-01-01T00:00:00Z, reason: retired feed }\n', undefined,
      '  - sql: { name: ids_over_2, query: "select count(*) from {{ source }} where id > 2", fail: 0 }\n');
    const bad = await vigil(['silence', 'add', 'other', '--for', '2h'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/needs a reason/);
    const badKey = await vigil(['silence', 'add', 'colour:red', '--for', '2h', '--reason', 'x'], { cwd: dir });
    expect(badKey.code).toBe(3);
    expect(badKey.stderr).toMatch(/unknown selector key 'colour'/);

    const add = await vigil(['silence', 'add', 'other', 'kind:row_count', '--for', '2h', '--reason', 'backfill until noon', '--by', 'bob', '--json'], { cwd: dir });
    expect(add.code, add.stderr).toBe(0);
    const silence = (JSON.parse(add.stdout) as { silence: { id: string; selector: string; state: string; created_by: string; ends_at: string } }).silence;
    expect(silence).toMatchObject({ selector: 'other kind:row_count', state: 'active', created_by: 'bob' });
    expect(Date.parse(silence.ends_at) - Date.now()).toBeGreaterThan(7100_000);

    await run(dir);
    // other's row count is muted; its sql check is not, and its message names what was muted and why.
    expect(events(hook).sort()).toEqual(['orders.row_count:opened:warn', 'other.ids_over_2:opened:fail']);
    const otherMsg = hook.requests.map((r) => r.body as unknown as WebhookBody & { silenced: Array<Record<string, string>> }).find((b) => b.dataset === 'other')!;
    expect(otherMsg.silenced).toEqual([{ check: 'other.row_count', reason: 'backfill until noon', until: silence.ends_at, id: silence.id, by: 'bob' }]);

    const list = await vigil(['silence', 'list'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${silence.id}\\s+other kind:row_count\\s+active`));
    expect(list.stdout).toMatch(/alerts\/alerts\.yaml:\d+\s+legacy\s+active/);
    expect(list.stdout).toContain('backfill until noon');

    const expire = await vigil(['silence', 'expire', silence.id.slice(0, 6), '--by', 'carol'], { cwd: dir });
    expect(expire.code, expire.stderr).toBe(0);
    expect(expire.stdout).toMatch(new RegExp(`expired silence ${silence.id}`));
    const listed = JSON.parse((await vigil(['silence', 'list', '--json'], { cwd: dir })).stdout) as { silences: Array<{ id: string | null }> };
    expect(listed.silences.map((s) => s.id)).toEqual([null]);
    const all = JSON.parse((await vigil(['silence', 'list', '--all', '--json'], { cwd: dir })).stdout) as { silences: Array<{ id: string | null; state: string; expired_by: string | null }> };
    expect(all.silences.find((s) => s.id === silence.id)).toMatchObject({ state: 'expired', expired_by: 'carol' });
    const twice = await vigil(['silence', 'expire', silence.id], { cwd: dir });
    expect(twice.stdout).toMatch(/already been expired by carol/);

    // The muted opening counted as told: once the silence is gone, the reminder is what arrives.
    await sleep(1100);
    await run(dir);
    expect(events(hook)).toContain('other.row_count:reminder:warn');
  }, 120_000);
});

describe('through a running vigil serve, and its API', () => {
  it('the CLI goes through the daemon; the API acks and silences with JSON only, shows the silence on the incident at once, and names who did it', async () => {
    const { dir, hook } = await project();
    const d = await startServe(dir);
    const ran = await api(d, '/api/runs', { method: 'POST', body: { select: ['orders', 'other'] } });
    expect(ran.status).toBe(201);
    await waitFor('the openings delivered', () => events(hook).length >= 2, { daemon: d });
    const list = await api<{ incidents: Array<{ id: string; check: string; silenced: unknown; acknowledged: unknown }> }>(d, '/api/incidents?state=open');
    const orders = list.body.incidents.find((i) => i.check === 'orders.row_count')!;
    const other = list.body.incidents.find((i) => i.check === 'other.row_count')!;
    expect(orders.acknowledged).toBeNull();

    // vigil ack while the daemon holds the store: it is done by the daemon.
    const ack = await vigil(['ack', orders.id, '--by', 'alice', '--json'], { cwd: dir });
    expect(ack.code, ack.stderr).toBe(0);
    await waitFor('the acknowledgement delivered', () => events(hook).includes('orders.row_count:acknowledged:warn'), { daemon: d });

    // A form post (what another site's page can send) is refused; JSON works. Without a token the credential is "anonymous".
    const form = await fetch(`${d.url}/api/incidents/${other.id}/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=x' });
    expect(form.status).toBe(415);
    const cross = await fetch(`${d.url}/api/silences`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example.com', 'sec-fetch-site': 'cross-site' }, body: '{"selector":"other","for":"1h","reason":"x"}' });
    expect(cross.status).toBe(403);
    const bad = await api(d, '/api/silences', { method: 'POST', body: { selector: 'other', for: 'soon', reason: 'x' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/not a duration/);
    const added = await api<{ silence: { id: string; created_by: string } }>(d, '/api/silences', { method: 'POST', body: { match: { dataset: 'other' }, for: '1h', reason: 'known: vendor late' } });
    expect(added.status).toBe(201);
    expect(added.body.silence.created_by).toBe('anonymous');

    const now = await api<{ incidents: Array<{ check: string; silenced: { id?: string; by?: string; reason: string } | null; acknowledged: { by: string } | null }> }>(d, '/api/incidents?state=open');
    expect(now.body.incidents.find((i) => i.check === 'other.row_count')?.silenced).toMatchObject({ id: added.body.silence.id, by: 'anonymous', reason: 'known: vendor late' });
    expect(now.body.incidents.find((i) => i.check === 'orders.row_count')?.acknowledged?.by).toBe('alice');
    const forDataset = await api<{ silences: Array<{ id: string }> }>(d, '/api/silences?dataset=other');
    expect(forDataset.body.silences.map((s) => s.id)).toEqual([added.body.silence.id]);
    expect((await api<{ silences: unknown[] }>(d, '/api/silences?dataset=orders')).body.silences).toEqual([]);

    // vigil silence list / expire through the daemon.
    const listed = await vigil(['silence', 'list', '--json'], { cwd: dir });
    expect((JSON.parse(listed.stdout) as { silences: Array<{ id: string }> }).silences.map((s) => s.id)).toEqual([added.body.silence.id]);

    // Past repeat_interval, one more run: other is silenced and orders acknowledged, so nothing at all is sent.
    await sleep(1100);
    const sent = hook.requests.length;
    expect((await api(d, '/api/runs', { method: 'POST', body: {} })).status).toBe(201);
    await sleep(1500);
    expect(hook.requests.length).toBe(sent);

    const expired = await vigil(['silence', 'expire', added.body.silence.id, '--by', 'carol', '--json'], { cwd: dir });
    expect(expired.code, expired.stderr).toBe(0);
    expect((JSON.parse(expired.stdout) as { silence: { state: string; expired_by: string } }).silence).toMatchObject({ state: 'expired', expired_by: 'carol' });
    await stopServe(d);
  }, 120_000);

  it('with dashboard.token the credential names who acted when the body does not; without the token nothing is changed', async () => {
    const { dir } = await project('', 'dashboard: { port: 0, token: tok-0123456789abcdef }\n');
    const d = await startServe(dir);
    const anon = await api(d, '/api/silences', { method: 'POST', body: { selector: 'other', for: '1h', reason: 'x' } });
    expect(anon.status).toBe(401);
    const added = await api<{ silence: { created_by: string } }>(d, '/api/silences', { method: 'POST', auth: 'tok-0123456789abcdef', body: { selector: 'other', for: '1h', reason: 'x' } });
    expect(added.status).toBe(201);
    expect(added.body.silence.created_by).toBe('dashboard.token');
    const named = await api<{ silence: { created_by: string } }>(d, '/api/silences', { method: 'POST', auth: 'tok-0123456789abcdef', body: { selector: 'tag:tier-2', for: '1h', reason: 'x', by: 'dana' } });
    expect(named.body.silence.created_by).toBe('dana');
    await stopServe(d);
  }, 60_000);
});

