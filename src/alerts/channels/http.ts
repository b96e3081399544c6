// What the HTTP channels (PagerDuty, webhook) share: one JSON POST with a
// timeout, and the classification of its answer the Slack channel also uses —
// 429 retried after Retry-After, 408 and 5xx and network errors retried,
// every other 4xx permanent.

import { errorMessage } from '../../util/errors.js';
import type { Delivery } from './channel.js';

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(h: string | null, now = Date.now()): number | undefined {
  if (!h) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(h)) return Math.round(Number(h) * 1000);
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export interface HttpAnswer { status: number; body: string; retryAfter: string | null }

/** POSTs `body` (already serialised JSON). Resolves with the answer, or a retryable Delivery when there is none. */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, service: string): Promise<HttpAnswer | Delivery> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const text = await res.text().catch(() => '');
    return { status: res.status, body: text, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    const inner = (err as { cause?: unknown }).cause;
    return { ok: false, retryable: true, error: `cannot reach ${service}: ${errorMessage(err)}${inner ? ` (${errorMessage(inner)})` : ''}` };
  }
}

/** `permanentHint` is added to a permanent failure's error: what the user should fix. */
export function classifyHttp(service: string, a: HttpAnswer, permanentHint: string): Delivery {
  const what = `${service} answered HTTP ${a.status}${a.body ? ` ${a.body.slice(0, 300)}` : ''}`;
  if (a.status >= 200 && a.status < 300) return { ok: true, detail: what };
  if (a.status === 429) {
    const ms = parseRetryAfter(a.retryAfter);
    return { ok: false, retryable: true, error: `${what} (rate limited${ms !== undefined ? `; retry after ${Math.ceil(ms / 1000)}s` : ''})`, ...(ms !== undefined ? { retryAfterMs: ms } : {}) };
  }
  if (a.status >= 500 || a.status === 408) return { ok: false, retryable: true, error: what };
  return { ok: false, retryable: false, error: `${what} — ${permanentHint}` };
}
