// The one small interface every channel type implements, and the registry of
// types (a map that refuses duplicates). A channel classifies each delivery:
// ok, retryable (maybe with when) or permanent.

import type { AlertMessage } from '../message.js';
import type { ChannelDef } from '../schema.js';

export type Delivery =
  | { ok: true; detail?: string }
  | { ok: false; retryable: true; error: string; retryAfterMs?: number }
  | { ok: false; retryable: false; error: string };

export interface Channel {
  readonly name: string;
  readonly type: ChannelDef['type'];
  /** Never throws: every failure is a Delivery. Errors may carry secrets: callers redact them. */
  send(message: AlertMessage, opts?: { timeoutMs?: number }): Promise<Delivery>;
  close(): Promise<void>;
}

export interface ChannelOptions {
  /** Slack: minimum time between two messages on one webhook (Slack allows about one per second). */
  slackIntervalMs?: number;
  /** Where a file channel's stderr copy goes (default process.stderr). */
  stderr?: NodeJS.WritableStream;
}

export type ChannelFactory = (def: ChannelDef, opts: ChannelOptions) => Channel;

export class ChannelRegistry {
  private readonly factories = new Map<string, ChannelFactory>();

  register(type: ChannelDef['type'], factory: ChannelFactory): this {
    if (this.factories.has(type)) throw new Error(`channel type ${type} is registered twice`);
    this.factories.set(type, factory);
    return this;
  }

  create(def: ChannelDef, opts: ChannelOptions = {}): Channel {
    const f = this.factories.get(def.type);
    if (!f) throw new Error(`no channel type ${def.type} (known: ${[...this.factories.keys()].join(', ')})`);
    return f(def, opts);
  }
}
