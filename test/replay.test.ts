// --now before recorded results is a replay (issue 17): the real bin/vigil
// evaluates as usual and records nothing — an open incident stays open with
// its first-seen time, no "resolved" reaches a real HTTP receiver, the latest
// state, runs and outbox are as they were — and says so on stderr, in the
// table's footer and with "recorded": false. A forward --now still records.
// The same holds for a run handed to vigil serve (POST /api/runs with now).

import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile, type CliResult } from './helpers.js';
import { api, killAllDaemons, startServe, stopServe } from './serve-helpers.js';

const servers: SlackStandIn[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  await killAllDaemons();
});
afterAll(cleanupProjects);

const NEWEST = Date.parse('2026-03-10T08:00:00Z');
const iso = (hoursAfterNewest: number) => new Date(NEWEST + hoursAfterNewest * 3600_000).toISOString();

const ORDERS = `dataset: orders
source: ../data/orders.csv
owner: payments-data
checks:
  - freshness: { column: updated_at, warn_after: 2h, fail_after: 6h }
  - row_count: { fail: { min: 1 } }
`;

/** orders.csv whose newest row is `hours` after NEWEST. */
function writeOrders(dir: string, hours = 0): void {
  const at = (h: number) => new Date(NEWEST + h * 3600_000).toISOString().replace('T', ' ').replace('.000Z', '');
  writeFile(dir, 'data/orders.csv', `id,updated_at\n1,${at(hours - 5)}\n2,${at(hours)}\n`);
}

async function project(): Promise<{ dir: string; slack: SlackStandIn; env: Record<string, string> }> {
  const slack = await slackStandIn();
  servers.push(slack);
  const dir = makeProject({
    'checks/orders.yaml': ORDERS,
    'alerts/alerts.yaml': 'channels:\n  - name: data\n    type: slack\n    webhook_url: ${SLACK_WEBHOOK_URL}\nroutes:\n  - channels: [data]\npolicy: { send_resolved: true }\n',
  });
  writeOrders(dir);
  return { dir, slack, env: { SLACK_WEBHOOK_URL: `${slack.url}/hook`, VIGIL_ALERT_BACKOFF_MS: '1' } };
}

const store = (dir: string) => path.join(dir, '.vigil', 'vigil.duckdb');

/** Everything a run may write, as rows: a replay must leave all of it byte for byte as it was. */
async function written(dir: string): Promise<string> {
  const tables = ['runs', 'check_results', 'latest_results', 'incidents', 'incident_events', 'outbox', 'schema_snapshots'];
  const parts: Record<string, unknown> = {};
  for (const t of tables) {
    try {
      parts[t] = await queryDb(store(dir), `select * from ${t} order by all`);
    } catch (err) {
      // A table this store does not have is not part of the comparison; any other failure is.
      if (!String(err).includes('does not exist')) throw err;
    }
  }
  return JSON.stringify(parts);
}

const run = (dir: string, env: Record<string, string>, args: string[]): Promise<CliResult> => vigil(['run', ...args], { cwd: dir, env });

describe('a --now before recorded results (a replay)', () => {
  it('evaluates and prints as usual, records nothing: the open incident keeps its first-seen time, no resolved alert is sent, the latest state is unchanged', async () => {
    const { dir, slack, env } = await project();
    // A real failing period: freshness fails 12 h after the newest row; the incident opens and is alerted.
    const failing = await run(dir, env, ['--json', '--now', iso(12)]);
    expect(failing.code, failing.stderr).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({ recorded: true, summary: { fail: 1 } });
    expect(slack.requests).toHaveLength(1);
    const [opened] = await queryDb(store(dir), `select id, state, opened_at from incidents where check_id = 'orders.freshness'`);
    expect(opened).toMatchObject({ state: 'open' });
    const before = await written(dir);
    const statusBefore = await vigil(['status', '--json'], { cwd: dir });

    // Back to a time when the data was fresh: the check passes in the output, and nothing moves.
    const replay = await run(dir, env, ['--now', iso(0.5)]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/PASS\s+orders\.freshness\s+30m/);
    expect(replay.stdout).toContain(`replay at ${iso(0.5)}: nothing recorded`);
    expect(replay.stdout).not.toMatch(/· run [0-9a-f-]{36}/);
    expect(replay.stderr).toContain(`--now ${iso(0.5)} is before the newest recorded result of orders (${iso(12)}): a replay`);
    const json = await run(dir, env, ['--json', '--now', iso(0.5)]);
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ recorded: false, replay: { now: iso(0.5), dataset: 'orders', newest_result_at: iso(12) }, summary: { pass: 2, fail: 0 } });
    expect(json.stderr).toContain('a replay');

    expect(await written(dir)).toBe(before);
    const [still] = await queryDb(store(dir), `select id, state, opened_at from incidents where check_id = 'orders.freshness'`);
    expect(still).toEqual(opened);
    expect((await vigil(['status', '--json'], { cwd: dir })).stdout).toBe(statusBefore.stdout);
    // Give a stray delivery time to arrive: none does.
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.requests).toHaveLength(1);

    // A forward --now (after every recorded result) records as before: the data is fresh again, the incident resolves.
    writeOrders(dir, 13);
    const forward = await run(dir, env, ['--json', '--now', iso(13.5)]);
    expect(forward.code, forward.stderr).toBe(0);
    expect(JSON.parse(forward.stdout)).toMatchObject({ recorded: true });
    expect(forward.stderr).not.toContain('replay');
    const [resolved] = await queryDb(store(dir), `select state, opened_at, resolved_at from incidents where check_id = 'orders.freshness'`);
    expect(resolved).toMatchObject({ state: 'resolved', opened_at: opened?.opened_at });
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]?.body.text).toMatch(/resolved/i);
  });

  it('a clock equal to the newest result, or with no results yet, records', async () => {
    const { dir, env } = await project();
    const first = await run(dir, env, ['--json', '--now', iso(1)]);
    expect(JSON.parse(first.stdout)).toMatchObject({ recorded: true });
    const same = await run(dir, env, ['--json', '--now', iso(1)]);
    expect(JSON.parse(same.stdout)).toMatchObject({ recorded: true });
    expect(await queryDb(store(dir), 'select count(*)::int as n from runs')).toEqual([{ n: 2 }]);
  });

  it('handed to vigil serve: the API run with an earlier now is answered, not recorded; the dashboard keeps the real state', async () => {
    const { dir, slack, env } = await project();
    expect((await run(dir, env, ['--now', iso(12)])).code).toBe(1);
    expect(slack.requests).toHaveLength(1);
    const d = await startServe(dir, { env: { ...env, VIGIL_NOW: iso(12) } });
    try {
      const datasetsBefore = (await api(d, '/api/datasets', { auth: d.token })).body;
      const before = await api<{ runs: unknown[] }>(d, '/api/runs', { auth: d.token });
      const res = await api<Record<string, unknown>>(d, '/api/runs', { method: 'POST', auth: d.token, body: { select: ['orders'], now: iso(0.5) } });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ recorded: false, summary: { pass: 2 } });
      // The CLI handed to the daemon says the same.
      const cli = await run(dir, env, ['orders', '--now', iso(0.5)]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toContain(`replay at ${iso(0.5)}: nothing recorded`);
      expect((await api(d, '/api/runs', { auth: d.token })).body).toEqual(before.body);
      expect((await api(d, '/api/datasets', { auth: d.token })).body).toEqual(datasetsBefore);
      const incidents = await api<{ incidents: Array<{ state: string }> }>(d, '/api/incidents', { auth: d.token });
      expect(incidents.body.incidents.map((i) => i.state)).toEqual(['open']);
      await new Promise((r) => setTimeout(r, 300));
      expect(slack.requests).toHaveLength(1);
    } finally {
      await stopServe(d);
    }
  });
});
