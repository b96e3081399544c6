// The HTTP edges of vigil serve, hit the way an attacker or a sloppy client would: bodies
// are read only after the token is checked; broken JSON is 400, a big body 413, a body of
// the wrong shape 400 (a string `select` must not run everything); without a token the
// server still refuses requests for foreign Host names (DNS rebinding) and cross-site
// posts (a text/plain form); with a token /healthz tells strangers only that it is alive;
// and the store file is readable by its owner only.

import { request } from 'node:http';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData } from '../helpers.js';
import { http, startApp, type TestApp } from '../api-helpers.js';

const TOKEN = 'edge-token-5b1d7f3a99';

let open: TestApp;
let guarded: TestApp;
let openDir: string;

async function project(vigilYaml: string): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': vigilYaml,
    'checks/a.yaml': 'dataset: a\nsource: ../data/a.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
    'checks/b.yaml': 'dataset: b\nsource: ../data/a.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/a.csv', 'select range as id from range(3)');
  return dir;
}

beforeAll(async () => {
  openDir = await project('dashboard: { port: 0, public_url: "http://vigil.example.internal:8080" }\n');
  open = await startApp(openDir);
  guarded = await startApp(await project('dashboard: { port: 0, token: ${VIGIL_TOKEN} }\n'), { env: { VIGIL_TOKEN: TOKEN } });
}, 60_000);

afterAll(async () => {
  await open?.close();
  await guarded?.close();
  cleanupProjects();
});

/** A raw request, so that Host, Origin and the body are exactly what is given. */
function raw(base: string, route: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; text: string }> {
  const url = new URL(route, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'content-type': 'application/json' };
const runCount = async (app: TestApp, auth?: string) =>
  ((await http<{ runs: unknown[] }>(app.url, '/api/runs?limit=500', auth ? { auth } : {})).body.runs).length;

describe('bodies', () => {
  it('with a token, a request without it is refused before its body is read: broken or huge bodies get 401, not 400/413/500', async () => {
    expect((await raw(guarded.url, '/api/runs', { method: 'POST', headers: json, body: '{"select": [' })).status).toBe(401);
    expect((await raw(guarded.url, '/api/runs', { method: 'POST', headers: json, body: Buffer.alloc(300_000, 0x20) })).status).toBe(401);
  });

  it('malformed JSON is 400 and a body over 100 kB is 413, each with a JSON error that says so', async () => {
    const broken = await raw(open.url, '/api/runs', { method: 'POST', headers: json, body: '{"select": [' });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.text).error).toMatch(/not valid JSON/);
    const big = await raw(open.url, '/api/runs', { method: 'POST', headers: json, body: JSON.stringify({ select: ['a'], pad: 'x'.repeat(200_000) }) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error).toMatch(/larger than 100 kB/);
  });

  it('a body of the wrong shape is 400 and runs nothing: select as a string, an unknown key, a list, a bad now', async () => {
    const before = await runCount(open);
    for (const [body, error] of [
      ['{"select": "a"}', /select must be a list/],
      ['{"selectors": ["a"]}', /unknown key 'selectors'/],
      ['["a"]', /must be a JSON object/],
      ['{"select": [1]}', /select must be a list of strings/],
      ['{"alerts": "no"}', /alerts must be true or false/],
    ] as const) {
      const res = await raw(open.url, '/api/runs', { method: 'POST', headers: json, body });
      expect(res.status, body).toBe(400);
      expect(JSON.parse(res.text).error, body).toMatch(error);
    }
    expect(await runCount(open)).toBe(before);
    // The right shape still runs just what it selects.
    const ok = await raw(open.url, '/api/runs', { method: 'POST', headers: json, body: '{"select": ["a"]}' });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.text).results.map((r: { check: string }) => r.check)).toEqual(['a.row_count']);
  });
});

describe('without a token', () => {
  it('a cross-site text/plain POST (what any web page can send) runs nothing', async () => {
    const before = await runCount(open);
    const plain = await raw(open.url, '/api/runs', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '{"select": []}' });
    expect(plain.status).toBe(403);
    const noOrigin = await raw(open.url, '/api/runs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"select": []}' });
    expect(noOrigin.status).toBe(415);
    expect(JSON.parse(noOrigin.text).error).toMatch(/application\/json/);
    const crossJson = await raw(open.url, '/api/runs', { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: '{}' });
    expect(crossJson.status).toBe(403);
    const fetchSite = await raw(open.url, '/api/runs', { method: 'POST', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: '{}' });
    expect(fetchSite.status).toBe(403);
    expect(await runCount(open)).toBe(before);
    // From the dashboard's own origin it works.
    const own = await raw(open.url, '/api/runs', { method: 'POST', headers: { ...json, origin: open.url }, body: '{"select": ["b"]}' });
    expect(own.status).toBe(201);
  });

  it('the on-call calls (silence, ack, expire) from another site change nothing; from the dashboard\'s own origin a silence is added', async () => {
    const silences = async () => (JSON.parse((await raw(open.url, '/api/silences?all=true')).text) as { silences: unknown[] }).silences.length;
    const before = await silences();
    const body = '{"selector": "b", "for": "1h", "reason": "x"}';
    for (const route of ['/api/silences', '/api/incidents/abcd1234/ack', '/api/silences/abcd1234/expire']) {
      expect((await raw(open.url, route, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body })).status, route).toBe(403);
      expect((await raw(open.url, route, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })).status, route).toBe(415);
      expect((await raw(open.url, route, { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body })).status, route).toBe(403);
      expect((await raw(open.url, route, { method: 'POST', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body })).status, route).toBe(403);
    }
    expect(await silences()).toBe(before);
    const own = await raw(open.url, '/api/silences', { method: 'POST', headers: { ...json, origin: open.url }, body });
    expect(own.status).toBe(201);
    expect(await silences()).toBe(before + 1);
  });

  it('a foreign Host (a DNS-rebinding page) gets 403 on pages, API and /healthz; IPs, localhost and public_url\'s host are answered', async () => {
    for (const route of ['/', '/api/datasets', '/api/status', '/healthz', '/metrics']) {
      const res = await raw(open.url, route, { headers: { host: 'rebind.evil.example:8080' } });
      expect(res.status, route).toBe(403);
      expect(res.text, route).not.toContain('a.row_count');
    }
    const port = new URL(open.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'vigil.example.internal:8080', `10.1.2.3:${port}`]) {
      expect((await raw(open.url, '/api/datasets', { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe('with a token', () => {
  it('/healthz answers strangers only whether it is alive; the token shows datasets, paths and problems', async () => {
    const bare = await http(guarded.url, '/healthz');
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual({ status: 'ok' });
    const full = await http<{ status: string; datasets: Array<{ name: string }> }>(guarded.url, '/healthz', { auth: TOKEN });
    expect(full.body.status).toBe('ok');
    expect(full.body.datasets.map((d) => d.name).sort()).toEqual(['a', 'b']);
    expect((await http(guarded.url, '/healthz', { auth: guarded.internalToken })).body).toHaveProperty('datasets');
  });
});

describe('files', () => {
  it('the store is readable by its owner only (0600), and so is its folder', async () => {
    const dir = await project('timezone: UTC\n');
    const r = await vigil(['run'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(statSync(path.join(dir, '.vigil', 'vigil.duckdb')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, '.vigil')).mode & 0o077).toBe(0);
  });
});
