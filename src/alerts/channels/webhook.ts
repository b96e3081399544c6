// A generic webhook: each message POSTed as one JSON document (its shape is
// webhookBody(), documented in docs/alerts.md), optionally signed with
// HMAC-SHA256 so the receiver can tell it came from this vigil. Retried like
// Slack: 429 after Retry-After, 408/5xx/network errors with backoff; any
// other answer outside 2xx is permanent.

import { createHmac } from 'node:crypto';
import { formatObserved, isAckMessage, messageStatus, runbookOf, safeUrl, subjectLine, type AlertMessage } from '../message.js';
import type { Channel, ChannelFactory } from './channel.js';
import { classifyHttp, postJson } from './http.js';

export const WEBHOOK_BODY_VERSION = 1;

export function webhookBody(m: AlertMessage): Record<string, unknown> {
  const status = messageStatus(m);
  return {
    version: WEBHOOK_BODY_VERSION,
    key: m.key,
    test: m.test === true,
    dataset: m.dataset,
    status: status ?? (isAckMessage(m) ? 'acknowledged' : 'resolved'),
    summary: subjectLine(m),
    description: m.description,
    owner: m.owner,
    tags: m.tags,
    runbook: safeUrl(m.runbook),
    dashboard_url: safeUrl(m.dashboardUrl),
    downstream_at_risk: m.atRisk,
    downstream_failing: m.downstreamFailing ?? [],
    silenced: m.silenced ?? [],
    run_id: m.runId,
    created_at: m.createdAt,
    notifications: m.items.map((i) => ({
      incident_id: i.incidentId, event: i.event, at: i.at, check: i.check, name: i.name, kind: i.kind,
      status: i.status, previous_status: i.previousStatus, value: i.value, unit: i.unit, observed: formatObserved(i),
      message: i.message, thresholds: i.thresholds, runbook: runbookOf(m, i), owner: i.owner, tags: i.tags, first_seen: i.openedAt,
      incident_url: safeUrl(i.incidentUrl ?? null),
      ...(i.event === 'acknowledged' ? { acknowledged_by: i.acknowledgedBy ?? null, ack_reason: i.ackReason ?? null } : {}),
    })),
  };
}

/** `sha256=` + hex HMAC-SHA256 over `${timestamp}.${body}`: the timestamp is signed too, so an old request cannot be replayed as new. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const webhookChannel: ChannelFactory = (def): Channel => {
  if (def.type !== 'webhook') throw new Error(`webhook channel given a ${def.type} channel`);
  return {
    name: def.name,
    type: 'webhook',
    async send(message, opts = {}) {
      const body = JSON.stringify(webhookBody(message));
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = {
        ...def.headers,
        'x-vigil-idempotency-key': message.key,
        'x-vigil-timestamp': timestamp,
        ...(def.secret ? { 'x-vigil-signature': webhookSignature(def.secret, timestamp, body) } : {}),
      };
      const a = await postJson(def.url, body, headers, opts.timeoutMs ?? 10_000, 'the webhook');
      if ('ok' in a) return a;
      return classifyHttp('the webhook', a, a.status === 401 || a.status === 403
        ? 'the receiver refused vigil: check secret and headers of the channel'
        : 'the receiver refused the message: check url (a 404 means nothing listens at that path)');
    },
    async close() { /* fetch holds nothing open */ },
  };
};
