// One structured logger (JSON lines on stderr) for everything outside cli/.

import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Keys whose values are secrets wherever they appear in a log record (alerts/redact.ts scrubs free text). */
const SECRET_KEYS = ['webhook_url', 'webhookUrl', 'smtp_url', 'smtpUrl', 'password', 'token', 'authorization']
  .flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(level = process.env.VIGIL_LOG_LEVEL ?? 'warn'): Logger {
  const known = LEVELS.includes(level);
  const logger = pino({ level: known ? level : 'info', base: { name: 'vigil' }, redact: { paths: SECRET_KEYS, censor: '[redacted]' } }, pino.destination({ fd: 2, sync: true }));
  if (!known) logger.warn({ VIGIL_LOG_LEVEL: level, levels: LEVELS }, 'unknown log level, using info');
  return logger;
}

export const silentLogger: Logger = pino({ level: 'silent' });
