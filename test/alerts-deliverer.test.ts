// The outbox deliverer in-process on a real store: a channel that hangs does
// not hold back another, a queued key can never be queued again, delivered
// rows are never re-sent, and backoff grows exponentially with jitter and a cap.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backoffMs, Deliverer } from '../src/alerts/deliverer.js';
import { emptyAlerts, type AlertsConfig } from '../src/alerts/schema.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import type { DatasetRun, OutboxRow } from '../src/store/store.js';
import { silentLogger } from '../src/util/log.js';
import { slackStandIn } from './alerts-helpers.js';
import { cleanupProjects, makeProject } from './helpers.js';

afterAll(cleanupProjects);

const pos = { file: 'a.yaml', line: 1, col: 1 };

function row(key: string, channel: string, createdAt: string): OutboxRow {
  return {
    key, channel, dataset: 'orders', runId: 'r1', state: 'pending', attempts: 0, nextAttemptAt: createdAt, lastError: null, createdAt, deliveredAt: null,
    payload: {
      key, channel, dataset: 'orders', runId: 'r1', createdAt, description: null, owner: null, tags: [], runbook: null, dashboardUrl: null, atRisk: [],
      items: [{ event: 'opened', incidentId: 'i1', at: createdAt, check: 'orders.row_count', name: 'row_count', kind: 'row_count', dataset: 'orders',
        status: 'fail', previousStatus: null, value: 0, unit: 'rows', message: '0 rows', thresholds: {}, runbook: null, owner: null, tags: [], openedAt: createdAt }],
    },
  };
}

const emptyRun = (at: string): DatasetRun => ({ dataset: 'orders', startedAt: at, finishedAt: at, results: [], schema: null, error: null, queries: [] });

describe('Deliverer', () => {
  it('a hanging channel times out and is retried later while another channel delivers at once; a key is queued only once', async () => {
    const hanging = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    const fast = await slackStandIn();
    const dir = makeProject();
    const store = await DuckDBStore.open(path.join(dir, 'store.duckdb'));
    try {
      const now = new Date().toISOString();
      await store.beginRun({ runId: 'r1', startedAt: now, trigger: 'test', selectors: [] });
      const rows = [row('k-slow', 'slow', now), row('k-fast', 'fast', now)];
      await store.recordDataset('r1', emptyRun(now), () => ({ incidents: [], history: [], outbox: rows }));
      const alerts: AlertsConfig = {
        ...emptyAlerts(),
        channels: [
          { name: 'slow', type: 'slack', webhookUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`, pos },
          { name: 'fast', type: 'slack', webhookUrl: `${fast.url}/hook`, pos },
        ],
      };
      const deliverer = new Deliverer({ store, alerts: () => alerts, log: silentLogger, sendTimeoutMs: 1500, backoffBaseMs: 60_000, channelOptions: { slackIntervalMs: 0 } });
      const t0 = Date.now();
      const summary = await deliverer.pass();
      expect(fast.requests).toHaveLength(1);
      expect(fast.requests[0]!.at - t0).toBeLessThan(1000);
      expect(summary.sent.map((s) => s.key)).toEqual(['k-fast']);
      expect(summary.retrying.map((s) => s.key)).toEqual(['k-slow']);
      const after = new Map((await store.outbox()).map((r) => [r.key, r]));
      expect(after.get('k-fast')).toMatchObject({ state: 'delivered', attempts: 1 });
      expect(after.get('k-slow')).toMatchObject({ state: 'pending', attempts: 1 });
      expect(Date.parse(after.get('k-slow')!.nextAttemptAt!)).toBeGreaterThan(Date.now() + 30_000);

      // The same keys again (a re-enqueue): nothing changes, nothing is re-sent.
      await store.recordDataset('r1', emptyRun(now), () => ({ incidents: [], history: [], outbox: rows }));
      expect((await store.outbox()).length).toBe(2);
      expect((await store.dueOutbox(new Date().toISOString(), 10)).length).toBe(0);
      await deliverer.pass();
      expect(fast.requests).toHaveLength(1);
      await deliverer.stop();
    } finally {
      await store.close();
      await fast.close();
      await new Promise<void>((r) => { hanging.close(() => r()); hanging.closeAllConnections(); });
    }
  });

  it('backoff doubles per attempt with ±20% jitter and a cap', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 60_000, mid))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20, 1000, 60_000, mid)).toBe(60_000);
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(800);
    expect(backoffMs(1, 1000, 60_000, () => 0.999999)).toBe(1200);
  });
});
