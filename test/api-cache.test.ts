// The API's body cache: requests that arrive while a body is being built share
// that one build (a year-old store's overview takes a few hundred ms to build, and
// a dashboard asks for it from every open tab), and a body that is stale by age
// alone (nothing was written, only the clock moved) is answered at once while a
// fresh one is built behind it, up to STALE_MS; older, the request waits for it.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetsResponse } from '../src/server/api-types.js';
import type { Store } from '../src/store/store.js';
import { http, startApp, type TestApp } from './api-helpers.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

const CHECKS = `dataset: orders
source: ../data/orders.csv
slo:
  window: 1d
  objectives:
    - check: row_count
      target: 99%
checks:
  - row_count: { fail: { min: 1 } }
`;

let dir: string;
let app: TestApp;
/** Calls of the store's read behind /api/datasets' SLO summaries: one per build of the body. */
let builds = 0;

const counting = (store: Store): Store => new Proxy(store, {
  get(target, prop, receiver) {
    const value = Reflect.get(target, prop, receiver) as unknown;
    if (typeof value !== 'function') return value;
    return prop === 'windowCounts'
      ? (...args: unknown[]) => { builds++; return (value as (...a: unknown[]) => unknown).apply(target, args); }
      : (value as (...a: unknown[]) => unknown).bind(target);
  },
});

beforeAll(async () => {
  dir = makeProject({ 'checks/orders.yaml': CHECKS });
  await writeData(dir, 'data/orders.csv', 'select range as id from range(3)');
  await runProject(dir, { now: new Date('2026-03-01T01:00:00Z') });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-03-01T02:00:00Z'));
  app = await startApp(dir, { now: () => new Date(), store: counting });
}, 60_000);


afterAll(async () => {
  vi.useRealTimers();
  await app?.close();
  cleanupProjects();
});

const overview = async () => {
  const res = await http<DatasetsResponse>(app.url, '/api/datasets');
  expect(res.status).toBe(200);
  return res.body;
};

describe('the API body cache', () => {
  it('builds a body once for requests that arrive together', async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, () => overview()));
    expect(builds).toBe(1);
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]?.generated_at).toBe('2026-03-01T02:00:00.000Z');
  });

  it('answers a body stale by age at once and builds the next behind it; past STALE_MS the request waits for a fresh one', async () => {
    const before = builds;
    vi.setSystemTime(new Date('2026-03-01T02:00:05Z'));
    expect((await overview()).generated_at).toBe('2026-03-01T02:00:00.000Z'); // fresh: from the cache
    expect(builds).toBe(before);

    vi.setSystemTime(new Date('2026-03-01T02:00:12Z'));
    expect((await overview()).generated_at).toBe('2026-03-01T02:00:00.000Z'); // stale by age: sent, and rebuilt behind it
    // Until that build is done, more requests get the stale body and start no build of their own.
    let next = await overview();
    for (let i = 0; i < 2000 && next.generated_at === '2026-03-01T02:00:00.000Z'; i++) {
      await new Promise((r) => setTimeout(r, 5));
      next = await overview();
    }
    expect(next.generated_at).toBe('2026-03-01T02:00:12.000Z');
    expect(builds).toBe(before + 1);

    vi.setSystemTime(new Date('2026-03-01T02:01:00Z')); // 48 s later: too old to send
    expect((await overview()).generated_at).toBe('2026-03-01T02:01:00.000Z');
    expect(builds).toBe(before + 2);
  });
});
