// The optional heartbeat: a real vigil serve pings a real HTTP receiver (port 0)
// every `every` — GET by default, POST with what it is when asked — never logs
// the URL, and stops when the process is killed. Bad heartbeat settings are
// validation errors at their file:line:col.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';
import { killAllDaemons, sleep, startServe, waitFor } from './serve-helpers.js';

interface Ping { method: string; url: string; body: string; at: number }

let receiver: Server;
let base: string;
const pings: Ping[] = [];
beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => { pings.push({ method: req.method ?? '', url: req.url ?? '', body, at: Date.now() }); res.end('OK'); });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => { await killAllDaemons(); await new Promise((r) => receiver.close(r)); cleanupProjects(); });

const SECRET = 'c0ffee00-1234-4abc-9def-5ecre7000001';

async function project(heartbeat: string): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': `dashboard: { port: 0 }\nheartbeat: ${heartbeat}\n`,
    'checks/fast.yaml': 'dataset: fast\nsource: ../data/ids.parquet\nschedule: "*/2 * * * * *"\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/ids.parquet', 'select range as id from range(10)');
  return dir;
}

describe('heartbeat', () => {
  it('GET every `every` while serve lives; none after SIGKILL; the URL never in its output', async () => {
    const path = `/ping/${SECRET}`;
    const dir = await project('{ url: "${HEARTBEAT_URL}", every: 1s }');
    const d = await startServe(dir, { env: { HEARTBEAT_URL: `${base}${path}` } });
    const mine = () => pings.filter((p) => p.url === path);
    await waitFor('three pings', () => mine().length >= 3, { timeoutMs: 15_000, daemon: d });
    expect(mine().every((p) => p.method === 'GET' && p.body === '')).toBe(true);
    const gaps = mine().slice(1).map((p, i) => p.at - (mine()[i] as Ping).at);
    // About a second apart: neither a burst nor a stall.
    for (const g of gaps) expect(g).toBeGreaterThan(500);
    d.child.kill('SIGKILL');
    await d.exited;
    const after = mine().length;
    await sleep(3000);
    expect(mine().length).toBe(after);
    expect(d.stderr()).not.toContain(SECRET);
    expect(d.stdout()).not.toContain(SECRET);
  }, 60_000);

  it('POST when asked, with the replica that sends it; a receiver that refuses is logged without the URL', async () => {
    const dir = await project(`{ url: "${base}/refuse/${SECRET}", every: 1s, method: post }`);
    const refusing = createServer((_req, res) => { res.statusCode = 500; res.end(); });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    try {
      const d = await startServe(dir);
      await waitFor('a POST', () => pings.some((p) => p.url === `/refuse/${SECRET}`), { timeoutMs: 15_000, daemon: d });
      const ping = pings.find((p) => p.url === `/refuse/${SECRET}`);
      expect(ping?.method).toBe('POST');
      const body = JSON.parse(ping?.body ?? '{}') as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'ok', pid: d.pid });
      expect(String(body.replica)).toMatch(/^[0-9a-f-]{36}$/);

      // The same serve's heartbeat pointed at a receiver that answers 500: said, without the secret.
      const dir2 = await project(`{ url: "http://127.0.0.1:${(refusing.address() as AddressInfo).port}/x/${SECRET}", every: 1s }`);
      const d2 = await startServe(dir2);
      await waitFor('the refusal logged', () => d2.logs().some((l) => l.msg === 'heartbeat: the receiver did not accept the ping' && l.status === 500), { timeoutMs: 15_000, daemon: d2 });
      expect(d2.stderr()).not.toContain(SECRET);
      expect(d2.logs().find((l) => l.msg.startsWith('heartbeat:'))?.heartbeat).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\[redacted\]$/);
    } finally {
      await new Promise((r) => refusing.close(r));
    }
  }, 60_000);

  it('bad settings are validation errors at their file:line:col, and the URL is not shown', async () => {
    const dir = await project(`{ url: "ftp://example.com/${SECRET}", every: soon, method: PUT }`);
    const res = await vigil(['validate'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stdout + res.stderr).toMatch(/vigil\.yaml:2:\d+: .*heartbeat\.url must be an http:\/\/ or https:\/\/ URL/);
    expect(res.stdout + res.stderr).toMatch(/vigil\.yaml:2:\d+: .*bad duration 'soon'/);
    expect(res.stdout + res.stderr).toMatch(/vigil\.yaml:2:\d+: .*heartbeat\.method must be GET or POST/);
    expect(res.stdout + res.stderr).not.toContain(SECRET);
    const missing = await project('{ url: "https://hc-ping.example/x" }');
    const res2 = await vigil(['validate'], { cwd: missing });
    expect(res2.code).toBe(3);
    expect(res2.stdout + res2.stderr).toMatch(/vigil\.yaml:2:\d+: .*every/);
  }, 30_000);
});
