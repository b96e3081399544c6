// The engine interface: a pool of sessions that run SQL and can be
// interrupted. One session serves one dataset run at a time.

import type { Dialect } from '../sql/dialect.js';

export type Row = Record<string, unknown>;

export interface Session {
  /** Runs one statement and returns its rows as plain JS values. */
  query(sql: string): Promise<Row[]>;
  /** Runs one statement and returns its rows as arrays, in column order. */
  queryArrays(sql: string): Promise<unknown[][]>;
  /** Interrupts the statement in flight, if any (timeouts). */
  interrupt(): void;
  release(): void;
}

export interface Engine {
  readonly dialect: Dialect;
  acquire(): Promise<Session>;
  close(): Promise<void>;
}
