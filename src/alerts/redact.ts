// Secrets (webhook URLs, SMTP URLs and passwords) never reach a log line, an
// error, CLI output or the store: every text leaving a channel goes through
// redact(), which knows the configured secrets and the shapes of unknown ones.
// Check results are redacted the same way once, as a dataset's run ends (run/dataset-run.ts).

import type { ChannelDef } from './schema.js';

export const REDACTED = '[redacted]';

/**
 * The secret strings of a URL: the URL whole (raw and normalized) and its password (raw and
 * decoded); with `path`, also its path and query (a Slack webhook's path is its secret; a
 * database URL's path is only the database's name).
 */
export function urlSecrets(raw: string, opts: { path: boolean }): string[] {
  const out = new Set<string>([raw]);
  try {
    const u = new URL(raw);
    if (u.password) {
      out.add(u.password);
      try { out.add(decodeURIComponent(u.password)); } catch { /* not percent-encoded */ }
    }
    if (opts.path && u.pathname.length > 8) out.add(u.pathname);
    if (opts.path && u.search.length > 8) out.add(u.search);
    out.add(u.toString());
  } catch { /* not a URL: the raw string is enough */ }
  return [...out];
}

/** Longest first, so a URL is replaced whole before its parts; too short to tell from text: dropped. */
export function secretList(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** The secret strings of channels: whole URLs, their paths and userinfo, decoded and raw. */
export function channelSecrets(channels: ChannelDef[]): string[] {
  const out = new Set<string>();
  const addUrl = (raw: string) => { for (const s of urlSecrets(raw, { path: true })) out.add(s); };
  for (const c of channels) {
    if (c.type === 'slack') addUrl(c.webhookUrl);
    if (c.type === 'email') addUrl(c.smtpUrl);
    if (c.type === 'pagerduty') out.add(c.routingKey);
    if (c.type === 'webhook') {
      addUrl(c.url);
      if (c.secret) out.add(c.secret);
      for (const v of Object.values(c.headers)) if (v.length >= 8) out.add(v);
    }
  }
  return secretList(out);
}

export type Redactor = (text: string) => string;

/** Every occurrence of each known secret (4 characters or more) replaced by [redacted]. */
export function replaceSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

export function makeRedactor(secrets: string[]): Redactor {
  return (text: string) => {
    let out = replaceSecrets(text, secrets);
    // Shapes of secrets vigil was not told about: Slack webhook paths and URL passwords.
    out = out.replace(/hooks\.slack\.com\/(services|workflows|triggers)\/[^\s"'<>)]+/g, `hooks.slack.com/$1/${REDACTED}`);
    out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^:@/\s"']*):[^@/\s"']+@/gi, `$1:${REDACTED}@`);
    return out;
  };
}

/** A JSON-like value with every string in it (keys too) passed through `redact`; the same value when nothing changed. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) {
    const out = value.map((v: unknown) => redactDeep(v, redact));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = redact(k);
      const next = redactDeep(v, redact);
      if (key !== k || next !== v) changed = true;
      out[key] = next;
    }
    return (changed ? out : value) as T;
  }
  return value;
}
