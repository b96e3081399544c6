// Slack through @slack/webhook: Block Kit from render/slack.ts, at most one
// message per second per webhook, HTTP 429 → retry after Retry-After (the
// library does not retry 4xx), 5xx and network errors → retryable, 404/410/403
// (no_service, invalid_token, channel_is_archived…) → permanent.

import { IncomingWebhook, IncomingWebhookHTTPError, type FetchFunction, type IncomingWebhookSendArguments } from '@slack/webhook';
import { errorMessage } from '../../util/errors.js';
import { renderSlack } from '../render/slack.js';
import type { Channel, ChannelFactory, Delivery } from './channel.js';
import { parseRetryAfter } from './http.js';


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function classifySlack(status: number, body: string, retryAfter: string | null): Delivery {
  const what = `Slack answered HTTP ${status}${body ? ` ${body.slice(0, 200)}` : ''}`;
  if (status === 429) {
    const ms = parseRetryAfter(retryAfter);
    return { ok: false, retryable: true, error: `${what} (rate limited${ms !== undefined ? `; retry after ${Math.ceil(ms / 1000)}s` : ''})`, ...(ms !== undefined ? { retryAfterMs: ms } : {}) };
  }
  if (status >= 500 || status === 408) return { ok: false, retryable: true, error: what };
  // 400 invalid_payload, 403 invalid_token / action_prohibited, 404 no_service / channel_not_found, 410 channel_is_archived.
  const hint = status === 404 || status === 410 || status === 403
    ? ' — the webhook is gone or revoked: create a new Incoming Webhook and update webhook_url'
    : ' — Slack refused the message';
  return { ok: false, retryable: false, error: `${what}${hint}` };
}

export const slackChannel: ChannelFactory = (def, opts): Channel => {
  if (def.type !== 'slack') throw new Error(`slack channel given a ${def.type} channel`);
  const interval = opts.slackIntervalMs ?? 1000;
  let nextSlot = 0;
  let lastRetryAfter: string | null = null;
  // Our fetch keeps the Retry-After header, which the library's error does not carry.
  const fetchFn: FetchFunction = async (url, init) => {
    const res = await fetch(url, init as RequestInit);
    lastRetryAfter = res.headers.get('retry-after');
    return res;
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: def.name,
    type: 'slack',
    send(message, sendOpts = {}) {
      // Sends on one webhook go one at a time, spaced by `interval`.
      const run = async (): Promise<Delivery> => {
        const wait = nextSlot - Date.now();
        // Still inside a long Retry-After: say so rather than hold the caller (and shutdown) that long.
        if (wait > 5000) return { ok: false, retryable: true, error: `rate limited by Slack: retry after ${Math.ceil(wait / 1000)}s`, retryAfterMs: wait };
        if (wait > 0) await sleep(wait);
        nextSlot = Date.now() + interval;
        const hook = new IncomingWebhook(def.webhookUrl, { fetch: fetchFn, timeout: sendOpts.timeoutMs ?? 10_000 });
        lastRetryAfter = null;
        try {
          const res = await hook.send(renderSlack(message) as unknown as IncomingWebhookSendArguments);
          return { ok: true, detail: res.text };
        } catch (err) {
          if (err instanceof IncomingWebhookHTTPError) {
            const d = classifySlack(err.statusCode, err.body, lastRetryAfter);
            if (!d.ok && d.retryable && d.retryAfterMs !== undefined) nextSlot = Math.max(nextSlot, Date.now() + d.retryAfterMs);
            return d;
          }
          const cause = (err as { original?: unknown }).original ?? err;
          const inner = (cause as { cause?: unknown }).cause;
          return { ok: false, retryable: true, error: `cannot reach Slack: ${errorMessage(cause)}${inner ? ` (${errorMessage(inner)})` : ''}` };
        }
      };
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
    async close() { await queue; },
  };
};
