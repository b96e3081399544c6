// The boundary between the run path and a database. An engine opens one
// session per dataset run: it names the source as a relation, describes it
// from metadata, answers what metadata can (file times, Parquet footers),
// runs the compiled statements, turns database errors into messages, and
// stops what is in flight when the dataset must stop. DuckDB over files is
// one engine; each warehouse connection is another (engine/registry.ts).

import type { ColumnInfo, Need } from '../checks/kind.js';
import type { DatasetDef } from '../config/model.js';
import type { Dialect } from '../sql/dialect.js';
import { VigilError, type ErrorCode } from '../util/errors.js';

export type Row = Record<string, unknown>;

/** One statement an engine sent, as the run records it. */
export interface StatementLog {
  label: string;
  sql: string;
  ms: number;
  error?: string;
}

export interface OpenOptions {
  /** Aborted when the dataset must stop (its timeout, a shutdown): the statement in flight is interrupted. */
  signal?: AbortSignal;
  /** When the dataset's time is up (ms since the epoch): engines that can limit a statement on the server do. */
  deadline?: number;
  /** Told of every statement the session sends, as it finishes. */
  onStatement?: (s: StatementLog) => void;
}

/** A value metadata gave, and which metadata (said in the result, e.g. "Parquet footers"). */
export interface Answer {
  value: unknown;
  from?: string;
}

export interface Engine {
  /** "files", or the connection's name: what messages call it. */
  readonly name: string;
  readonly dialect: Dialect;
  /**
   * One dataset's session. Waits while as many sessions as the engine allows are open.
   * Throws an EngineError (SOURCE_UNREADABLE) when the source cannot be reached at all.
   */
  open(ds: DatasetDef, options?: OpenOptions): Promise<SourceSession>;
  close(): Promise<void>;
}

export interface SourceSession {
  readonly dialect: Dialect;
  /** FROM-clause relation of the source, quoted. describe() may settle on another (a CSV read with an explicit delimiter). */
  readonly relation: string;
  /** Column names and types from metadata: never a scan. */
  describe(): Promise<ColumnInfo[]>;
  /** The needs metadata answers (need key → answer); the rest are for the data statements. */
  answer(needs: Need[], columns: ColumnInfo[]): Promise<Map<string, Answer>>;
  /** Whether the dataset statement should read the source once into memory for these needs (a text source read twice). */
  materialize(needs: Need[]): Promise<boolean>;
  /** Runs one statement; rows as plain JSON-friendly values (numbers, strings, ISO dates). */
  query(label: string, sql: string): Promise<Row[]>;
  /** The same, rows as arrays in column order. */
  queryArrays(label: string, sql: string): Promise<unknown[][]>;
  /** Checks that a statement binds (names, types) without reading data. */
  bind(label: string, sql: string): Promise<void>;
  /** A relation with the source's columns and types for bind() to check statements against (after describe()); reads nothing. */
  bindable(): Promise<string>;
  /** What to say when the source itself failed a statement: "cannot read …: <why>". */
  unreadable(err: unknown): string;
  close(): Promise<void>;
}

/** A database error, cleaned for people: what went wrong, no generated SQL, no secrets. */
export class EngineError extends VigilError {
  constructor(code: Extract<ErrorCode, 'SOURCE_UNREADABLE' | 'QUERY_FAILED' | 'TIMEOUT'>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EngineError';
  }
}
