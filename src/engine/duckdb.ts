// The files engine: DuckDB in-process over Parquet, CSV and JSON extracts (and
// sql sources over them), on @duckdb/node-api. One instance, a fixed pool of
// connections (one per concurrently running dataset). It owns everything
// DuckDB-specific about a dataset run: the read_* relation, DESCRIBE, the
// Parquet footers and file times that answer needs without a scan, when a text
// source is read once into memory, DuckDB's error text, and interrupting.

import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { needKey, type ColumnInfo, type Need } from '../checks/kind.js';
import { COMPRESSED } from '../config/files.js';
import type { DatasetDef } from '../config/model.js';
import { duckdbDialect } from '../sql/duckdb.js';
import { errorMessage } from '../util/errors.js';
import { scanCount } from './compile.js';
import { relationSql } from './duckdb-relation.js';
import { absolutePaths, sandboxFor, sandboxMessage, sandboxStatements, type Sandbox } from './duckdb-sandbox.js';
import { EngineError, type Answer, type Engine, type OpenOptions, type Row, type SourceSession } from './engine.js';
import { statisticsPlan } from './statistics.js';

export interface DuckDBEngineOptions {
  /** How many datasets run at once (each in a database of its own). */
  connections: number;
  threads?: number;
  memoryLimit?: string;
  /** Files no dataset's database may reach (the results store), even inside a source's folder. */
  protect?: () => readonly string[];
}

/** The files engine as vigil.yaml's `duckdb:` settings ask for it, with `sessions` datasets at once. */
export function createFilesEngine(settings: { threads?: number | undefined; memory_limit?: string | undefined }, sessions: number, protect?: () => readonly string[]): Promise<DuckDBEngine> {
  return DuckDBEngine.create({
    connections: sessions,
    ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    ...(settings.memory_limit !== undefined ? { memoryLimit: settings.memory_limit } : {}),
    ...(protect ? { protect } : {}),
  });
}

/** Plain JSON-friendly values: BIGINTs as numbers when safe, dates as ISO strings. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if (value.constructor === Object) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return String(value);
  }
  return value;
}

/** DuckDB messages carry a "LINE 1: …" excerpt of our generated SQL; the first paragraph says what went wrong. */
export function cleanDuckDBError(err: unknown): string {
  const msg = errorMessage(err);
  return (msg.split(/\n\s*\n/)[0] ?? msg).replace(/\s+/g, ' ').trim();
}

/** What makes a source path a pattern for DuckDB's glob(). */
const GLOB_CHARS = /[*?[{]/;

/** Formats every scan must parse; the others (Parquet) are columnar and cheap to read twice. */
const TEXT_FORMATS: ReadonlySet<string> = new Set(['csv', 'tsv', 'json', 'jsonl', 'ndjson']);

/**
 * Up to this many bytes of text source, a statement with several scans reads the parsed rows
 * from memory instead of parsing the files once per scan (a 280 MB CSV: a few per cent faster, see
 * npm run bench); above it, memory matters more than the second parse.
 */
const MATERIALIZE_MAX_BYTES = 1024 ** 3;

/** The empty copy of a source's columns that validate binds statements against (a temp table of the session). */
const SHADOW = '"__vigil_validate_source"';

type FileSource = Extract<DatasetDef['source'], { type: 'file' }>;

/** A locked-down database shared by the datasets whose sandbox is the same (same folders, same check folder). */
interface SharedDb {
  instance: DuckDBInstance;
  idle: DuckDBConnection[];
  all: DuckDBConnection[];
  busy: number;
  lastUsed: number;
}

/** Sandboxed databases kept open; the least recently used idle one is closed beyond this. */
const MAX_SHARED = 16;

/**
 * Every dataset runs in a DuckDB database locked to the folders its source reads
 * (engine/duckdb-sandbox.ts): DuckDB's external-access settings are per database, and a check's
 * SQL must never reach another dataset's files, the results store or the rest of the machine.
 * Datasets with the same sandbox share one database (one connection each); a dataset whose
 * folder also holds the results store gets a database of its own, allowed only its own files.
 * `connections` datasets run at once.
 */
export class DuckDBEngine implements Engine {
  readonly name = 'files';
  readonly dialect = duckdbDialect;
  private free: number;
  private readonly waiting: Array<() => void> = [];
  private readonly shared = new Map<string, SharedDb>();
  private readonly making = new Map<string, Promise<SharedDb>>();
  private readonly dedicated = new Set<{ conn: DuckDBConnection; instance: DuckDBInstance }>();
  private readonly config: Record<string, string> = {};

  private constructor(private readonly options: DuckDBEngineOptions) {
    this.free = Math.max(1, options.connections);
    if (options.threads !== undefined) this.config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) this.config.memory_limit = options.memoryLimit;
  }

  static async create(options: DuckDBEngineOptions): Promise<DuckDBEngine> {
    const engine = new DuckDBEngine(options);
    // Fails now, not at the first dataset, when the settings are wrong (a bad memory_limit).
    (await DuckDBInstance.create(':memory:', engine.config)).closeSync();
    return engine;
  }

  private sharedDb(key: string, sb: Sandbox, base: string): Promise<SharedDb> {
    const known = this.shared.get(key);
    if (known) return Promise.resolve(known);
    // Two datasets of one sandbox starting together make one database.
    let making = this.making.get(key);
    if (!making) {
      making = (async () => {
        const instance = await DuckDBInstance.create(':memory:', this.config);
        const first = await instance.connect();
        for (const sql of sandboxStatements(sb, base)) await first.run(sql);
        const db: SharedDb = { instance, idle: [first], all: [first], busy: 0, lastUsed: 0 };
        this.shared.set(key, db);
        this.evict();
        return db;
      })().finally(() => this.making.delete(key));
      this.making.set(key, making);
    }
    return making;
  }

  private evict(): void {
    if (this.shared.size <= MAX_SHARED) return;
    const idle = [...this.shared].filter(([, d]) => d.busy === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
    if (!idle) return;
    this.shared.delete(idle[0]);
    for (const c of idle[1].all) c.closeSync();
    idle[1].instance.closeSync();
  }

  async open(ds: DatasetDef, options: OpenOptions = {}): Promise<SourceSession> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let done: (() => void) | undefined;
    const release = () => {
      done?.();
      done = undefined;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
    let session: DuckDBSession | undefined;
    try {
      const protect = this.options.protect?.() ?? [];
      const base = path.dirname(ds.file);
      const sb = sandboxFor(ds, protect);
      if (sb.partial) {
        // The store lies in a source folder: a database of its own, allowed exactly the source's files,
        // listed (vigil's own glob) before it is locked down.
        const instance = await DuckDBInstance.create(':memory:', this.config);
        const own = { instance, conn: await instance.connect() };
        this.dedicated.add(own);
        done = () => { this.dedicated.delete(own); own.conn.closeSync(); own.instance.closeSync(); };
        session = new DuckDBSession(ds, own.conn, options, release);
        await session.snapshot();
        await session.lockDown(protect);
      } else {
        const db = await this.sharedDb(JSON.stringify([sb.directories, sb.paths, base]), sb, base);
        const conn = db.idle.pop() ?? await db.instance.connect();
        if (!db.all.includes(conn)) db.all.push(conn);
        db.busy++;
        done = () => { db.busy--; db.lastUsed = Date.now(); db.idle.push(conn); };
        session = new DuckDBSession(ds, conn, options, release);
        session.sandboxed(sb);
        await session.snapshot();
      }
    } catch (err) {
      if (!session) { release(); throw err; }
      await session.close();
      if (err instanceof EngineError) throw err;
      throw new EngineError('SOURCE_UNREADABLE', session.unreadable(err), { cause: err });
    }
    return session;
  }

  async close(): Promise<void> {
    for (const db of this.shared.values()) {
      for (const c of db.all) c.closeSync();
      db.instance.closeSync();
    }
    this.shared.clear();
    for (const own of this.dedicated) { own.conn.closeSync(); own.instance.closeSync(); }
    this.dedicated.clear();
  }
}

class DuckDBSession implements SourceSession {
  readonly dialect = duckdbDialect;
  relation: string;
  private files: Stats[] | undefined;
  /** The files a glob matched when the run began (see snapshot()). */
  private listed: string[] | undefined;
  private closed = false;
  private shadowed = false;
  private sandbox: Sandbox = { directories: [], paths: [], partial: false };
  /** The check file's folder: relative paths in its SQL are read from there. */
  private readonly base: string;
  private readonly onAbort = () => this.conn.interrupt();

  constructor(
    private readonly ds: DatasetDef,
    private readonly conn: DuckDBConnection,
    private readonly options: OpenOptions,
    private readonly release: () => void,
  ) {
    this.relation = relationSql(ds.source, duckdbDialect);
    this.base = path.dirname(ds.file);
    options.signal?.addEventListener('abort', this.onAbort);
  }

  /** The database is locked down to this sandbox already (a shared one): for the errors' wording. */
  sandboxed(sb: Sandbox): void {
    this.sandbox = sb;
  }

  /** From here on this database reads only the source's folders, and nothing can change that. */
  async lockDown(protect: readonly string[]): Promise<void> {
    this.sandbox = sandboxFor(this.ds, protect, this.listed);
    for (const sql of sandboxStatements(this.sandbox, this.base)) await this.conn.run(sql);
  }

  /**
   * A glob is expanded once, when the dataset run begins, and every statement (the footers, the
   * data statement, each sql check) reads that list: a file that lands or goes mid-run cannot give
   * two checks of one run different files. No match is the source's error, as DuckDB words it.
   */
  async snapshot(): Promise<void> {
    const src = this.ds.source;
    if (src.type !== 'file' || !GLOB_CHARS.test(src.path)) return;
    let found: Row[];
    try {
      found = await this.query('files', `SELECT file FROM glob(${duckdbDialect.quoteLiteral(src.path)}) ORDER BY file`);
    } catch (err) {
      throw new EngineError('SOURCE_UNREADABLE', this.unreadable(err), { cause: err });
    }
    if (found.length === 0) {
      throw new EngineError('SOURCE_UNREADABLE', this.unreadable(new Error(`No files found that match the pattern "${src.path}"`)));
    }
    this.listed = found.map((f) => String(f.file));
    this.relation = relationSql(src, duckdbDialect, this.listed);
  }

  /** One statement, logged; a DuckDB error becomes an EngineError with DuckDB's first paragraph. */
  async run<T>(label: string, statement: string, read?: (conn: DuckDBConnection, sql: string) => Promise<T>, internal = false): Promise<T> {
    // Relative file paths in the user's SQL (sql sources and checks) as absolute ones: what the sandbox compares.
    const sql = absolutePaths(statement, this.base);
    const t0 = performance.now();
    try {
      // Whatever a sql check wrote, its statement is one SELECT: COPY … TO a source's own folder,
      // which the sandbox allows, or a second statement after a ';' never runs.
      if (!internal && label === 'sql') await this.onlySelect(sql);
      const out = read ? await read(this.conn, sql) : (await this.conn.run(sql), undefined as T);
      this.options.onStatement?.({ label, sql, ms: performance.now() - t0 });
      return out;
    } catch (err) {
      const cleaned = cleanDuckDBError(err);
      const message = sandboxMessage(cleaned, this.sandbox) ?? cleaned;
      this.options.onStatement?.({ label, sql, ms: performance.now() - t0, error: message });
      throw new EngineError('QUERY_FAILED', message, { cause: err });
    }
  }

  /**
   * Read from the text, not by preparing it (that binds, and sniffs a CSV again: ~1.6x slower on
   * many small datasets, measured): comments and string literals out, one statement, read-only first word.
   */
  private async onlySelect(sql: string): Promise<void> {
    const bare = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' ').trim().replace(/;\s*$/, '');
    if (bare.includes(';')) {
      throw new Error('check SQL must be a single SELECT statement; this is more than one statement — remove the \';\' and what follows it');
    }
    const first = /^\(*\s*([a-z]+)/i.exec(bare)?.[1]?.toUpperCase() ?? '';
    if (!['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'SUMMARIZE', 'DESCRIBE'].includes(first)) {
      throw new Error(`check SQL must be a single SELECT statement; this is ${first || 'not one'} — vigil only reads`);
    }
  }

  query(label: string, sql: string): Promise<Row[]> {
    return this.run(label, sql, async (c, text) => (await c.runAndReadAll(text)).getRowObjectsJS()
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))));
  }

  queryArrays(label: string, sql: string): Promise<unknown[][]> {
    return this.run(label, sql, async (c, text) => (await c.runAndReadAll(text)).getRowsJS().map((r) => r.map(plain)));
  }

  async bind(label: string, sql: string): Promise<void> {
    await this.run(label, `DESCRIBE ${sql}`);
  }

  /**
   * Binding a statement over read_csv()/read_json() sniffs the file again every time (tens of
   * ms per check, the bulk of validate); over an empty table of the same columns and types the
   * same filter, where and sql bind at once. A source that cannot be copied is used as is.
   */
  async bindable(): Promise<string> {
    try {
      await this.run('bindable', `CREATE OR REPLACE TEMP TABLE ${SHADOW} AS SELECT * FROM ${this.relation} AS src LIMIT 0`, undefined, true);
      this.shadowed = true;
      return SHADOW;
    } catch {
      return this.relation;
    }
  }

  /**
   * Column names and types from metadata. When a bad row sits inside the sample
   * DuckDB sniffs, a .csv is read as one column named like "id,name,v"; reading
   * it again with an explicit comma makes DuckDB report the real row error.
   */
  async describe(): Promise<ColumnInfo[]> {
    const describe = async (rel: string) =>
      (await this.query('describe', `DESCRIBE SELECT * FROM ${rel} AS src`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    try {
      const columns = await describe(this.relation);
      const src = this.ds.source;
      if (src.type === 'file' && src.format === 'csv' && !('delim' in src.options) && !('sep' in src.options)
        && columns.length === 1 && columns[0]?.name.includes(',')) {
        const strict = relationSql({ ...src, options: { ...src.options, delim: ',' } }, duckdbDialect, this.listed);
        const real = await describe(strict);
        this.relation = strict;
        return real;
      }
      return columns;
    } catch (err) {
      throw new EngineError('SOURCE_UNREADABLE', this.unreadable(err), { cause: err });
    }
  }

  unreadable(err: unknown): string {
    const msg = err instanceof EngineError ? err.message : cleanDuckDBError(err);
    const ds = this.ds;
    const where = path.relative(process.cwd(), ds.file) || ds.file;
    if (ds.source.type === 'file') {
      if (/No files found that match the pattern/i.test(msg)) {
        return `no files match ${ds.source.display} (${ds.source.path}) — check source: in ${where}`;
      }
      return `cannot read ${ds.source.display}: ${msg}`;
    }
    return `cannot read source of ${ds.name}: ${msg}`;
  }

  private async sourceFiles(source: FileSource): Promise<Stats[]> {
    if (this.files) return this.files;
    // A plain path needs no round trip to DuckDB's glob(); a missing file is no file, as there.
    if (!GLOB_CHARS.test(source.path)) {
      this.files = await stat(source.path).then((st) => [st], (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
    } else {
      this.files = await Promise.all((this.listed ?? []).map((f) => stat(f)));
    }
    return this.files;
  }

  async answer(needs: Need[], columns: ColumnInfo[]): Promise<Map<string, Answer>> {
    const out = new Map<string, Answer>();
    const src = this.ds.source;
    const mtime = needs.filter((n) => n.type === 'mtime');
    if (mtime.length && src.type === 'file') {
      const newest = (await this.sourceFiles(src)).reduce<number | null>((m, st) => Math.max(m ?? 0, st.mtimeMs), null);
      for (const n of mtime) out.set(needKey(n), { value: newest, from: 'file modification times' });
    }
    // What the source's metadata answers (Parquet NULL counts) leaves the data query.
    const statistics = statisticsPlan(src, this.ds.filter, needs, columns, duckdbDialect, this.listed);
    if (statistics) {
      try {
        for (const [k, v] of statistics.read(await this.query('statistics', statistics.sql))) out.set(k, { value: v, from: 'Parquet footers' });
      } catch (err) {
        // Unreadable footers: the data query reads the same files and says what is wrong. A stop is a stop.
        if (this.options.signal?.aborted) throw err;
      }
    }
    return out;
  }

  async materialize(needs: Need[]): Promise<boolean> {
    // A text source read by more than one scan is parsed once and kept in memory, when it is small enough.
    // Compressed text grows several times once parsed: it is never held in memory.
    const src = this.ds.source;
    if (src.type !== 'file' || !TEXT_FORMATS.has(src.format) || COMPRESSED.test(src.path) || scanCount(needs) <= 1) return false;
    try {
      const bytes = (await this.sourceFiles(src)).reduce((sum, st) => sum + st.size, 0);
      return bytes > 0 && bytes <= MATERIALIZE_MAX_BYTES;
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      // Only an optimisation: a file that went away between glob() and stat() is for the data statement to report.
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.shadowed) await this.conn.run(`DROP TABLE IF EXISTS ${SHADOW}`).catch(() => undefined);
    this.release();
  }
}
