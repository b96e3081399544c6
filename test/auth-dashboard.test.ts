// dashboard.token on every page and API call: bearer, the login form's
// session cookie (HttpOnly, SameSite=Strict, never the token), redirects to
// the login page, 401 for the API, logout, CSRF on cookie-authenticated POSTs,
// open redirects refused — and no secret in any response.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, writeData } from './helpers.js';
import { http, startApp, type TestApp } from './api-helpers.js';

const TOKEN = 'dash-token-9f2c1e77a0';
const CONN = 'postgres://vigil:CONNPW-5521@db.internal/wh';

let app: TestApp;

beforeAll(async () => {
  const dir = makeProject({
    'vigil.yaml': 'dashboard: { port: 0, token: ${VIGIL_TOKEN} }\nconnections:\n  wh: { type: postgres, url: "${WH_URL}" }\n',
    'checks/a.yaml': 'dataset: a\nsource: ../data/a.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/a.csv', 'select range as id from range(3)');
  app = await startApp(dir, { env: { VIGIL_TOKEN: TOKEN, WH_URL: CONN } });
}, 60_000);

afterAll(async () => {
  await app?.close();
  cleanupProjects();
});

const form = (fields: Record<string, string>) => ({
  method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

async function login(next = '/'): Promise<string> {
  const res = await http(app.url, '/login', form({ token: TOKEN, next }));
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

describe('without credentials', () => {
  it('API routes answer 401 JSON; /healthz stays open', async () => {
    for (const route of ['/api/datasets', '/api/datasets/a', '/api/checks/a.row_count/history', '/api/lineage', '/api/slos', '/api/runs', '/api/status', '/metrics']) {
      const res = await http(app.url, route, { headers: { accept: 'text/html' } });
      expect(res.status, route).toBe(401);
      expect((res.body as { error: string }).error).toMatch(/Bearer/);
    }
    expect((await http(app.url, '/healthz')).status).toBe(200);
  });

  it('pages redirect (303) to the login form with the page as next; assets other than the login page\'s are refused', async () => {
    for (const page of ['/', '/datasets/a', '/lineage', '/slos', '/incidents']) {
      const res = await http(app.url, page, { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(res.status, page).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(page)}`);
    }
    expect((await http(app.url, '/assets/style.css')).status).toBe(401);
    expect((await http(app.url, '/vendor/chart.umd.js')).status).toBe(401);
    const css = await http(app.url, '/assets/login.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('the login page is a form posting to /login, with next escaped', async () => {
    const res = await http(app.url, `/login?next=${encodeURIComponent('/x"><script>alert(1)</script>')}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<form method="post" action="\/login">/);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).toContain('&quot;&gt;&lt;script&gt;');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });
});

describe('bearer', () => {
  it('dashboard.token and the daemon\'s own token open every API route and page', async () => {
    for (const auth of [TOKEN, app.internalToken]) {
      expect((await http(app.url, '/api/datasets', { auth })).status).toBe(200);
      expect((await http(app.url, '/metrics', { auth })).status).toBe(200);
    }
    const wrong = await http(app.url, '/api/datasets', { auth: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    const page = await http(app.url, '/', { auth: TOKEN, headers: { accept: 'text/html' } });
    expect([200, 404]).toContain(page.status); // 404 only while the page file is not written yet
    expect(page.status).not.toBe(303);
  });
});

describe('login form', () => {
  it('a wrong token: 401 and the form again, no cookie', async () => {
    const res = await http(app.url, '/login', form({ token: 'nope', next: '/slos' }));
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/not the dashboard token/);
    expect(res.text).toContain('value="/slos"');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('the right token: 303 to next, an HttpOnly SameSite=Strict cookie that is not the token; it opens pages and the API', async () => {
    const res = await http(app.url, '/login', form({ token: TOKEN, next: '/datasets/a?x=1' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/datasets/a?x=1');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^vigil_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] ?? '';
    expect((await http(app.url, '/api/datasets', { headers: { cookie } })).status).toBe(200);
    expect((await http(app.url, '/lineage', { headers: { cookie, accept: 'text/html' } })).status).not.toBe(303);
    expect((await http(app.url, '/api/datasets', { headers: { cookie: 'vigil_session=forged' } })).status).toBe(401);
  });

  it('next must be a local path: another origin goes to /', async () => {
    for (const next of ['//evil.example.com/', 'https://evil.example.com/', '/\\evil.example.com', 'javascript:alert(1)']) {
      const res = await http(app.url, '/login', form({ token: TOKEN, next }));
      expect(res.headers.get('location'), next).toBe('/');
    }
  });

  it('POST /api/runs with the cookie: a form post is refused (CSRF), JSON from the page runs — and the API shows it at once', async () => {
    const cookie = await login();
    const statusOfA = async () => (await http<{ datasets: Array<{ name: string; status: string }> }>(app.url, '/api/datasets', { headers: { cookie } })).body.datasets[0]?.status;
    expect(await statusOfA()).toBe('unknown');
    const asForm = await http(app.url, '/api/runs', { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'select=a' });
    expect(asForm.status).toBe(403);
    const otherOrigin = await http(app.url, '/api/runs', { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: 'http://evil.example.com' }, body: '{"select":["a"]}' });
    expect(otherOrigin.status).toBe(403);
    const ok = await http<{ summary: Record<string, number> }>(app.url, '/api/runs', { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: app.url }, body: '{"select":["a"]}' });
    expect(ok.status).toBe(201);
    expect(ok.body.summary.pass).toBe(1);
    expect(await statusOfA()).toBe('pass');
  });

  it('the incidents page\'s on-call calls with the cookie: a form post or another origin is refused (CSRF), JSON from the page works and names the session', async () => {
    const cookie = await login();
    const count = async () => (await http<{ silences: unknown[] }>(app.url, '/api/silences?all=true', { headers: { cookie } })).body.silences.length;
    const before = await count();
    const body = '{"selector":"a","for":"1h","reason":"x"}';
    for (const route of ['/api/silences', '/api/incidents/abcd1234/ack', '/api/silences/abcd1234/expire']) {
      const asForm = await http(app.url, route, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'selector=a&for=1h&reason=x' });
      expect(asForm.status, route).toBe(403);
      const otherOrigin = await http(app.url, route, { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: 'http://evil.example.com' }, body });
      expect(otherOrigin.status, route).toBe(403);
      const noCookie = await http(app.url, route, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(noCookie.status, route).toBe(401);
    }
    expect(await count()).toBe(before);
    const ok = await http<{ silence: { created_by: string } }>(app.url, '/api/silences', { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: app.url }, body });
    expect(ok.status).toBe(201);
    expect(ok.body.silence.created_by).toBe('dashboard session');
    expect(await count()).toBe(before + 1);
  });

  it('logout ends the session on the server: the old cookie no longer works', async () => {
    const cookie = await login();
    expect((await http(app.url, '/api/datasets', { headers: { cookie } })).status).toBe(200);
    const out = await http(app.url, '/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/vigil_session=;/);
    expect((await http(app.url, '/api/datasets', { headers: { cookie } })).status).toBe(401);
  });
});

describe('secrets', () => {
  it('neither the token nor a connection URL appears in any response', async () => {
    const routes = ['/api/datasets', '/api/datasets/a', '/api/checks/a.row_count/history?days=1', '/api/lineage', '/api/slos',
      '/api/status', '/api/runs', '/metrics', '/healthz', '/login'];
    for (const route of routes) {
      const res = await http(app.url, route, { auth: TOKEN });
      expect(res.status, route).toBe(200);
      expect(res.text, route).not.toContain(TOKEN);
      expect(res.text, route).not.toContain('CONNPW');
      expect(res.text, route).not.toContain(app.internalToken);
    }
  });
});

describe('secrets that reach a result', () => {
  it('a connection URL inside a check\'s error message is scrubbed from every JSON answer, not only the dashboard API\'s', async () => {
    const dir = makeProject({
      'vigil.yaml': 'dashboard: { port: 0 }\nconnections:\n  wh: { type: postgres, url: "${WH_URL}" }\n',
      // The query quotes the URL, so DuckDB's conversion error repeats it in the check's message.
      'checks/leaky.yaml': 'dataset: leaky\nsource: ../data/a.csv\nchecks:\n  - sql: { name: cast, query: "select \'${WH_URL}\'::INTEGER", fail: 0 }\n',
    });
    await writeData(dir, 'data/a.csv', 'select range as id from range(3)');
    const leaky = await startApp(dir, { env: { WH_URL: CONN } });
    try {
      const run = await http(leaky.url, '/api/runs', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(run.status).toBe(201);
      expect(run.text).toContain('[redacted]');
      for (const route of ['/api/status', '/api/incidents', '/api/datasets/leaky', '/api/runs']) {
        const res = await http(leaky.url, route);
        expect(res.status, route).toBe(200);
        expect(res.text, route).not.toContain('CONNPW');
      }
    } finally {
      await leaky.close();
    }
  });
});
