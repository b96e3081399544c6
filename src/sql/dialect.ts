// What the compiler asks of a SQL dialect: every piece of generated SQL that is
// not the same in every database — quoting, type-dependent expressions, time
// maths, the duplicates sample, describing a relation inside a statement.
// One file per dialect (duckdb.ts, postgres.ts); the compiler never pastes them.

export type TimeCategory = 'timestamp' | 'timestamptz' | 'date' | 'other';

/** A key column of a duplicates check: its name and the type the source declares. */
export interface KeyColumn {
  name: string;
  type: string;
}

export type AggregateFn = 'count_star' | 'count' | 'max' | 'min' | 'sum';

/** The unit of a time bucket (anomaly timestamp_column). */
export type BucketUnit = 'hour' | 'day' | 'week';

/**
 * How a dialect measures duplicates over a grouped relation: `groups` is a SELECT
 * with the key columns and `__n` (rows per key tuple). When `repeated` is given,
 * only the groups it holds for count (the rest are other keys' groups).
 */
export interface DuplicatesInput {
  groups: string;
  keys: KeyColumn[];
  /** Appended to the output names: dup_rows<s>, dup_keys<s>, sample<s>. */
  suffix: string;
  /** How many of the most repeated key tuples the sample keeps. */
  sampleSize: number;
  repeated?: string;
  /** More select-list items over the same groups, returned by the same sub-select (one scan for both). */
  alongside?: string;
}

/** CTEs the duplicates measure needs (WITH …) and the one-row sub-selects it joins into the statement. */
export interface DuplicatesSql {
  ctes: string[];
  parts: string[];
}

export interface Dialect {
  readonly name: string;
  quoteIdent(name: string): string;
  quoteLiteral(value: string | number | boolean): string;
  /** How a column type behaves for freshness. */
  timeCategory(type: string): TimeCategory;
  /** Milliseconds since the epoch (an integer) of a time-valued expression; naive values are read in `timezone`. `expr` may be a placeholder. */
  epochMs(expr: string, category: Exclude<TimeCategory, 'other'>, timezone: string): string;
  /**
   * The key of the time bucket holding a time-valued expression, as a BIGINT: for `day` and
   * `week` (weeks start on Monday) the local start read as if it were UTC, in ms; for `hour`
   * the start instant in ms (the fall-back hour is two buckets). Naive values are local in `timezone`.
   */
  bucketKey(expr: string, category: Exclude<TimeCategory, 'other'>, timezone: string, unit: BucketUnit): string;
  /** A one-row sub-select of `groups` (a SELECT of k, n, m) as a list of { k, n, m } ordered by k, named `alias` (NULL when empty). */
  bucketList(groups: string, alias: string): string;
  /** A value written in a check file (missing_values) as a value of `type`, or NULL when it is not one. */
  castValue(value: string | number | boolean, type: string): string;
  /** An aggregate call, limited to the rows `filter` holds for. */
  aggregate(fn: AggregateFn, arg: string | undefined, filter?: string): string;
  /** A named CTE, read by several scans: inlined into each (the source is cheap to read twice) or computed once. */
  cte(name: string, body: string, materialize: boolean): string;
  /** duplicate rows (Σ n − 1), repeated keys, and a sample of the most repeated keys, ties broken by key ascending. */
  duplicates(input: DuplicatesInput): DuplicatesSql;
  /**
   * A one-row sub-select giving the columns of CTE `cte` as a list of { name, type } named `alias`,
   * or null when the dialect cannot describe a relation inside a statement (the engine describes it first).
   */
  columnsOf(cte: string, alias: string): string | null;
  /** An aggregate that reads every value of these columns (so a scan meets every data page). */
  readsEveryValue(columns: string[]): string;
  /** A user's query (a sql check) with every `{{ source }}` (matched by `placeholder`) standing for `filtered`, the filtered source in parentheses. */
  sourceQuery(query: string, placeholder: RegExp, filtered: string): string;
  /** A user's query (a sql check) as a statement that can only read and returns at most its first row. */
  userQuery(sql: string): string;
}

/** count(*), count(x), max(x), min(x), sum(x) with FILTER (WHERE …): standard SQL, as DuckDB and PostgreSQL write it. */
export function standardAggregate(fn: AggregateFn, arg: string | undefined, filter?: string): string {
  const call = fn === 'count_star' ? 'count(*)' : `${fn}(${arg ?? '*'})`;
  return filter ? `${call} FILTER (WHERE ${filter})` : call;
}

/** `'…'` with quotes doubled; numbers as written; TRUE/FALSE. */
export function standardLiteral(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as SQL`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"…"` with quotes doubled. */
export function standardIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A statement's own text on its own lines: a trailing -- comment must not swallow what follows, nor a ; end it. */
export function bareStatement(sql: string): string {
  return `\n${sql.trim().replace(/;\s*$/, '')}\n`;
}
