// The root-cause rules as tables: which failing upstream incident explains a
// downstream one, which root wins among several, and which notifications
// are held back. Then end to end through bin/vigil: one message naming the
// root, downstream held while it is open, sent once it recovers.

import { describe, expect, it } from 'vitest';
import { explains, holdDecision, rootCauses, type FailingIncident } from '../src/alerts/root-cause.js';
import { ancestorsOf } from '../src/lineage/graph.js';

// raw → orders → items → report;  customers → items;  audit stands alone.
const UP: Record<string, string[]> = { orders: ['raw'], items: ['orders', 'customers'], report: ['items'], audit: [] };
const upstreamOf = (d: string) => UP[d] ?? [];
const T = (min: number) => new Date(Date.UTC(2026, 0, 1, 12, min)).toISOString();
const inc = (id: string, dataset: string, opened: number, extra: Partial<FailingIncident> = {}): FailingIncident =>
  ({ id, dataset, status: 'fail', state: 'open', openedAt: T(opened), resolvedAt: null, ...extra });
const W = 3600;

describe('explains(r, x)', () => {
  const x = inc('x', 'items', 30);
  it.each<[string, FailingIncident, boolean]>([
    ['direct upstream, failing, opened before', inc('r', 'orders', 0), true],
    ['transitive upstream', inc('r', 'raw', 0), true],
    ['upstream in error', inc('r', 'orders', 0, { status: 'error' }), true],
    ['upstream only warning', inc('r', 'orders', 0, { status: 'warn' }), false],
    ['same dataset', inc('r', 'items', 0), false],
    ['downstream of x', inc('r', 'report', 0), false],
    ['unrelated dataset', inc('r', 'audit', 0), false],
    ['upstream opened after x, within the window', inc('r', 'orders', 80), true],
    ['upstream opened after x, beyond the window', inc('r', 'orders', 91), false],
    ['upstream resolved before x opened', inc('r', 'orders', 0, { state: 'resolved', resolvedAt: T(20) }), false],
    ['upstream resolved after x opened', inc('r', 'orders', 0, { state: 'resolved', resolvedAt: T(40) }), true],
    ['upstream opened long before x and still open', inc('r', 'orders', -600), true],
  ])('%s → %s', (_what, r, expected) => {
    expect(explains(r, x, ancestorsOf('items', upstreamOf), W)).toBe(expected);
  });
});

describe('rootCauses', () => {
  it('follows the chain to the most upstream failing incident', () => {
    const list = [inc('raw1', 'raw', 0), inc('o1', 'orders', 5), inc('i1', 'items', 10), inc('r1', 'report', 15)];
    const roots = rootCauses(list, upstreamOf, W);
    expect(Object.fromEntries([...roots].map(([k, v]) => [k, v.id]))).toEqual({ o1: 'raw1', i1: 'raw1', r1: 'raw1' });
  });

  it('two independent upstreams: the earliest opened wins; input order does not matter', () => {
    const list = [inc('c1', 'customers', 3), inc('o1', 'orders', 1), inc('i1', 'items', 10)];
    expect(rootCauses(list, upstreamOf, W).get('i1')?.id).toBe('o1');
    expect(rootCauses([...list].reverse(), upstreamOf, W).get('i1')?.id).toBe('o1');
  });

  it('a warning in the middle does not break the chain to a failing root', () => {
    const list = [inc('o1', 'orders', 0), inc('i1', 'items', 5, { status: 'warn' }), inc('r1', 'report', 10)];
    const roots = rootCauses(list, upstreamOf, W);
    expect(roots.get('i1')?.id).toBe('o1');
    expect(roots.get('r1')?.id).toBe('o1');
  });

  it('a failure with no failing upstream has no root (it is on its own)', () => {
    const roots = rootCauses([inc('a1', 'audit', 0), inc('i1', 'items', 5), inc('o1', 'orders', 0, { status: 'warn' })], upstreamOf, W);
    expect(roots.size).toBe(0);
  });

  it('a cycle in lineage does not loop', () => {
    const cyclic = (d: string) => ({ a: ['b'], b: ['a'] } as Record<string, string[]>)[d] ?? [];
    const roots = rootCauses([inc('a1', 'a', 0), inc('b1', 'b', 0)], cyclic, W);
    expect(roots.size).toBeLessThanOrEqual(2);
  });
});

describe('holdDecision', () => {
  const openRoot = inc('o1', 'orders', 0);
  it.each<[string, string | null, FailingIncident | undefined, boolean]>([
    ['opened, root open', 'opened', openRoot, true],
    ['opened, root resolved', 'opened', { ...openRoot, state: 'resolved', resolvedAt: T(50) }, false],
    ['opened, no root (unexplained)', 'opened', undefined, false],
    ['escalated, root open (told before the root failed)', 'escalated', openRoot, false],
    ['reminder, root open', 'reminder', openRoot, false],
    ['resolved, root open', 'resolved', openRoot, false],
    ['no event', null, openRoot, false],
  ])('%s → hold %s', (_what, event, root, hold) => {
    expect(holdDecision(event, root).hold).toBe(hold);
  });
});

// ---- end to end through bin/vigil ----

import { afterAll, afterEach } from 'vitest';
import path from 'node:path';
import { cleanupProjects, makeProject, queryDb, vigil, writeFile } from './helpers.js';
import { slackStandIn, type SlackStandIn } from './alerts-helpers.js';
import { http, startApp } from './api-helpers.js';
import type { IncidentsResponse } from '../src/server/api-types.js';

afterAll(cleanupProjects);
const servers: SlackStandIn[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

const dataset = (name: string, upstream: string[], min: number) => `dataset: ${name}
source: ../data/${name}.csv
${upstream.length ? `upstream: [${upstream.join(', ')}]\n` : ''}checks:
  - row_count: { fail: { min: ${min} } }
`;
const ALERTS = `channels:
  - name: data-alerts
    type: slack
    webhook_url: \${SLACK_WEBHOOK_URL}
routes:
  - channels: [data-alerts]
`;
const rows = (dir: string, name: string, n: number) => writeFile(dir, `data/${name}.csv`, `id\n${Array.from({ length: n }, (_, i) => i + 1).join('\n')}${n ? '\n' : ''}`);

describe('root causes through vigil run', () => {
  it('one message names the root and its failing downstream; they are held while it is open, resolve silently, or are sent once it recovers; an unrelated failure is sent at once', async () => {
    const slack = await slackStandIn();
    servers.push(slack);
    const dir = makeProject({
      'checks/orders.yaml': dataset('orders', [], 2),
      'checks/items.yaml': dataset('items', ['orders'], 1),
      'checks/report.yaml': dataset('report', ['items'], 1),
      'checks/payments.yaml': dataset('payments', ['orders'], 1),
      'checks/audit.yaml': dataset('audit', [], 1),
      'alerts/alerts.yaml': ALERTS,
    });
    for (const d of ['orders', 'items', 'report', 'payments', 'audit']) rows(dir, d, d === 'orders' ? 1 : 0);
    const env = { SLACK_WEBHOOK_URL: `${slack.url}/hook`, VIGIL_ALERT_BACKOFF_MS: '1' };
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    const at = (min: number) => ['--now', new Date(t0 + min * 60_000).toISOString()];
    const texts = () => slack.requests.map((r) => r.body.text);

    expect((await vigil(['run', ...at(0)], { cwd: dir, env })).code).toBe(1);
    expect(texts().sort()).toEqual(['[FAIL] audit: 1 check failing', '[FAIL] orders: 1 check failing; 3 downstream datasets failing']);
    const orders = JSON.stringify(slack.requests.find((r) => r.body.text.includes('orders'))?.body.blocks);
    expect(orders).toContain('*Root cause:* orders is failing; 3 downstream datasets failing: items, payments, report — their alerts are held until orders recovers');

    // Still failing, still held: nothing new.
    expect((await vigil(['run', ...at(10)], { cwd: dir, env })).code).toBe(1);
    expect(slack.requests).toHaveLength(2);

    // /api/incidents shows the tree: the downstream incidents under the root, held.
    const app = await startApp(dir);
    try {
      const { body } = await http<IncidentsResponse>(app.url, '/api/incidents?state=open');
      const by = new Map(body.incidents.map((i) => [i.dataset, i]));
      const root = by.get('orders');
      expect(root).toMatchObject({ root: null, held: false });
      for (const d of ['items', 'payments', 'report']) expect(by.get(d), d).toMatchObject({ root: { id: root?.id, dataset: 'orders', check: 'orders.row_count', state: 'open' }, held: true });
      expect(root?.downstream).toEqual(['items', 'payments', 'report'].map((d) => by.get(d)?.id).sort());
      expect(by.get('audit')).toMatchObject({ root: null, held: false, downstream: [] });
    } finally {
      await app.close();
    }

    // items recovers while held: resolved without a word (nobody was told).
    rows(dir, 'items', 3);
    expect((await vigil(['run', ...at(20)], { cwd: dir, env })).code).toBe(1);
    expect(slack.requests).toHaveLength(2);

    // The root recovers: its resolution is sent, and the downstream still failing are now their own problem.
    rows(dir, 'orders', 5);
    expect((await vigil(['run', ...at(30)], { cwd: dir, env })).code).toBe(1);
    expect(texts().slice(2).sort()).toEqual(['[FAIL] payments: 1 check failing', '[FAIL] report: 1 check failing', '[RESOLVED] orders: 1 check back to pass']);

    const incidents = await queryDb(path.join(dir, '.vigil', 'vigil.duckdb'), 'select dataset, state, last_event from incidents order by dataset');
    expect(incidents).toEqual([
      { dataset: 'audit', state: 'open', last_event: 'opened' },
      { dataset: 'items', state: 'resolved', last_event: null },
      { dataset: 'orders', state: 'resolved', last_event: 'resolved' },
      { dataset: 'payments', state: 'open', last_event: 'opened' },
      { dataset: 'report', state: 'open', last_event: 'opened' },
    ]);
  });
});
