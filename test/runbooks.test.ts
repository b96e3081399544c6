// Every runbook link is useful: an alert links to the check's runbook and to
// the dashboard pages (dashboard.public_url) of its dataset and its incident;
// a runbook written as a path is a Markdown file of the project that the
// dashboard renders — sanitised (raw HTML shown as text, no javascript:
// links), never a file outside the project; vigil init scaffolds one.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { cleanupProjects, makeProject, vigil } from './helpers.js';
import { api, killAllDaemons, startServe, stopServe, type Daemon } from './serve-helpers.js';

const PUBLIC = 'https://vigil.example.com';
const RUNBOOK = [
  '# Orders runbook',
  '',
  'Reload with `make orders`. See [the loader](https://wiki.example.com/loader).',
  '',
  '<script>alert(1)</script>',
  '',
  '<img src=x onerror=alert(2)>',
  '',
  '[click me](javascript:alert(3)) and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)',
  '',
  '<a href="javascript:alert(5)">raw link</a>',
].join('\n');

let hook: SlackStandIn;
let d: Daemon;
let dir: string;

beforeAll(async () => {
  hook = await slackStandIn();
  dir = makeProject({
    'vigil.yaml': `dashboard: { port: 0, public_url: "${PUBLIC}/" }\n`,
    'data/orders.csv': 'id\n1\n',
    'runbooks/orders.md': RUNBOOK,
    'runbooks/rows.md': '# Row count\n\nCount the files.\n',
    'secret.txt': 'not for the dashboard',
    'checks/orders.yaml': [
      'dataset: orders', 'source: ../data/orders.csv', 'runbook: ../runbooks/orders.md', 'checks:',
      '  - row_count: { fail: { min: 5 }, runbook: ../runbooks/rows.md }',
      '  - sql: { name: always, query: "select 1", fail: 0 }',
      '  - sql: { name: outside, query: "select 0", fail: 0, runbook: ../../../../etc/passwd.md }',
      '  - sql: { name: missing, query: "select 0", fail: 0, runbook: ../runbooks/nope.md }',
      '  - sql: { name: linked, query: "select 0", fail: 0, runbook: "https://runbooks.example.com/linked" }',
    ].join('\n'),
    'alerts/alerts.yaml': `channels:\n  - { name: hook, type: webhook, url: "${hook.url}/hook" }\nroutes:\n  - channels: [hook]\n`,
  });
  const run = await vigil(['run'], { cwd: dir, env: { VIGIL_ALERT_WAIT_MS: '10000' } });
  expect(run.code, run.stderr).toBe(1);
  d = await startServe(dir);
}, 60_000);

afterAll(async () => {
  if (d) await stopServe(d).catch(() => undefined);
  await killAllDaemons();
  await hook?.close();
  cleanupProjects();
});

describe('links in alerts', () => {
  it('each notification links its check\'s runbook, its incident\'s page and its dataset\'s page, on public_url', async () => {
    expect(hook.requests).toHaveLength(1);
    const body = hook.requests[0]!.body as unknown as {
      dashboard_url: string; runbook: string;
      notifications: Array<{ check: string; incident_id: string; incident_url: string; runbook: string }>;
    };
    expect(body.dashboard_url).toBe(`${PUBLIC}/datasets/orders`);
    expect(body.runbook).toBe(`${PUBLIC}/datasets/orders/runbook`);
    const rows = body.notifications.find((n) => n.check === 'orders.row_count')!;
    expect(rows.runbook).toBe(`${PUBLIC}/datasets/orders/runbook?check=orders.row_count`);
    expect(rows.incident_url).toBe(`${PUBLIC}/incidents/${rows.incident_id}`);
    const always = body.notifications.find((n) => n.check === 'orders.always')!;
    expect(always.runbook).toBe(`${PUBLIC}/datasets/orders/runbook?check=orders.always`);
    // The API gives the pages the same links, as paths on the dashboard.
    const incidents = (await api<{ incidents: Array<{ id: string; url: string; runbook_url: string }> }>(d, '/api/incidents')).body.incidents;
    expect(incidents.find((i) => i.id === rows.incident_id)).toMatchObject({ url: `/incidents/${rows.incident_id}`, runbook_url: '/datasets/orders/runbook?check=orders.row_count' });
    const ds = (await api<{ runbook_url: string; checks: Array<{ id: string; runbook_url: string }> }>(d, '/api/datasets/orders')).body;
    expect(ds.runbook_url).toBe('/datasets/orders/runbook');
    expect(ds.checks.find((c) => c.id === 'orders.linked')?.runbook_url).toBe('https://runbooks.example.com/linked');
    expect((await fetch(`${d.url}/incidents/${rows.incident_id}`)).status).toBe(200);
  });
});

describe('a local Markdown runbook on the dashboard', () => {
  it('is rendered as Markdown; HTML in it is shown as text and javascript:/data: links are not links', async () => {
    const res = await fetch(`${d.url}/datasets/orders/runbook`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    const article = /<article class="runbook" id="runbook">([\s\S]*?)<\/article>/.exec(html)?.[1] ?? '';
    expect(article).toContain('<h1>Orders runbook</h1>');
    expect(article).toContain('<code>make orders</code>');
    expect(article).toContain('<a href="https://wiki.example.com/loader" rel="noopener noreferrer" target="_blank">the loader</a>');
    expect(article).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(article).toContain('&lt;img src=x onerror=alert(2)&gt;');
    // No real element of those kinds, no event handler on any real tag, no script or data link.
    expect(article).not.toMatch(/<script|<img|<iframe|<[a-z][^>]*\son[a-z]+=|href="javascript:|href="data:/i);
    expect(article).toContain('[click me](javascript:alert(3))');
    // The page itself loads no script at all.
    expect(html).not.toMatch(/<script/i);
  });

  it('a check\'s own runbook; a link runbook is a redirect; outside the project, not Markdown or missing: refused with the reason', async () => {
    const own = await fetch(`${d.url}/datasets/orders/runbook?check=orders.row_count`);
    expect(await own.text()).toContain('<h1>Row count</h1>');
    const linked = await fetch(`${d.url}/datasets/orders/runbook?check=orders.linked`, { redirect: 'manual' });
    expect(linked.status).toBe(303);
    expect(linked.headers.get('location')).toBe('https://runbooks.example.com/linked');
    const outside = await fetch(`${d.url}/datasets/orders/runbook?check=orders.outside`);
    expect(outside.status).toBe(400);
    expect(await outside.text()).toMatch(/outside the project folder/);
    const missing = await fetch(`${d.url}/datasets/orders/runbook?check=orders.missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/runbooks\/nope\.md not found/);
    expect((await fetch(`${d.url}/datasets/nope/runbook`)).status).toBe(404);
    expect((await fetch(`${d.url}/datasets/orders/runbook?check=orders.nope`)).status).toBe(404);
  });
});

describe('vigil validate', () => {
  it('a runbook that is neither a URL nor a Markdown file is a validation error at its line, saying what to write', async () => {
    const bad = makeProject({
      'checks/a.yaml': 'dataset: a\nsource: ../a.csv\nrunbook: ../secret.txt\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
      'a.csv': 'id\n1\n',
    });
    const v = await vigil(['validate'], { cwd: bad });
    expect(v.code).toBe(3);
    expect(v.stdout + v.stderr).toMatch(/checks\/a\.yaml:3:\d+: runbook must be a URL .* or a Markdown file of the project/);
  });
});

describe('vigil init', () => {
  it('scaffolds runbooks/example.md, which the example check names and the dashboard renders', async () => {
    const fresh = makeProject();
    const init = await vigil(['init'], { cwd: fresh });
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(path.join(fresh, 'runbooks/example.md'))).toBe(true);
    expect(readFileSync(path.join(fresh, 'checks/example.yaml'), 'utf8')).toMatch(/^runbook: \.\.\/runbooks\/example\.md/m);
    const yaml = readFileSync(path.join(fresh, 'vigil.yaml'), 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(fresh, 'vigil.yaml'), `${yaml}dashboard: { port: 0 }\n`);
    const s = await startServe(fresh);
    try {
      const page = await fetch(`${s.url}/datasets/example/runbook`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>Runbook: example</h1>');
    } finally {
      await stopServe(s);
    }
  });
});
