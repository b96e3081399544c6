// Shape of the benchmark data sets, shared by the data generator (bench-data.ts),
// the hand-written DuckDB baselines (bench-baseline.ts) and the driver (bench.ts).

/** Bump when the generated data changes, so existing extracts are regenerated. */
export const GENERATOR_VERSION = 3;

/** Columns of every generated extract, in order, with their Parquet types. */
export const COLUMNS: ReadonlyArray<{ name: string; type: string; nullPct: number }> = [
  { name: 'id', type: 'BIGINT', nullPct: 0 },
  { name: 'updated_at', type: 'TIMESTAMP', nullPct: 0 },
  { name: 'customer_id', type: 'BIGINT', nullPct: 3 },
  { name: 'email', type: 'VARCHAR', nullPct: 2 },
  { name: 'amount', type: 'DECIMAL(18,2)', nullPct: 1 },
  { name: 'status', type: 'VARCHAR', nullPct: 0 },
  { name: 'country', type: 'VARCHAR', nullPct: 4 },
  { name: 'score', type: 'DOUBLE', nullPct: 5 },
];

export const KEY_COLUMNS: readonly string[] = ['id'];
export const TS_COLUMN = 'updated_at';
/** The big extracts get a nulls check on these five columns. */
export const BIG_NULL_COLUMNS: readonly string[] = ['customer_id', 'email', 'amount', 'country', 'score'];
/** The 200 small data sets get a nulls check on these two. */
export const MANY_NULL_COLUMNS: readonly string[] = ['customer_id', 'email'];

/** Hand-written DuckDB strategies of scripts/bench-baseline.ts. */
export const STRATEGIES = ['combined', 'per-check', 'agg+groupby'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Result of one data set as printed by bench-baseline.js. */
export interface BaselineResult {
  file: string;
  queries: number;
  row_count: number;
  max_ts: string | null;
  nulls: Record<string, number>;
  duplicate_rows: number;
  duplicate_keys: number;
  duplicate_sample: unknown;
  schema: Array<{ name: string; type: string }>;
}

export const DEFAULT_PARQUET_ROWS = 10_000_000;
export const CSV_SHARE = 0.3;
export const DEFAULT_MANY_COUNT = 200;
export const DEFAULT_MANY_ROWS = 3_000;

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** The DuckDB relation a file is read through (DuckDB's own auto-detection, as the spec says). */
export function relationFor(file: string): string {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet')) return `read_parquet(${sqlString(file)})`;
  if (lower.endsWith('.csv')) return `read_csv(${sqlString(file)})`;
  throw new Error(`unsupported extract (want .parquet or .csv): ${file}`);
}

/**
 * SELECT producing `rows` rows of the benchmark shape.
 * - `id`: scattered (a permutation of 0..rows-1 through a multiplicative hash) so that a
 *   GROUP BY id is a real 10 M-group hash aggregate, not a dense range; every
 *   `dupEvery`-th row repeats the previous row's id (planted duplicates).
 * - `updated_at`: naive UTC timestamps spread over the 30 days before `base`.
 * - a few % NULLs in customer_id, email, amount, country, score (see COLUMNS).
 * All pseudo-randomness is hash(row, seed, salt): the same arguments give the same data.
 */
export function generatorSelect(rows: number, seed: number, baseTs: Date, dupEvery: number): string {
  const base = baseTs.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '');
  const h = (salt: string): string => `hash(i, ${seed}, '${salt}')`;
  const nullPct = (name: string): number => COLUMNS.find((c) => c.name === name)?.nullPct ?? 0;
  const nullable = (name: string, expr: string): string =>
    `CASE WHEN ${h('null_' + name)} % 100 < ${nullPct(name)} THEN NULL ELSE ${expr} END AS ${sqlIdent(name)}`;
  const scatter = (e: string): string =>
    `CAST((CAST(${e} AS HUGEINT) * 6364136223846793005) % 9223372036854775783 AS BIGINT)`;
  return `SELECT
  ${scatter(`CASE WHEN i > 0 AND i % ${dupEvery} = 0 THEN i - 1 ELSE i END`)} AS id,
  TIMESTAMP ${sqlString(base)} - to_seconds(CAST(${h('ts')} % 2592000 AS BIGINT)) AS updated_at,
  ${nullable('customer_id', `CAST(${h('cust')} % 500000 AS BIGINT)`)},
  ${nullable('email', `'user' || CAST(${h('cust')} % 500000 AS VARCHAR) || '@example.com'`)},
  ${nullable('amount', `CAST(CAST(${h('amt')} % 10000000 AS BIGINT) / 100 AS DECIMAL(18,2))`)},
  (['new', 'paid', 'shipped', 'cancelled', 'refunded'])[1 + CAST(${h('st')} % 5 AS BIGINT)] AS status,
  ${nullable('country', `(['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA'])[1 + CAST(${h('co')} % 8 AS BIGINT)]`)},
  ${nullable('score', `CAST(CAST(${h('sc')} % 100000 AS BIGINT) / 1000 AS DOUBLE)`)}
FROM range(${rows}) t(i)`;
}

export function dupEveryFor(rows: number): number {
  return rows >= 1_000_000 ? 9973 : 997;
}
