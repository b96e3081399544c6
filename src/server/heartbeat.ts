// The optional heartbeat of `vigil serve` (heartbeat: { url, every, method }):
// a GET or POST to a dead-man's-switch service every `every` while this
// replica's scheduler is healthy, so an outside system pages when vigil itself
// is down or stuck. Every replica pings; the URL is a secret and never logged.

import os from 'node:os';
import { makeRedactor, secretList, urlSecrets } from '../alerts/redact.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface HeartbeatDeps {
  /** vigil.yaml's heartbeat as it is now (a reload may add, change or remove it). */
  config(): Config['heartbeat'];
  /** Whether this replica may say it is alive: its lease held and somebody taking ticks. */
  healthy(): boolean;
  /** What a POST says about the replica. */
  about(): Record<string, unknown>;
  log: Logger;
}

/** Where the pings go, for logs: the origin only (the path or query is the secret). */
function label(url: string): string {
  try { return `${new URL(url).origin}/[redacted]`; } catch { return '[redacted]'; }
}

/** How long a ping may take: at most 10 s, and never longer than the interval. */
const timeoutMs = (everyMs: number) => Math.max(500, Math.min(10_000, everyMs));

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sick = false;

  constructor(private readonly deps: HeartbeatDeps) {}

  start(): void {
    this.stopped = false;
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One ping if healthy, then the next one `every` later (re-read each time: a reload applies). */
  private async beat(): Promise<void> {
    const config = this.deps.config();
    const everyMs = config ? (parseDuration(config.every) ?? 60) * 1000 : 5000;
    if (config && !this.stopped) await this.ping(config, everyMs);
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.beat(); }, everyMs);
    this.timer.unref();
  }

  private async ping(config: NonNullable<Config['heartbeat']>, everyMs: number): Promise<void> {
    const redact = makeRedactor(secretList(urlSecrets(config.url, { path: true })));
    if (!this.deps.healthy()) {
      // Silence is the message: the receiver pages when the pings stop.
      if (!this.sick) this.deps.log.warn({ heartbeat: label(config.url) }, 'heartbeat withheld: this replica\'s scheduler is not healthy (lease lost, or nobody is taking ticks)');
      this.sick = true;
      return;
    }
    if (this.sick) this.deps.log.info({ heartbeat: label(config.url) }, 'heartbeat resumed');
    this.sick = false;
    try {
      const res = await fetch(config.url, {
        method: config.method,
        headers: { 'user-agent': 'vigil', ...(config.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(config.method === 'POST' ? { body: JSON.stringify({ status: 'ok', host: os.hostname(), pid: process.pid, ...this.deps.about() }) } : {}),
        signal: AbortSignal.timeout(timeoutMs(everyMs)),
        redirect: 'follow',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.deps.log.warn({ heartbeat: label(config.url), status: res.status }, 'heartbeat: the receiver did not accept the ping');
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      this.deps.log.warn({ heartbeat: label(config.url), err: redact(`${errorMessage(err)}${cause ? `: ${errorMessage(cause)}` : ''}`) }, 'heartbeat: the ping failed');
    }
  }
}
