// The DuckDB store's connections: one writer connection whose every use is
// queued (exclusive), and two reader connections for the dashboard (MVCC:
// they see committed transactions, so a page never waits behind a write).

import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBBlobVector, DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { VigilError, errorMessage } from '../../util/errors.js';

const LOCK_RETRY_MS = 5000;
const READERS = 2;

/** A value of a `hot` read: a BLOB comes as its bytes. */
export type HotValue = DuckDBValue | Uint8Array | null;

export type Rows = (sql: string, values?: DuckDBValue[]) => Promise<Record<string, unknown>[]>;
export type HotRows = (sql: string, values: DuckDBValue[]) => Promise<HotValue[][]>;

/** `n` copies of a row of placeholders, for a multi-row VALUES list. */
export const placeholders = (n: number, row: string) => Array.from({ length: n }, () => row).join(', ');

export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** A BLOB read by `hot` as a Buffer over the same bytes (empty for NULL). */
export const asBuffer = (v: HotValue): Buffer => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0));

interface Reader {
  conn: Promise<DuckDBConnection>;
  queue: Promise<unknown>;
  pending: number;
  statements: Map<string, Promise<DuckDBPreparedStatement>>;
}

/**
 * The store holds check messages, sample keys and incident history: it is for its owner only.
 * DuckDB creates the file, its WAL (again after every checkpoint) and its temp folder with the
 * process umask, so the umask drops group and other bits for the rest of the process; a
 * folder created for it is 0700, and a store made by an older vigil is tightened to 0600.
 */
function privateFiles(file: string): void {
  const previous = process.umask(0o077);
  process.umask(previous | 0o077);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (const f of [file, `${file}.wal`]) {
    try { chmodSync(f, 0o600); } catch { /* not there yet, or not ours to change */ }
  }
}

export class DuckDBSession {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly readers: Reader[] = [];
  static readonly READERS = READERS;

  private constructor(private readonly instance: DuckDBInstance, readonly conn: DuckDBConnection, readonly file: string) {}

  /** Opens (creating its folder) the file, waiting up to 5 s for another process's lock to go. */
  static async open(file: string): Promise<DuckDBSession> {
    privateFiles(file);
    const deadline = Date.now() + LOCK_RETRY_MS;
    for (;;) {
      try {
        const instance = await DuckDBInstance.create(file, { threads: '1' });
        return new DuckDBSession(instance, await instance.connect(), file);
      } catch (err) {
        const msg = errorMessage(err);
        if (/lock/i.test(msg) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (/lock/i.test(msg)) {
          throw new VigilError('STORE_FAILED', `the results store ${file} is in use by another process (${msg.split('\n')[0]}) — wait for it to finish, or point store: elsewhere`, { cause: err });
        }
        throw new VigilError('STORE_FAILED', `cannot open the results store ${file}: ${msg.split('\n')[0]}`, { cause: err });
      }
    }
  }

  /** Serializes all use of the writer connection. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A read or write on the writer connection (inside exclusive()). */
  readonly rows: Rows = async (sql, values) => (await this.conn.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[];

  async run(sql: string, values?: DuckDBValue[]): Promise<void> {
    await this.conn.run(sql, values);
  }

  async transaction(fn: () => Promise<void>): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await fn();
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * A read on a reader connection (the least busy one). `rows` runs any read; `hot` is for the few
   * fixed reads a page makes per request (a check's chart): the statement is prepared once per
   * connection and kept, and its materialized result is read in one round trip to DuckDB's thread
   * instead of three, values column by column (a BLOB as the bytes the driver copied out).
   */
  reading<T>(fn: (rows: Rows, hot: HotRows) => Promise<T>): Promise<T> {
    if (this.readers.length < READERS) this.readers.push({ conn: this.instance.connect(), queue: Promise.resolve(), pending: 0, statements: new Map() });
    const reader = this.readers.reduce((a, b) => (b.pending < a.pending ? b : a));
    reader.pending++;
    const run = async () => {
      const conn = await reader.conn;
      return fn(
        async (sql, values) => (await conn.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[],
        (sql, values) => hotRead(conn, reader, sql, values),
      );
    };
    const next = reader.queue.then(run, run);
    reader.queue = next.catch(() => undefined).finally(() => { reader.pending--; });
    return next;
  }

  close(): Promise<void> {
    return this.exclusive(async () => {
      for (const r of this.readers.splice(0)) {
        await r.queue;
        (await r.conn).closeSync();
      }
      // The checkpoint closeSync() would write runs on DuckDB's thread instead of blocking this one
      // (~40 ms after a run), so a caller can free other things meanwhile. If it fails, closeSync retries it.
      await this.conn.run('CHECKPOINT').catch(() => undefined);
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }
}

async function hotRead(conn: DuckDBConnection, reader: Reader, sql: string, values: DuckDBValue[]): Promise<HotValue[][]> {
  let statement = reader.statements.get(sql);
  if (!statement) {
    statement = conn.prepare(sql);
    reader.statements.set(sql, statement);
    statement.catch(() => reader.statements.delete(sql));
  }
  const prepared = await statement;
  prepared.bind(values);
  const result = await prepared.run();
  // Column by column from each chunk's vectors: getRows() asks the native side for the column
  // count on every row and builds each value through a visitor callback.
  const out: HotValue[][] = [];
  const columns = result.columnCount;
  for (let i = 0, chunks = result.chunkCount; i < chunks; i++) {
    const chunk = result.getChunk(i);
    const base = out.length;
    for (let r = 0; r < chunk.rowCount; r++) out.push(new Array<HotValue>(columns));
    for (let c = 0; c < columns; c++) {
      const vector = chunk.getColumnVector(c);
      const n = vector.itemCount;
      if (vector instanceof DuckDBBlobVector) for (let r = 0; r < n; r++) (out[base + r] as HotValue[])[c] = vector.getItemBytes(r);
      else for (let r = 0; r < n; r++) (out[base + r] as HotValue[])[c] = vector.getItem(r);
    }
  }
  return out;
}
