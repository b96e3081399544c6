// Routing (first match wins unless continue, catch-all, status/tags/owner/kind
// matches), silences, grouping per dataset and channel, and the pure
// renderers: Block Kit limits, email escaping, only http(s) links.

import { describe, expect, it } from 'vitest';
import type { Status } from '../src/checks/kind.js';
import type { AlertMessage } from '../src/alerts/message.js';
import { renderEmail } from '../src/alerts/render/email.js';
import { renderSlack, SLACK_LIMITS } from '../src/alerts/render/slack.js';
import { channelsFor, routeNotifications, type NotificationItem } from '../src/alerts/routing.js';
import type { AlertsConfig, RouteDef, SilenceDef } from '../src/alerts/schema.js';
import { channelSecrets, makeRedactor } from '../src/alerts/redact.js';

const pos = { file: 'alerts.yaml', line: 1, col: 1 };
const route = (match: RouteDef['match'], channels: string[], cont = false): RouteDef => ({ match, channels, continue: cont, pos });

function item(p: Partial<NotificationItem> = {}): NotificationItem {
  return {
    event: 'opened', incidentId: `inc-${p.check ?? 'x'}`, at: '2026-01-01T00:00:00.000Z', check: 'orders.row_count', name: 'row_count',
    kind: 'row_count', dataset: 'orders', status: 'fail', previousStatus: null, value: 0, unit: 'rows', message: '0 rows; fail below 1',
    thresholds: { fail: { min: 1 } }, runbook: null, owner: 'payments-data', tags: ['tier-1'], openedAt: '2026-01-01T00:00:00.000Z', ...p,
  };
}

// SPEC §5's routes.
const SPEC_ROUTES: Pick<AlertsConfig, 'routes'> = {
  routes: [
    route({ tags: ['tier-1'], status: ['fail', 'error'] }, ['data-alerts', 'oncall-email']),
    route({ owner: ['payments-data'] }, ['data-alerts'], true),
    route(null, ['data-alerts']),
  ],
};

describe('channelsFor', () => {
  const cases: Array<[string, Partial<NotificationItem>, string[]]> = [
    ['tier-1 fail: first route wins', { status: 'fail' }, ['data-alerts', 'oncall-email']],
    ['tier-1 error: first route', { status: 'error' }, ['data-alerts', 'oncall-email']],
    ['tier-1 warn of payments-data: continue to the catch-all', { status: 'warn' }, ['data-alerts']],
    ['other owner, no tag: catch-all', { owner: 'crm', tags: [], status: 'fail' }, ['data-alerts']],
    ['resolved routes like the status it had', { event: 'resolved', status: 'pass', previousStatus: 'fail' }, ['data-alerts', 'oncall-email']],
  ];
  it.each(cases)('%s', (_n, p, want) => {
    expect(channelsFor(item(p), SPEC_ROUTES)).toEqual(want);
  });

  it('continue: true collects later matches; no catch-all means no channel', () => {
    const cfg = { routes: [route({ kind: ['freshness'] }, ['a'], true), route({ dataset: ['orders'] }, ['b']), route({ dataset: ['orders'] }, ['c'])] };
    expect(channelsFor(item({ kind: 'freshness' }), cfg)).toEqual(['a', 'b']);
    expect(channelsFor(item({ kind: 'nulls' }), cfg)).toEqual(['b']);
    expect(channelsFor(item({ dataset: 'customers' }), cfg)).toEqual([]);
  });
});

describe('routeNotifications', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const silence = (match: SilenceDef['match'], until: string): SilenceDef => ({ match, until, reason: 'migration to v2', pos });

  it('groups one message per dataset and channel', () => {
    const items = [
      item({ check: 'orders.a' }), item({ check: 'orders.b' }),
      item({ check: 'customers.a', dataset: 'customers', owner: 'crm', tags: [] }),
    ];
    const groups = routeNotifications(items, { ...SPEC_ROUTES, silences: [] }, now);
    expect(groups.map((g) => [g.dataset, g.channel, g.items.map((i) => i.check)])).toEqual([
      ['orders', 'data-alerts', ['orders.a', 'orders.b']],
      ['orders', 'oncall-email', ['orders.a', 'orders.b']],
      ['customers', 'data-alerts', ['customers.a']],
    ]);
    expect(groups.every((g) => g.silence === null)).toBe(true);
  });

  it('silenced notifications are kept apart and marked, until the silence ends', () => {
    const items = [item({ check: 'legacy_events.a', dataset: 'legacy_events' }), item({ check: 'orders.a' })];
    const cfg = { ...SPEC_ROUTES, silences: [silence({ dataset: ['legacy_events'] }, '2026-12-01T00:00:00.000Z')] };
    const groups = routeNotifications(items, cfg, now);
    const legacy = groups.filter((g) => g.dataset === 'legacy_events');
    expect(legacy.length).toBeGreaterThan(0);
    expect(legacy.every((g) => g.silence?.reason === 'migration to v2')).toBe(true);
    expect(groups.filter((g) => g.dataset === 'orders').every((g) => g.silence === null)).toBe(true);
    // After `until` nothing is muted.
    const later = routeNotifications(items, cfg, new Date('2026-12-02T00:00:00Z'));
    expect(later.every((g) => g.silence === null)).toBe(true);
  });
});

function message(items: NotificationItem[], p: Partial<AlertMessage> = {}): AlertMessage {
  return {
    key: 'k1', channel: 'data-alerts', dataset: 'orders', runId: 'r1', createdAt: '2026-01-01T00:00:00.000Z', description: null,
    owner: 'payments-data', tags: ['tier-1'], runbook: 'https://runbooks.example.com/data/orders',
    dashboardUrl: 'http://localhost:8080/datasets/orders', atRisk: ['order_items', 'revenue'], items, ...p,
  };
}

describe('renderSlack', () => {
  it('header, per-check sections with runbook buttons, facts, at-risk and dashboard link', () => {
    const m = message([
      item({ check: 'orders.nulls.customer_id', value: 3, thresholds: { fail: 0 }, runbook: 'https://rb.example.com/nulls' }),
      item({ check: 'orders.row_count', status: 'warn' as Status }),
    ]);
    const p = renderSlack(m);
    expect(p.text).toBe('[FAIL] orders: 1 check failing, 1 warning');
    const [header, context, ...rest] = p.blocks as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(header).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '🔴 orders: 1 check failing, 1 warning' } });
    expect(context?.elements[0].text).toContain('*Owner:* payments-data');
    expect(context?.elements[0].text).toContain('*First seen:* 2026-01-01T00:00:00.000Z');
    const sections = rest.filter((b) => b.type === 'section' && b.accessory);
    expect(sections[0]?.text.text).toContain('orders.nulls.customer_id');
    expect(sections[0]?.text.text).toContain('observed 3 rows; fail above 0');
    expect(sections[0]?.accessory).toMatchObject({ type: 'button', url: 'https://rb.example.com/nulls' });
    // The check without its own runbook gets the dataset's.
    expect(sections[1]?.accessory.url).toBe('https://runbooks.example.com/data/orders');
    expect(JSON.stringify(rest)).toContain('order_items, revenue');
    const actions = rest.find((b) => b.type === 'actions');
    expect(actions?.elements.map((e: { url: string }) => e.url)).toContain('http://localhost:8080/datasets/orders');
  });

  it('keeps Slack limits: ≤ 50 blocks with "… and N more", header ≤ 150, section ≤ 3000', () => {
    const many = Array.from({ length: 80 }, (_, i) => item({ check: `orders.c${i}`, incidentId: `i${i}`, message: 'x'.repeat(5000) }));
    const p = renderSlack(message(many, { dataset: 'd'.repeat(300) }));
    expect(p.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    const header = p.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    for (const b of p.blocks as Array<{ text?: { text: string } }>) expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
    const shown = (p.blocks as Array<{ accessory?: unknown }>).filter((b) => b.accessory).length;
    expect(JSON.stringify(p.blocks)).toContain(`… and ${80 - shown} more`);
  });

  it('a javascript: runbook never becomes a link; mrkdwn is escaped', () => {
    const p = renderSlack(message([item({ runbook: 'javascript:alert(1)', message: '<!channel> & <b>' })], { runbook: 'javascript:alert(2)' }));
    const json = JSON.stringify(p);
    expect(json).not.toContain('javascript:');
    expect(json).toContain('&lt;!channel&gt; &amp; &lt;b&gt;');
  });
});

describe('renderEmail', () => {
  it('subject scans in an inbox; HTML is escaped; runbook link per check; text alternative', () => {
    const e = renderEmail(message([
      item({ check: 'orders.a', runbook: 'https://rb.example.com/a', message: '<script>x</script>' }),
      item({ check: 'orders.b', runbook: 'javascript:alert(1)' }),
    ]));
    expect(e.subject).toBe('[FAIL] orders: 2 checks failing');
    expect(e.html).toContain('<a href="https://rb.example.com/a">Runbook</a>');
    expect(e.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(e.html).not.toContain('<script>');
    expect(e.html).not.toContain('javascript:');
    // orders.b falls back to the dataset runbook.
    expect(e.html).toContain('<a href="https://runbooks.example.com/data/orders">Runbook</a>');
    expect(e.text).toContain('Runbook: https://rb.example.com/a');
    expect(e.text).toContain('Downstream at risk: order_items, revenue');
    expect(e.text).toContain('Dashboard: http://localhost:8080/datasets/orders');
  });

  it('a recovery-only message says so', () => {
    const e = renderEmail(message([item({ event: 'resolved', status: 'pass', previousStatus: 'fail' })]));
    expect(e.subject).toBe('[RESOLVED] orders: 1 check back to pass');
    expect(e.text).toContain('resolved (was fail)');
  });
});

describe('redaction', () => {
  it('scrubs configured secrets and secret-shaped URLs', () => {
    const secrets = channelSecrets([
      { name: 's', type: 'slack', webhookUrl: 'https://hooks.example.test/services/T000/B000/abcdefSECRET', pos },
      { name: 'e', type: 'email', smtpUrl: 'smtp://vigil:p%40ssw0rd@mail.example.test:587', from: 'a@b.co', to: ['c@d.co'], pos },
    ]);
    const redact = makeRedactor(secrets);
    const text = redact('POST https://hooks.example.test/services/T000/B000/abcdefSECRET failed; login p@ssw0rd; smtp://vigil:p%40ssw0rd@mail.example.test:587; https://hooks.slack.com/services/T1/B2/zzz; ftp://u:hunter22@h');
    expect(text).not.toMatch(/abcdefSECRET|p@ssw0rd|p%40ssw0rd|zzz|hunter22/);
    expect(text).toContain('[redacted]');
  });
});
