// PagerDuty Events API v2: every item of a message is one event whose
// dedup_key is the incident id, so PagerDuty's alert lives as vigil's
// incident does — opened/escalated → trigger (severity from the status),
// acknowledged → acknowledge, resolved → resolve; reminders send nothing
// (PagerDuty re-notifies by its own escalation policy). 429 and 5xx are
// retried, 400 (an invalid event, a wrong routing key) is permanent.

import { safeUrl, observedVsThreshold, type AlertMessage } from '../message.js';
import type { NotificationItem } from '../routing.js';
import type { Status } from '../../checks/kind.js';
import type { Channel, ChannelFactory, Delivery } from './channel.js';
import { classifyHttp, postJson } from './http.js';

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component: string;
    group?: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client: string;
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

/** fail is what pages; error (the check could not run) is an error; warn a warning. */
export const PAGERDUTY_SEVERITY: Record<Status, 'critical' | 'error' | 'warning' | 'info'> = {
  fail: 'critical', error: 'error', warn: 'warning', pass: 'info',
};

export function pagerdutyAction(event: NotificationItem['event']): PagerDutyAction | null {
  switch (event) {
    case 'opened': case 'escalated': return 'trigger';
    case 'acknowledged': return 'acknowledge';
    case 'resolved': return 'resolve';
    case 'reminder': return null;
  }
}

/** The events one message becomes, in item order (a test message: a trigger and its resolve). */
export function pagerdutyEvents(m: AlertMessage, routingKey: string): PagerDutyEvent[] {
  const dash = safeUrl(m.dashboardUrl);
  const out: PagerDutyEvent[] = [];
  for (const i of m.items) {
    const action = pagerdutyAction(i.event);
    if (action === null) continue;
    const dedupKey = m.test ? `${m.key}` : i.incidentId;
    const base = { routing_key: routingKey, dedup_key: dedupKey, client: 'vigil', ...(dash ? { client_url: dash } : {}) };
    if (action !== 'trigger') { out.push({ ...base, event_action: action }); continue; }
    const runbook = safeUrl(i.runbook) ?? safeUrl(m.runbook);
    const links = [
      ...(dash ? [{ href: dash, text: `Dashboard: ${m.dataset}` }] : []),
      ...(runbook ? [{ href: runbook, text: 'Runbook' }] : []),
      ...(safeUrl(i.incidentUrl) ? [{ href: safeUrl(i.incidentUrl) as string, text: 'Incident' }] : []),
    ];
    out.push({
      ...base,
      event_action: 'trigger',
      payload: {
        summary: `${m.test ? '[TEST] ' : ''}${i.check} ${i.status}: ${i.message}${m.downstreamFailing?.length ? ` (root cause of ${m.downstreamFailing.length} failing downstream: ${m.downstreamFailing.join(', ')})` : ''}`.slice(0, 1024),
        source: m.dataset,
        severity: m.test ? 'info' : PAGERDUTY_SEVERITY[i.status],
        timestamp: i.at,
        component: i.dataset,
        ...(i.owner ?? m.owner ? { group: (i.owner ?? m.owner) as string } : {}),
        class: i.kind,
        custom_details: {
          check: i.check, status: i.status, event: i.event, observed: observedVsThreshold(i),
          value: i.value, unit: i.unit, owner: i.owner ?? m.owner, tags: i.tags, first_seen: i.openedAt,
          downstream_at_risk: m.atRisk, downstream_failing: m.downstreamFailing ?? [], ...(m.description ? { description: m.description } : {}),
        },
      },
      ...(links.length ? { links } : {}),
    });
    if (m.test) out.push({ ...base, event_action: 'resolve' });
  }
  return out;
}

/** PagerDuty's 400 body names what was invalid: `{"status":"invalid event","message":…,"errors":[…]}`. */
function invalidEventHint(body: string): string {
  let errors: string[] = [];
  try { errors = (JSON.parse(body) as { errors?: unknown }).errors as string[] ?? []; } catch { /* not JSON */ }
  const list = Array.isArray(errors) ? errors.filter((e) => typeof e === 'string') : [];
  return `PagerDuty refused the event${list.length ? ` (${list.join('; ')})` : ''}: check routing_key (the Integration Key of an Events API v2 integration)`;
}

export const pagerdutyChannel: ChannelFactory = (def): Channel => {
  if (def.type !== 'pagerduty') throw new Error(`pagerduty channel given a ${def.type} channel`);
  return {
    name: def.name,
    type: 'pagerduty',
    async send(message, opts = {}): Promise<Delivery> {
      const events = pagerdutyEvents(message, def.routingKey);
      if (events.length === 0) return { ok: true, detail: 'nothing to send: PagerDuty re-notifies open alerts itself' };
      // One at a time, in order: a retry resends them all, which PagerDuty deduplicates by dedup_key.
      for (const e of events) {
        const a = await postJson(def.url, JSON.stringify(e), {}, opts.timeoutMs ?? 10_000, 'PagerDuty');
        if ('ok' in a) return a;
        const d = classifyHttp('PagerDuty', a, a.status === 400 ? invalidEventHint(a.body) : 'PagerDuty refused the event');
        if (!d.ok) return d;
      }
      return { ok: true, detail: `${events.length} event${events.length === 1 ? '' : 's'} accepted` };
    },
    async close() { /* fetch holds nothing open */ },
  };
};
