// Email through nodemailer SMTP (smtp:// or smtps:// URL with auth, pooled
// connections): subject, HTML and text from render/email.ts. Connection
// problems and 4xx replies are retryable; 5xx replies (a rejected recipient,
// a refused sender) and failed authentication are permanent.

import nodemailer, { type Transporter } from 'nodemailer';
import { errorMessage } from '../../util/errors.js';
import { renderEmail } from '../render/email.js';
import type { Channel, ChannelFactory, Delivery } from './channel.js';

interface SmtpError { code?: string; responseCode?: number; response?: string; command?: string; message?: string }

export function classifySmtp(err: unknown): Delivery {
  const e = (err ?? {}) as SmtpError;
  const reply = e.responseCode;
  const what = `SMTP ${e.command ? `${e.command} ` : ''}failed: ${reply ? `${reply} ${(e.response ?? '').slice(0, 200)}` : (e.code ? `${e.code} ${errorMessage(err)}` : errorMessage(err))}`;
  if (e.code === 'EAUTH') return { ok: false, retryable: false, error: `${what} — the SMTP server refused the user/password in smtp_url` };
  if (typeof reply === 'number' && reply >= 500 && reply < 600) {
    return { ok: false, retryable: false, error: `${what} — the server refused the message for good (check from: and to: addresses)` };
  }
  if (e.code === 'EENVELOPE' && reply === undefined) return { ok: false, retryable: false, error: `${what} — check from: and to: addresses` };
  return { ok: false, retryable: true, error: what };
}

export const emailChannel: ChannelFactory = (def): Channel => {
  if (def.type !== 'email') throw new Error(`email channel given a ${def.type} channel`);
  let transport: Transporter | null = null;
  const get = (): Transporter => {
    transport ??= nodemailer.createTransport(def.smtpUrl, {
      pool: true, maxConnections: 2,
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
    } as object);
    return transport;
  };
  return {
    name: def.name,
    type: 'email',
    async send(message) {
      const { subject, html, text } = renderEmail(message);
      try {
        const info = await get().sendMail({
          from: def.from, to: def.to, subject, html, text,
          // Receivers (and their dedup) see one id per notification message, however often it is retried.
          messageId: `<${message.key}@vigil>`,
          headers: { 'X-Vigil-Idempotency-Key': message.key },
        });
        const rejected = (info.rejected ?? []).length;
        if (rejected > 0 && (info.accepted ?? []).length === 0) return { ok: false, retryable: false, error: `SMTP server rejected every recipient (${rejected})` };
        return { ok: true, detail: String(info.response ?? '') };
      } catch (err) {
        // A broken pooled connection is not reused for the next attempt.
        if (transport && !(typeof (err as SmtpError).responseCode === 'number')) { transport.close(); transport = null; }
        return classifySmtp(err);
      }
    },
    async close() { transport?.close(); transport = null; },
  };
};
