// One structured logger (JSON lines on stderr) for everything outside cli/.

import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(level = process.env.VIGIL_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: { name: 'vigil' } }, pino.destination({ fd: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
