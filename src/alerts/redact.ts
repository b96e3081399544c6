// Secrets (webhook URLs, SMTP URLs and passwords) never reach a log line, an
// error, CLI output or the store: every text leaving a channel goes through
// redact(), which knows the configured secrets and the shapes of unknown ones.

import type { ChannelDef } from './schema.js';

export const REDACTED = '[redacted]';

/** The secret strings of channels: whole URLs, their paths and userinfo, decoded and raw. */
export function channelSecrets(channels: ChannelDef[]): string[] {
  const out = new Set<string>();
  const addUrl = (raw: string) => { for (const s of urlParts(raw)) out.add(s); };
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
  // Longest first, so a URL is replaced whole before its parts.
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** A secret URL and the parts of it that give it away (password, a long path or query), longest first. */
export function urlSecrets(raw: string): string[] {
  return [...new Set(urlParts(raw))].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

function urlParts(raw: string): string[] {
  const out = [raw];
  try {
    const u = new URL(raw);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
    if (u.pathname.length > 8) out.push(u.pathname);
    if (u.search.length > 8) out.push(u.search);
    out.push(u.toString());
  } catch { /* not a URL: the raw string is enough */ }
  return out;
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
