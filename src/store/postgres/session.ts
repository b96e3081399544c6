// The PostgreSQL store's connections: a pool on the store's database whose
// every connection works in the store's schema (`?schema=`, default vigil),
// statements written with `?` placeholders as the DuckDB store's are.

import pg from 'pg';
import { VigilError, errorMessage } from '../../util/errors.js';
import { redactUrl } from './url.js';

export type PgRows = (sql: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the store's statements have no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A connection inside a transaction (or a plain one): rows and run. */
export interface PgTx {
  rows: PgRows;
  run(sql: string, values?: unknown[]): Promise<void>;
}

const txOf = (client: pg.PoolClient | pg.Pool): PgTx => ({
  rows: async (sql, values) => (await client.query(numbered(sql), values)).rows as Record<string, unknown>[],
  run: async (sql, values) => { await client.query(numbered(sql), values); },
});

export class PgSession implements PgTx {
  private closed = false;

  private constructor(private readonly pool: pg.Pool, readonly schema: string, readonly location: string) {}

  /** Connects (checking the server answers), creating the schema when missing. */
  static async open(url: string, schema: string, poolSize = 6): Promise<PgSession> {
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      options: `-c search_path=${quoteIdent(schema)},public -c TimeZone=UTC`,
      application_name: 'vigil',
    });
    // A connection that dies idle (server restart) is dropped by the pool; nothing else to do.
    pool.on('error', () => undefined);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new VigilError('STORE_FAILED', `cannot open the results store ${location}: ${redactMessage(errorMessage(err), url)} — check the URL, that the server is up and the user may create schema ${schema}`, { cause: err });
    }
    return new PgSession(pool, schema, location);
  }

  readonly rows: PgRows = async (sql, values) => (await this.pool.query(numbered(sql), values)).rows as Record<string, unknown>[];

  async run(sql: string, values?: unknown[]): Promise<void> {
    await this.pool.query(numbered(sql), values);
  }

  /** `fn` in one transaction on one connection: all or nothing. */
  async transaction<T>(fn: (tx: PgTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(txOf(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** A connection of its own for as long as `fn` runs (LISTEN, session advisory locks). */
  async dedicated<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function redactMessage(message: string, url: string): string {
  try {
    const pw = decodeURIComponent(new URL(url).password);
    return pw ? message.split(pw).join('***') : message;
  } catch {
    return message;
  }
}
