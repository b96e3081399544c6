// The contract of a check kind: its options schema, how one check turns into
// metric needs for the compiler, and how the measured values become a status.

import type { CheckDef, DatasetDef } from '../config/model.js';
import type { CheckKindName } from '../config/schema.js';
import type { AggregateFn, Dialect, KeyColumn } from '../sql/dialect.js';

export type Status = 'pass' | 'warn' | 'fail' | 'error';
export const STATUS_RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2, error: 3 };

export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'pass';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** An aggregate over the dataset's relation; the compiler puts every one of a dataset in one SELECT. */
export interface AggregateNeed {
  type: 'aggregate';
  fn: AggregateFn;
  /** SQL expression (already quoted) for count/max. */
  arg?: string;
  /** The column `arg` names, when it is just a column (lets metadata answer a count, see engine/statistics.ts). */
  column?: string;
  /** SQL predicate limiting the rows this aggregate sees. */
  filter?: string;
  /** SQL applied to the aggregate's result, with AGG_PLACEHOLDER standing for it. */
  outer?: string;
}

/** Duplicate key tuples: compiled as a GROUP BY over the keys (NULL keys ignored). */
export interface DuplicatesNeed {
  type: 'duplicates';
  /** The key columns with their types (the sample's order and values depend on them). */
  keys: KeyColumn[];
  filter?: string;
}

export interface DuplicatesValue {
  duplicateRows: number;
  duplicateKeys: number;
  sample: Array<{ key: Record<string, unknown>; count: number }>;
}

/**
 * The rows `filter` holds for, grouped by one column's value (NULL is a value here): compiled as a
 * GROUP BY in the dataset's statement, like duplicates. For checks that count offending values
 * (accepted_values, relationships) and show the most frequent of them.
 */
export interface ValueGroupsNeed {
  type: 'value_groups';
  column: KeyColumn;
  filter: string;
}

export interface ValueGroupsValue {
  /** Rows in the groups. */
  rows: number;
  /** Distinct values (groups). */
  values: number;
  /** The most frequent values, most rows first, ties by value ascending. */
  sample: Array<{ value: unknown; count: number }>;
}

/** A query of its own (sql checks); its first column of the first row is the value. */
export interface QueryNeed {
  type: 'query';
  sql: string;
}

/**
 * Rows per time bucket (anomaly timestamp_column): compiled as a GROUP BY over the bucket key,
 * in the dataset's statement. The value is [{ k, n, m }]: the bucket key, its rows, and its rows
 * where `measure` holds (0 without one).
 */
export interface BucketsNeed {
  type: 'buckets';
  /** SQL of the bucket key (Dialect.bucketKey). */
  key: string;
  /** SQL predicate of the rows counted: the window of buckets, and the check's `where`. */
  filter: string;
  measure?: string;
}

export interface BucketCounts {
  k: number;
  n: number;
  m: number;
}

/** Newest modification time of the source's files, in ms since the epoch. */
export interface MtimeNeed {
  type: 'mtime';
}

export const AGG_PLACEHOLDER = '$AGG$';

/** The value of a query need whose query returned no row. */
export const NO_ROW = Symbol.for('vigil.no-row');

export type Need = AggregateNeed | DuplicatesNeed | BucketsNeed | ValueGroupsNeed | QueryNeed | MtimeNeed;

export function needKey(need: Need): string {
  return JSON.stringify(need);
}

export interface PlanContext {
  dialect: Dialect;
  dataset: DatasetDef;
  columns: ColumnInfo[];
  /** The named column, or a typed UNKNOWN_COLUMN error listing the columns that exist. */
  column(name: string): ColumnInfo;
  /** The dataset's relation with `filter` applied, usable in FROM. */
  sourceSql(): string;
  /** The time of the run (--now): which time buckets are complete. */
  now: Date;
  /** count(*) of the rows a check with this `where` sees. */
  rows(where?: string): AggregateNeed;
}

export interface EvalContext {
  now: Date;
  dataset: DatasetDef;
  columns: ColumnInfo[];
  /** Schema recorded by the previous run of this dataset; null on the first run. */
  previousSchema: ColumnInfo[] | null;
  /** The measured value of a need the plan asked for. */
  value(need: Need): unknown;
}

export interface Outcome {
  status: Status;
  value: number | null;
  unit: string;
  message: string;
  details: Record<string, unknown>;
  thresholds: Record<string, unknown>;
}

export interface CheckPlan {
  needs: Need[];
  evaluate(ctx: EvalContext): Outcome;
}

export interface ValidationProblem {
  /** Path below the check kind's key, e.g. ['warn'] */
  path: ReadonlyArray<string | number>;
  message: string;
}

export interface CheckKind {
  kind: CheckKindName;
  unit: string;
  /** Default names; several when one entry expands into several checks (nulls with columns). */
  expand(options: Record<string, unknown>): Array<{ name: string; column?: string }>;
  /** Rules beyond the schema (e.g. a percent where it means nothing). */
  validate?(options: Record<string, unknown>): ValidationProblem[];
  /** Columns the check reads, for unknown-column validation. */
  columns(check: CheckDef): string[];
  plan(check: CheckDef, ctx: PlanContext): CheckPlan;
}

export function asNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.NaN;
}
