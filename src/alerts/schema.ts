// zod schema of alert files (SPEC §5: channels, routes, policy, silences) and
// the merged, resolved model the rest of alerts/ works on.

import { z } from 'zod';
import { durationSchema } from '../config/schema.js';
import type { Position } from '../config/model.js';
import type { Status } from '../checks/kind.js';

const STATUSES = ['pass', 'warn', 'fail', 'error'] as const;
const oneOrMany = <T extends z.ZodType>(item: T, error?: string) => z.union([item, z.array(item).min(1)], error ? { error } : undefined);
const word = z.string().min(1);

export const matchSchema = z.strictObject({
  dataset: oneOrMany(word).optional().meta({ description: 'Dataset name(s)' }),
  owner: oneOrMany(word).optional().meta({ description: 'Owner(s): the check\'s owner, else its dataset\'s' }),
  tags: oneOrMany(word).optional().meta({ description: 'Matches when the check has at least one of these tags' }),
  status: oneOrMany(z.enum(STATUSES), 'status must be pass, warn, fail or error, or a list of them, e.g. [fail, error]').optional(),
  kind: oneOrMany(word).optional().meta({ description: 'Check kind(s): freshness, row_count, nulls, duplicates, schema, sql' }),
  check: oneOrMany(word).optional().meta({ description: 'Check id(s): <dataset>.<name>, e.g. orders.freshness' }),
});
export type MatchSpec = z.infer<typeof matchSchema>;

const channelName = z.string({ error: 'every channel needs name: <name>' })
  .regex(/^[A-Za-z0-9_.-]+$/, { error: 'a channel name may use letters, digits and _ . - only' });

// Secret-bearing values: messages never repeat the value itself.
const webhookUrl = z.string({ error: 'slack channels need webhook_url: ${SLACK_WEBHOOK_URL}' })
  .refine((s) => { try { return /^https?:$/.test(new URL(s).protocol); } catch { return false; } },
    { error: 'webhook_url is not an http(s) URL — use the Incoming Webhook URL Slack gives you (https://hooks.slack.com/services/…), ideally through ${SLACK_WEBHOOK_URL}' });
const smtpUrl = z.string({ error: 'email channels need smtp_url: smtp://user:pass@host:587 or smtps://…' })
  .refine((s) => { try { return /^smtps?:$/.test(new URL(s).protocol) && new URL(s).hostname !== ''; } catch { return false; } },
    { error: 'smtp_url must look like smtp://user:pass@host:587 or smtps://user:pass@host:465 (the value is not repeated here: it may hold a password)' });
const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/, { error: (iss) => `'${String(iss.input)}' is not an email address, e.g. oncall@example.com` });

export const slackChannelSchema = z.strictObject({
  name: channelName,
  type: z.literal('slack'),
  webhook_url: webhookUrl,
});

export const emailChannelSchema = z.strictObject({
  name: channelName,
  type: z.literal('email'),
  smtp_url: smtpUrl,
  from: address,
  to: oneOrMany(address, 'to must be an email address or a list of them, e.g. [oncall@example.com]'),
});

export const fileChannelSchema = z.strictObject({
  name: channelName,
  type: z.literal('file'),
  path: z.string().min(1).optional().meta({ description: 'File the rendered messages are appended to, relative to this alert file' }),
  stderr: z.boolean().optional().meta({ description: 'Also print each message on stderr (default true when path is not set)' }),
});

const httpUrl = (what: string) => z.string({ error: `${what} must be an http(s) URL` })
  .refine((s) => { try { return /^https?:$/.test(new URL(s).protocol); } catch { return false; } },
    { error: `${what} is not an http(s) URL (the value is not repeated here: it may hold a secret)` });

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const pagerdutyChannelSchema = z.strictObject({
  name: channelName,
  type: z.literal('pagerduty'),
  routing_key: z.string({ error: 'pagerduty channels need routing_key: ${PAGERDUTY_ROUTING_KEY} (the Integration Key of an Events API v2 integration)' })
    .regex(/^\S{8,}$/, { error: 'routing_key looks wrong: it is the 32-character Integration Key of an Events API v2 integration' }),
  url: httpUrl('url').optional().meta({ description: `Events API endpoint (default ${PAGERDUTY_EVENTS_URL}; EU accounts: https://events.eu.pagerduty.com/v2/enqueue)` }),
});

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'a header name may use letters, digits and !#$%&\'*+.^_`|~- only' });

export const webhookChannelSchema = z.strictObject({
  name: channelName,
  type: z.literal('webhook'),
  url: httpUrl('url'),
  secret: z.string().min(16, { error: 'secret must be at least 16 characters (it keys the HMAC-SHA256 signature)' }).optional()
    .meta({ description: 'Signs each request: X-Vigil-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)' }),
  headers: z.record(headerName, z.string()).optional().meta({ description: 'Extra request headers, e.g. Authorization: "Bearer ${TOKEN}"' }),
});

export const CHANNEL_TYPES = ['slack', 'email', 'file', 'pagerduty', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const channelSchemas = {
  slack: slackChannelSchema, email: emailChannelSchema, file: fileChannelSchema,
  pagerduty: pagerdutyChannelSchema, webhook: webhookChannelSchema,
} as const;

export const routeSchema = z.strictObject({
  match: matchSchema.optional().meta({ description: 'Without match the route is a catch-all' }),
  channels: z.array(channelName, { error: 'channels must list channel names, e.g. [data-alerts]' }).min(1, { error: 'channels must list at least one channel' }),
  continue: z.boolean().optional().meta({ description: 'Keep looking at later routes after this one matched' }),
});

export const policySchema = z.strictObject({
  min_status: z.enum(['warn', 'fail'], { error: 'min_status must be warn or fail' }).optional(),
  repeat_interval: durationSchema.optional(),
  send_resolved: z.boolean().optional(),
  group_window: durationSchema.optional().meta({ description: 'Root causes: how long before a failing upstream incident opened a downstream one may have opened and still be explained by it (default 1h)' }),
});

const isoTime = z.string({ error: 'until must be an ISO-8601 time, e.g. 2026-12-01T00:00:00Z' })
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s.trim()) && !Number.isNaN(Date.parse(s)),
    { error: (iss) => `until '${String(iss.input)}' is not an ISO-8601 time, e.g. 2026-12-01T00:00:00Z` });

export const silenceSchema = z.strictObject({
  match: matchSchema,
  // YAML reads an unquoted timestamp as a Date.
  until: z.preprocess((v) => (v instanceof Date ? v.toISOString() : v), isoTime),
  reason: z.string({ error: 'a silence needs a reason, e.g. reason: migration to v2' }).min(1),
});

export const alertFileSchema = z.strictObject({
  channels: z.array(z.unknown()).optional(),
  routes: z.array(routeSchema).optional(),
  policy: policySchema.optional(),
  silences: z.array(silenceSchema).optional(),
});

// ---- the resolved model ----

export interface Match {
  dataset?: string[];
  owner?: string[];
  tags?: string[];
  status?: Status[];
  kind?: string[];
  check?: string[];
}

export type ChannelDef =
  | { name: string; type: 'slack'; webhookUrl: string; pos: Position }
  | { name: string; type: 'email'; smtpUrl: string; from: string; to: string[]; pos: Position }
  | { name: string; type: 'file'; path: string | null; stderr: boolean; pos: Position }
  | { name: string; type: 'pagerduty'; routingKey: string; url: string; pos: Position }
  | { name: string; type: 'webhook'; url: string; secret: string | null; headers: Record<string, string>; pos: Position };

export interface RouteDef {
  match: Match | null;
  channels: string[];
  continue: boolean;
  pos: Position;
}

export interface Policy {
  minStatus: 'warn' | 'fail';
  repeatIntervalSeconds: number;
  sendResolved: boolean;
  /** Root causes: slack for an upstream incident opening after the downstream one it explains. */
  groupWindowSeconds: number;
}

export interface SilenceDef {
  match: Match;
  until: string;
  reason: string;
  /** Where a file silence is written; absent for one kept in the store. */
  pos?: Position;
  /** A stored silence (vigil silence add, the page, the API): its id and who added it. */
  id?: string;
  by?: string;
}

export interface AlertsConfig {
  channels: ChannelDef[];
  routes: RouteDef[];
  policy: Policy;
  silences: SilenceDef[];
  /** Every alert file found (valid or not): their problems concern alerting only. */
  files: string[];
}

export const DEFAULT_POLICY: Policy = { minStatus: 'warn', repeatIntervalSeconds: 4 * 3600, sendResolved: true, groupWindowSeconds: 3600 };

export function emptyAlerts(): AlertsConfig {
  return { channels: [], routes: [], policy: { ...DEFAULT_POLICY }, silences: [], files: [] };
}

export function toMatch(m: MatchSpec): Match {
  const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const out: Match = {};
  const dataset = list(m.dataset); if (dataset) out.dataset = dataset;
  const owner = list(m.owner); if (owner) out.owner = owner;
  const tags = list(m.tags); if (tags) out.tags = tags;
  const status = list(m.status); if (status) out.status = status;
  const kind = list(m.kind); if (kind) out.kind = kind;
  const check = list(m.check); if (check) out.check = check;
  return out;
}
