// Sends what the outbox holds: due rows, per channel concurrently (one broken
// channel never holds back another), oldest first within a channel. A
// retryable failure backs off exponentially with jitter (or as long as the
// channel asked, Retry-After) and postpones that channel's other rows; a
// permanent one stops retrying and is reported loudly. Delivered rows are
// marked so, and a marked row is never sent again.

import type { Store, OutboxRow } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Channel, ChannelOptions, Delivery } from './channels/channel.js';
import { defaultChannelTypes } from './channels/index.js';
import type { AlertMessage } from './message.js';
import { channelSecrets, makeRedactor, type Redactor } from './redact.js';
import type { AlertsConfig, ChannelDef } from './schema.js';

export type DeliveryResult = 'sent' | 'retry' | 'failed';

export interface DelivererOptions {
  store: Store;
  /** The current alert configuration (vigil serve reloads it). */
  alerts: () => AlertsConfig;
  log: Logger;
  /** First retry delay; doubles per attempt. Default VIGIL_ALERT_BACKOFF_MS or 10 s. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Per-send timeout. */
  sendTimeoutMs?: number;
  channelOptions?: ChannelOptions;
  onResult?: (channel: string, result: DeliveryResult) => void;
  now?: () => Date;
}

export interface DeliverySummary {
  sent: Array<{ channel: string; key: string }>;
  retrying: Array<{ channel: string; key: string; error: string; nextAttemptAt: string }>;
  failed: Array<{ channel: string; key: string; error: string }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function envMs(name: string): number | undefined {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Exponential backoff with ±20% jitter: base, 2×base, 4×base … capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

const defKey = (d: ChannelDef) => JSON.stringify({ ...d, pos: undefined });

export class Deliverer {
  private readonly channels = new Map<string, { key: string; channel: Channel }>();
  private readonly registry = defaultChannelTypes();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly sendTimeoutMs: number;
  private readonly now: () => Date;
  private running: Promise<DeliverySummary> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: DelivererOptions) {
    this.baseMs = opts.backoffBaseMs ?? envMs('VIGIL_ALERT_BACKOFF_MS') ?? 10_000;
    this.maxMs = opts.backoffMaxMs ?? 30 * 60_000;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 15_000;
    this.now = opts.now ?? (() => new Date());
  }

  /** Scrubs every configured secret (and secret-shaped strings) from a text. */
  get redact(): Redactor {
    return makeRedactor(channelSecrets(this.opts.alerts().channels));
  }

  private channel(name: string): Channel | null {
    const def = this.opts.alerts().channels.find((c) => c.name === name);
    const cached = this.channels.get(name);
    if (!def) return null;
    if (cached && cached.key === defKey(def)) return cached.channel;
    if (cached) void cached.channel.close();
    const channel = this.registry.create(def, this.opts.channelOptions ?? {});
    this.channels.set(name, { key: defKey(def), channel });
    return channel;
  }

  /** One attempt at every due row. Concurrent calls share the pass in flight. */
  pass(): Promise<DeliverySummary> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const p = this.passOnce().finally(() => { this.running = null; });
    this.running = p;
    return p;
  }

  private async passOnce(): Promise<DeliverySummary> {
    const summary: DeliverySummary = { sent: [], retrying: [], failed: [] };
    const due = await this.opts.store.dueOutbox(this.now().toISOString(), 500);
    const byChannel = new Map<string, OutboxRow[]>();
    for (const r of due) (byChannel.get(r.channel) ?? byChannel.set(r.channel, []).get(r.channel)!).push(r);
    await Promise.all([...byChannel].map(([name, rows]) => this.sendChannel(name, rows, summary).catch((err: unknown) => {
      // A store failure while recording: the rows stay pending and are tried again.
      this.opts.log.error({ channel: name, err: this.redact(errorMessage(err)) }, 'alert delivery pass failed');
    })));
    return summary;
  }

  private async sendChannel(name: string, rows: OutboxRow[], summary: DeliverySummary): Promise<void> {
    const redact = this.redact;
    const { store, log } = this.opts;
    const channel = this.channel(name);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as OutboxRow;
      const attempts = row.attempts + 1;
      const result: Delivery = channel
        ? await this.sendWithTimeout(channel, row.payload as AlertMessage)
        : { ok: false, retryable: true, error: `channel ${name} is not configured in any valid alert file — it is kept and retried; fix or restore the channel` };
      const at = this.now();
      if (result.ok) {
        await store.updateOutbox(row.key, { state: 'delivered', attempts, nextAttemptAt: null, lastError: null, deliveredAt: at.toISOString() });
        // The incidents it tells of were notified now (queuing it did not tell anyone).
        const incidents = [...new Set(((row.payload as Partial<AlertMessage>).items ?? []).map((item) => item.incidentId))];
        await store.recordSent(incidents, at.toISOString());
        summary.sent.push({ channel: name, key: row.key });
        this.opts.onResult?.(name, 'sent');
        log.info({ channel: name, dataset: row.dataset, key: row.key, attempts }, 'alert delivered');
        continue;
      }
      const error = redact(result.error);
      if (!result.retryable) {
        await store.updateOutbox(row.key, { state: 'failed', attempts, nextAttemptAt: null, lastError: error, deliveredAt: null });
        summary.failed.push({ channel: name, key: row.key, error });
        this.opts.onResult?.(name, 'failed');
        log.error({ channel: name, dataset: row.dataset, key: row.key, attempts, error }, 'alert delivery failed for good: not retried — fix the channel, then vigil alerts test');
        continue;
      }
      const wait = Math.max(backoffMs(attempts, this.baseMs, this.maxMs), result.retryAfterMs ?? 0);
      const next = new Date(at.getTime() + wait).toISOString();
      await store.updateOutbox(row.key, { state: 'pending', attempts, nextAttemptAt: next, lastError: error, deliveredAt: null });
      summary.retrying.push({ channel: name, key: row.key, error, nextAttemptAt: next });
      this.opts.onResult?.(name, 'retry');
      log.warn({ channel: name, dataset: row.dataset, key: row.key, attempts, next_attempt_at: next, error }, 'alert delivery failed: will retry');
      // The channel is down or throttled: its other rows wait as long, without counting an attempt.
      for (const rest of rows.slice(i + 1)) {
        await store.updateOutbox(rest.key, { state: 'pending', attempts: rest.attempts, nextAttemptAt: next, lastError: rest.lastError, deliveredAt: null });
        summary.retrying.push({ channel: name, key: rest.key, error, nextAttemptAt: next });
      }
      return;
    }
  }

  private async sendWithTimeout(channel: Channel, message: AlertMessage): Promise<Delivery> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Delivery>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, retryable: true, error: `no answer within ${this.sendTimeoutMs / 1000}s` }), this.sendTimeoutMs + 1000);
    });
    try {
      return await Promise.race([
        channel.send(message, { timeoutMs: this.sendTimeoutMs }).catch((err: unknown): Delivery => ({ ok: false, retryable: true, error: errorMessage(err) })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * For `vigil run`: one attempt at everything due, plus the retries a channel
   * asked for (Retry-After) that fit before the deadline. What is left stays
   * in the outbox. Returns each row's final outcome.
   */
  async drain(deadlineMs: number): Promise<DeliverySummary> {
    const deadline = Date.now() + deadlineMs;
    const outcome = new Map<string, { channel: string; kind: 'sent' | 'retry' | 'failed'; error?: string; nextAttemptAt?: string }>();
    for (;;) {
      const s = await this.pass();
      for (const x of s.sent) outcome.set(x.key, { channel: x.channel, kind: 'sent' });
      for (const x of s.failed) outcome.set(x.key, { channel: x.channel, kind: 'failed', error: x.error });
      for (const x of s.retrying) outcome.set(x.key, { channel: x.channel, kind: 'retry', error: x.error, nextAttemptAt: x.nextAttemptAt });
      // Only throttling retries are waited for here; a channel that is down is left to the next run or vigil serve.
      const throttled = s.retrying.filter((x) => /rate limited/.test(x.error)).map((x) => Date.parse(x.nextAttemptAt));
      const soonest = throttled.length ? Math.min(...throttled) : Infinity;
      if (soonest === Infinity || soonest > deadline) break;
      await sleep(Math.max(0, soonest - Date.now()));
    }
    const summary: DeliverySummary = { sent: [], retrying: [], failed: [] };
    for (const [key, o] of outcome) {
      if (o.kind === 'sent') summary.sent.push({ channel: o.channel, key });
      else if (o.kind === 'failed') summary.failed.push({ channel: o.channel, key, error: o.error ?? '' });
      else summary.retrying.push({ channel: o.channel, key, error: o.error ?? '', nextAttemptAt: o.nextAttemptAt ?? '' });
    }
    return summary;
  }

  /** vigil serve: a pass now and every `intervalMs`, and whenever kick() is called. */
  start(intervalMs: number): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.opts.log.error({ err: this.redact(errorMessage(err)) }, 'alert delivery loop failed; trying again later');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), intervalMs);
    };
    void loop();
  }

  /** Something was queued: deliver now rather than at the next tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    void this.pass().catch((err: unknown) => this.opts.log.error({ err: this.redact(errorMessage(err)) }, 'alert delivery failed'));
  }

  /** Stops the loop, waits for the pass in flight, closes the channels. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await this.running.catch(() => undefined);
    await Promise.all([...this.channels.values()].map((c) => c.channel.close().catch(() => undefined)));
    this.channels.clear();
  }
}

/** "2 sent, 1 will be retried (oncall-email: connection refused), 1 failed for good (…)" */
export function summaryLine(s: DeliverySummary): string {
  const firstErrors = (list: Array<{ channel: string; error: string }>) => {
    const seen = new Map<string, string>();
    for (const x of list) if (!seen.has(x.channel)) seen.set(x.channel, x.error.split('\n')[0] ?? '');
    return [...seen].map(([c, e]) => `${c}: ${e}`).join('; ');
  };
  const parts = [`${s.sent.length} sent`];
  if (s.retrying.length) parts.push(`${s.retrying.length} will be retried (${firstErrors(s.retrying)})`);
  if (s.failed.length) parts.push(`${s.failed.length} FAILED for good, not retried (${firstErrors(s.failed)})`);
  return parts.join(', ');
}
