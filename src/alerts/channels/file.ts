// A channel that writes the text of each message to a file and/or stderr:
// the demo's default, so alerts can be read without Slack or SMTP.

import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../util/errors.js';
import { renderEmail } from '../render/email.js';
import type { Channel, ChannelFactory } from './channel.js';

export const fileChannel: ChannelFactory = (def, opts): Channel => {
  if (def.type !== 'file') throw new Error(`file channel given a ${def.type} channel`);
  const out = opts.stderr ?? process.stderr;
  return {
    name: def.name,
    type: 'file',
    async send(message) {
      const { subject, text } = renderEmail(message);
      const body = `── vigil alert → ${def.name} · ${message.createdAt} ──\n${text.startsWith(subject) ? text : `${subject}\n${text}`}\n`;
      try {
        if (def.path) {
          await mkdir(path.dirname(def.path), { recursive: true });
          await appendFile(def.path, body);
        }
        if (def.stderr) out.write(body);
        return { ok: true, detail: def.path ? `appended to ${def.path}` : 'printed' };
      } catch (err) {
        // A full disk may clear; a missing permission will not either way, but retrying is harmless.
        return { ok: false, retryable: true, error: `cannot write ${def.path ?? 'stderr'}: ${errorMessage(err)}` };
      }
    },
    async close() { /* nothing held open */ },
  };
};
