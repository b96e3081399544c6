// Secrets in check results (issue: hardening, item 4): a sql check that selects a configured
// secret, a query error that quotes one, and data that holds them. Each is redacted once, as the
// dataset's run ends, so that neither `vigil run` (table and --json), `vigil status`, the store
// (check_results, outbox, incidents) nor the bodies that reach real Slack, SMTP, PagerDuty and
// webhook receivers carry it.

import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil } from '../helpers.js';
import { slackStandIn, smtpStandIn, type SlackStandIn, type SmtpStandIn } from '../alerts-helpers.js';

afterAll(cleanupProjects);
const servers: Array<SlackStandIn | SmtpStandIn> = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

const SLACK_PATH = '/services/T0SECRET/B0SECRET/SlackPathSecret1';
const SMTP_PASS = 'SmtpPassw0rdSecret';
const PD_KEY = 'PdRoutingKey0123456789abcdefSECRET';
const WH_SECRET = 'WebhookHmacSecret0123';
const WH_HEADER = 'Bearer WebhookHeaderToken77';
const WAREHOUSE_PASS = 'WarehousePassSecret9';
const WAREHOUSE_URL = `postgres://reader:${WAREHOUSE_PASS}@127.0.0.1:1/analytics`;
const TOKEN = 'DashboardTokenSecret42';

const ALERTS = `channels:
  - { name: slack, type: slack, webhook_url: \${SLACK_WEBHOOK_URL} }
  - { name: mail, type: email, smtp_url: \${SMTP_URL}, from: vigil@example.com, to: [oncall@example.com] }
  - { name: pd, type: pagerduty, routing_key: \${PD_KEY}, url: \${PD_URL} }
  - name: hook
    type: webhook
    url: \${HOOK_URL}
    secret: \${HOOK_SECRET}
    headers: { Authorization: "\${HOOK_AUTH}" }
routes:
  - channels: [slack, mail, pd, hook]
`;

describe('secrets in check results', () => {
  it('are [redacted] in vigil run, vigil status, the store and every channel\'s body', async () => {
    const http = await slackStandIn(); // Slack, PagerDuty and the webhook: one receiver, told apart by path
    const smtp = await smtpStandIn({ user: 'vigil', pass: SMTP_PASS });
    servers.push(http, smtp);
    const env: Record<string, string> = {
      VIGIL_ALERT_BACKOFF_MS: '1',
      VIGIL_TOKEN: TOKEN,
      WAREHOUSE_URL,
      SLACK_WEBHOOK_URL: `${http.url}${SLACK_PATH}`,
      SMTP_URL: `smtp://vigil:${SMTP_PASS}@127.0.0.1:${smtp.port}`,
      PD_KEY, PD_URL: `${http.url}/pd/v2/enqueue`,
      HOOK_URL: `${http.url}/hook`, HOOK_SECRET: WH_SECRET, HOOK_AUTH: WH_HEADER,
    };
    const slackUrl = env.SLACK_WEBHOOK_URL as string;
    const smtpUrl = env.SMTP_URL as string;
    // Whole values a check could select, each a secret of the configuration.
    const whole = [slackUrl, smtpUrl, SMTP_PASS, PD_KEY, WH_SECRET, WH_HEADER, WAREHOUSE_URL, WAREHOUSE_PASS, TOKEN];
    const secrets = [...whole, SLACK_PATH];
    const sqlChecks = whole.map((s, i) => `  - sql: { name: leak_${i}, query: "select '${s}'", fail: 0 }`).join('\n');
    // Data holding the secrets inside longer text: duplicated, so the duplicates sample shows them.
    const rows = whole.flatMap((s) => [`"see ${s} here"`, `"see ${s} here"`]);
    const dir = makeProject({
      'vigil.yaml': 'dashboard: { public_url: "https://vigil.example.com", token: "${VIGIL_TOKEN}" }\nconnections:\n  warehouse: { type: postgres, url: "${WAREHOUSE_URL}" }\n',
      'data/t.csv': `v\n${rows.join('\n')}\n`,
      'checks/leaky.yaml': `dataset: leaky\nsource: ../data/t.csv\nchecks:\n${sqlChecks}
  - sql: { name: cast_error, query: "select cast('${SMTP_PASS}' as integer)", fail: 0 }
  - duplicates: { keys: [v], fail: 0 }
`,
      'alerts/alerts.yaml': ALERTS,
    });

    const table = await vigil(['run'], { cwd: dir, env });
    expect(table.code, table.stderr).toBe(2); // the sql checks are error: a string is not a number
    expect(table.stderr).toMatch(/alerts: 4 sent/);
    const json = await vigil(['run', '--json'], { cwd: dir, env });
    expect(json.code, json.stderr).toBe(2);
    const doc = JSON.parse(json.stdout) as { results: Array<{ check: string; status: string; message: string; details: Record<string, unknown> }> };
    const status = await vigil(['status', '--json'], { cwd: dir, env });
    expect(status.code, status.stderr).toBe(0);

    // What a user sees says what happened, with the secret cut out.
    const byName = new Map(doc.results.map((r) => [r.check, r]));
    for (let i = 0; i < whole.length; i++) {
      expect(byName.get(`leaky.leak_${i}`)).toMatchObject({ status: 'error', message: 'query of leak_0 returned "[redacted]", not a number'.replace('leak_0', `leak_${i}`) });
    }
    expect(byName.get('leaky.cast_error')?.message).toMatch(/query failed: .*\[redacted\]/);
    const dups = byName.get('leaky.duplicates.v');
    expect(dups?.status).toBe('fail');
    expect(JSON.stringify(dups?.details)).toContain('see [redacted] here');
    expect(table.stdout).toContain('[redacted]');

    const store = path.join(dir, '.vigil', 'vigil.duckdb');
    const tables = (await queryDb(store, "select table_name from information_schema.tables where table_schema = 'main'")).map((t) => String(t.table_name));
    expect(tables).toEqual(expect.arrayContaining(['check_results', 'outbox', 'incidents']));
    const stored = await Promise.all(tables.map(async (t) => JSON.stringify(await queryDb(store, `select * from "${t}"`))));
    const results = JSON.stringify(await queryDb(store, "select message, details from check_results where check_id like 'leaky.%'"));
    expect(results).toContain('[redacted]');

    const mail = smtp.messages.map((m) => `${m.subject ?? ''}\n${m.text ?? ''}\n${typeof m.html === 'string' ? m.html : ''}`);
    const bodies = (prefix: string) => http.requests.filter((r) => r.path.startsWith(prefix)).map((r) => r.raw);
    expect(mail).toHaveLength(1);
    for (const prefix of ['/services/', '/hook']) expect(bodies(prefix), prefix).toHaveLength(1);
    expect(bodies('/pd/')).toHaveLength(11); // PagerDuty: one event per check
    expect(mail[0]).toContain('[redacted]');
    for (const prefix of ['/services/', '/pd/', '/hook']) expect(bodies(prefix)[0], prefix).toContain('[redacted]');

    const outputs: Record<string, string> = {
      'vigil run': table.stdout + table.stderr,
      'vigil run --json': json.stdout + json.stderr,
      'vigil status --json': status.stdout + status.stderr,
      ...Object.fromEntries(tables.map((t, i) => [`store table ${t}`, stored[i] as string])),
      email: mail.join('\n'),
      slack: bodies('/services/').join('\n'),
      // Events API v2 takes the routing key in the body: that one is where it belongs.
      pagerduty: bodies('/pd/').map((b) => JSON.stringify({ ...(JSON.parse(b) as object), routing_key: 'sent' })).join('\n'),
      webhook: bodies('/hook').join('\n'),
    };
    for (const [where, text] of Object.entries(outputs)) {
      for (const s of secrets) expect(text.includes(s), `${where} holds ${s}`).toBe(false);
    }
  });
});
