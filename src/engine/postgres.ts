// A PostgreSQL warehouse connection: checks pushed down into the server with
// the `pg` package. One pool per connection, sized by how many datasets run at
// once; each dataset is one session in one read-only transaction whose
// statement_timeout is the dataset's remaining time, and a dataset that must
// stop has its statement cancelled on the server. Columns and types come from
// the catalog (a table) or from a LIMIT 0 of the query (a sql source): never a
// scan. Only aggregates come back, and the duplicates sample of at most 5 keys.

import pg from 'pg';
import type { ColumnInfo, Need } from '../checks/kind.js';
import type { DatasetDef } from '../config/model.js';
import { bareStatement } from '../sql/dialect.js';
import { postgresDialect } from '../sql/postgres.js';
import { errorMessage } from '../util/errors.js';
import { EngineError, type Answer, type Engine, type OpenOptions, type Row, type SourceSession } from './engine.js';
import type { ConnectionSpec, EngineSettings } from './registry.js';

const { Pool, Client } = pg;
type PoolClient = pg.PoolClient;

/** How long connecting may take when the dataset's own deadline is further away. */
const CONNECT_TIMEOUT_MS = 15_000;

/** How long after a dataset's deadline the server's statement_timeout stops a statement vigil could not cancel. */
const SERVER_TIMEOUT_GRACE_MS = 2000;

/** OIDs whose text form vigil reads itself: bigint and numeric as numbers, dates and times as written. */
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

function numberOrText(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(text)) ? n : text;
}

/** Values as the files engine gives them: numbers where exact enough, times as text, never local-time Dates. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === INT8 || oid === NUMERIC) return numberOrText;
    if (oid === DATE || oid === TIMESTAMP || oid === TIMESTAMPTZ) return (text: string) => text;
    return pg.types.getTypeParser(oid, 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** The URL as messages may show it: no password, no query string. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
}

/** Every form of the URL's password (as written, decoded), for removing from messages. */
function secretsOf(url: string): string[] {
  try {
    const u = new URL(url);
    const out = new Set<string>([url]);
    if (u.password) {
      out.add(u.password);
      out.add(decodeURIComponent(u.password));
    }
    const fromQuery = u.searchParams.get('password');
    if (fromQuery) out.add(fromQuery);
    return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  } catch {
    return [url];
  }
}

/** A PostgreSQL identifier path as users write it in `table:` — schema-less or schema.table, each part bare or "quoted". */
const TABLE_NAME = /^(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")){0,2}$/;

export class PostgresEngine implements Engine {
  readonly dialect = postgresDialect;
  readonly name: string;
  private readonly pool: pg.Pool;
  private readonly where: string;
  private readonly secrets: string[];

  constructor(private readonly spec: ConnectionSpec, settings: EngineSettings) {
    this.name = spec.name;
    this.where = `${spec.name} (${displayUrl(spec.url)})`;
    this.secrets = secretsOf(spec.url);
    this.pool = new Pool({
      connectionString: spec.url,
      max: Math.max(1, settings.sessions),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      application_name: 'vigil',
      types,
    });
    // A connection that dies while idle (the server restarted) is dropped from the pool; the next dataset opens another.
    this.pool.on('error', (err) => settings.log.warn({ connection: spec.name, err: this.redact(errorMessage(err)) }, 'an idle warehouse connection closed'));
  }

  /** A message with every form of the connection's password and URL taken out. */
  redact(message: string): string {
    let out = message;
    for (const s of this.secrets) out = out.split(s).join(s === this.spec.url ? displayUrl(this.spec.url) : '***');
    return out;
  }

  async open(ds: DatasetDef, options: OpenOptions = {}): Promise<SourceSession> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new EngineError('SOURCE_UNREADABLE', `cannot connect to ${this.where}: ${this.redact(pgMessage(err))}`, { cause: err });
    }
    const session = new PostgresSession(this, ds, client, options);
    try {
      await session.begin();
    } catch (err) {
      await session.close();
      throw new EngineError('SOURCE_UNREADABLE', `cannot start a read-only transaction on ${this.where}: ${this.redact(pgMessage(err))}`, { cause: err });
    }
    return session;
  }

  /** Asks the server to cancel what a session's backend is running (its own connection: the session's is busy). */
  async cancel(pid: number): Promise<void> {
    const c = new Client({ connectionString: this.spec.url, connectionTimeoutMillis: 5000, application_name: 'vigil cancel' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The server is gone or refuses: statement_timeout stops the statement there in any case.
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  describeWhere(): string {
    return this.where;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** PostgreSQL's message, its DETAIL/HINT when it gives one, and the position it names. */
function pgMessage(err: unknown): string {
  const e = err as { message?: string; detail?: string; hint?: string; code?: string };
  let msg = errorMessage(err);
  if (e?.code === 'ECONNREFUSED') msg = `connection refused (${msg.replace(/^connect ECONNREFUSED\s*/, '')}) — is the server running, and is the host and port right?`;
  if (e?.detail) msg += ` (${e.detail})`;
  if (e?.hint) msg += ` — ${e.hint}`;
  return msg.replace(/\s+/g, ' ').trim();
}

class PostgresSession implements SourceSession {
  readonly dialect = postgresDialect;
  relation: string;
  private closed = false;
  private broken: Error | undefined;
  private inTransaction = false;
  private readonly onAbort = () => {
    const pid = (this.client as unknown as { processID?: number }).processID;
    if (pid) void this.engine.cancel(pid);
  };
  private readonly onError = (err: Error) => { this.broken = err; };

  constructor(
    private readonly engine: PostgresEngine,
    private readonly ds: DatasetDef,
    private readonly client: PoolClient,
    private readonly options: OpenOptions,
  ) {
    const src = ds.source;
    this.relation = src.type === 'connection' && src.sql !== undefined ? `(${bareStatement(src.sql)})` : (src.type === 'connection' ? src.table ?? '' : '');
    client.on('error', this.onError);
    options.signal?.addEventListener('abort', this.onAbort);
  }

  /** BEGIN READ ONLY with the dataset's remaining time as every statement's limit on the server. */
  async begin(): Promise<void> {
    // A little past the deadline: the run's own timer cancels first and says "timed out"; this stops the statement if vigil cannot.
    const left = this.options.deadline !== undefined ? Math.max(1, Math.ceil(this.options.deadline - Date.now())) + SERVER_TIMEOUT_GRACE_MS : 0;
    await this.client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${left}`);
    this.inTransaction = true;
  }

  /** After a failed statement the transaction is aborted: start a new one so the next statement (a per-check retry) can run. */
  private async restart(): Promise<void> {
    if (this.broken || this.options.signal?.aborted) return;
    try {
      await this.client.query('ROLLBACK');
      this.inTransaction = false;
      await this.begin();
    } catch (err) {
      this.broken = err as Error;
    }
  }

  private async run<T>(label: string, sql: string, rowMode: 'array' | undefined, read: (r: pg.QueryResult) => T): Promise<T> {
    const t0 = performance.now();
    if (this.broken) {
      const message = `lost the connection to ${this.engine.describeWhere()}: ${this.engine.redact(pgMessage(this.broken))}`;
      this.options.onStatement?.({ label, sql, ms: 0, error: message });
      throw new EngineError('SOURCE_UNREADABLE', message);
    }
    try {
      // The extended protocol takes exactly one statement: nothing can be appended to a query.
      const res = await this.client.query({ text: sql, queryMode: 'extended', ...(rowMode ? { rowMode } : {}) } as pg.QueryConfig);
      const out = read(res);
      this.options.onStatement?.({ label, sql, ms: performance.now() - t0 });
      return out;
    } catch (err) {
      const lost = this.broken !== undefined || isConnectionLoss(err);
      const message = lost
        ? `lost the connection to ${this.engine.describeWhere()}: ${this.engine.redact(pgMessage(err))}`
        : this.engine.redact(pgMessage(err));
      if (lost) this.broken ??= err as Error;
      this.options.onStatement?.({ label, sql, ms: performance.now() - t0, error: message });
      await this.restart();
      throw new EngineError(lost ? 'SOURCE_UNREADABLE' : 'QUERY_FAILED', message, { cause: err });
    }
  }

  query(label: string, sql: string): Promise<Row[]> {
    return this.run(label, sql, undefined, (r) => r.rows as Row[]);
  }

  queryArrays(label: string, sql: string): Promise<unknown[][]> {
    return this.run(label, sql, 'array', (r) => r.rows as unknown[][]);
  }

  /** PREPARE names and types the statement against the catalog; nothing runs. */
  async bind(label: string, sql: string): Promise<void> {
    await this.run(label, `PREPARE __vigil_bind AS ${sql}`, undefined, () => undefined);
    await this.run(`${label} (deallocate)`, 'DEALLOCATE __vigil_bind', undefined, () => undefined);
  }

  async bindable(): Promise<string> {
    return this.relation;
  }

  async describe(): Promise<ColumnInfo[]> {
    const src = this.ds.source;
    if (src.type !== 'connection') throw new EngineError('SOURCE_UNREADABLE', `${this.ds.name} is not a source on a connection`);
    try {
      if (src.sql !== undefined) return await this.describeQuery();
      return await this.describeTable(src.table ?? '');
    } catch (err) {
      if (err instanceof EngineError && err.code === 'SOURCE_UNREADABLE') throw err;
      throw new EngineError('SOURCE_UNREADABLE', this.unreadable(err), { cause: err });
    }
  }

  /** The table's columns from the catalog: pg_attribute in column order, types as format_type() spells them. */
  private async describeTable(table: string): Promise<ColumnInfo[]> {
    if (!TABLE_NAME.test(table)) {
      throw new EngineError('SOURCE_UNREADABLE', `table: ${table} is not a table name — write schema.table or table (quote a part with "" when it has capitals or spaces)`);
    }
    const found = await this.query('describe', `SELECT n.nspname AS schema, c.relname AS name, c.oid::bigint AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(${postgresDialect.quoteLiteral(table)})`);
    const rel = found[0];
    if (!rel) {
      throw new EngineError('SOURCE_UNREADABLE', `table ${table} does not exist on ${this.engine.describeWhere()}${await this.similarTables(table)} — check source: table in ${this.ds.file}`);
    }
    this.relation = `${postgresDialect.quoteIdent(String(rel.schema))}.${postgresDialect.quoteIdent(String(rel.name))}`;
    const cols = await this.query('describe', `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = ${Number(rel.oid)} AND attnum > 0 AND NOT attisdropped ORDER BY attnum`);
    return cols.map((c) => ({ name: String(c.name), type: String(c.type) }));
  }

  /** Tables the user may have meant: the same name in other schemas, or names in the schema that differ a little. */
  private async similarTables(table: string): Promise<string> {
    const bare = (table.split('.').pop() ?? table).replace(/^"|"$/g, '').toLowerCase();
    try {
      const rows = await this.query('describe', `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND (lower(c.relname) = ${postgresDialect.quoteLiteral(bare)} OR lower(c.relname) LIKE ${postgresDialect.quoteLiteral(`%${bare.replace(/[%_\\]/g, (m) => `\\${m}`)}%`)}) ORDER BY 1 LIMIT 5`);
      return rows.length ? ` — did you mean ${rows.map((r) => String(r.name)).join(', ')}?` : '';
    } catch {
      return '';
    }
  }

  /** A sql source's columns: the query planned with LIMIT 0 (no row is read), its result's types named by format_type(). */
  private async describeQuery(): Promise<ColumnInfo[]> {
    const res = await this.run('describe', `SELECT * FROM ${this.relation} AS src LIMIT 0`, undefined, (r) => r.fields);
    if (res.length === 0) return [];
    const oids = res.map((f) => f.dataTypeID);
    const mods = res.map((f) => (f as unknown as { dataTypeModifier: number }).dataTypeModifier);
    const named = await this.query('describe', `SELECT format_type(t.oid, t.mod) AS type FROM unnest(ARRAY[${oids.join(', ')}]::oid[], ARRAY[${mods.join(', ')}]::int[]) WITH ORDINALITY AS t(oid, mod, i) ORDER BY t.i`);
    return res.map((f, i) => ({ name: f.name, type: String(named[i]?.type ?? 'unknown') }));
  }

  unreadable(err: unknown): string {
    const msg = err instanceof EngineError ? err.message : this.engine.redact(pgMessage(err));
    const src = this.ds.source;
    const what = src.type === 'connection' && src.sql === undefined ? `table ${src.table} on ${this.engine.describeWhere()}` : `the sql source of ${this.ds.name} on ${this.engine.describeWhere()}`;
    if (msg.startsWith('lost the connection') || msg.startsWith('table ')) return msg;
    return `cannot read ${what}: ${msg}`;
  }

  /** The catalog's row estimates are never exact: every need is for the data statement. */
  async answer(_needs: Need[], _columns: ColumnInfo[]): Promise<Map<string, Answer>> {
    return new Map();
  }

  /** A table is read by each scan as the server sees fit: nothing to hold in memory here. */
  async materialize(_needs: Need[]): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (!this.broken && this.inTransaction) {
      try {
        await this.client.query('ROLLBACK');
      } catch (err) {
        this.broken = err as Error;
      }
    }
    this.client.removeListener('error', this.onError);
    // A broken connection is destroyed, not returned to the pool.
    this.client.release(this.broken ?? (this.options.signal?.aborted ? new Error('cancelled') : undefined));
  }
}

function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && /^(08|57P0[1-3])/.test(e.code)) return true;
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE' || e?.code === 'ECONNREFUSED') return true;
  return /Connection terminated|connection (is )?closed|not queryable/i.test(e?.message ?? '');
}

export function createPostgresEngine(connection: ConnectionSpec, settings: EngineSettings): Engine {
  return new PostgresEngine(connection, settings);
}
