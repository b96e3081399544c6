// Compiles a dataset's metric needs into as few queries as the source allows.
// "single" (the default, measured fastest on Parquet and CSV): one statement
// over a CTE of the source — every aggregate in one SELECT, each duplicates
// check a GROUP BY over its key tuple, and (where the dialect can) the column
// list — so a CSV is sniffed once and bound once.
// "split": aggregates and each GROUP BY as separate statements. "fused": the
// aggregates computed per key group inside the GROUP BY (one scan, but the
// per-group state costs more than a second scan; kept for comparison).
// sql checks run as their own statements. Everything that differs between
// databases comes from the dialect.

import { AGG_PLACEHOLDER, NO_ROW, needKey, type AggregateNeed, type BucketCounts, type BucketsNeed, type DuplicatesNeed, type Need, type QueryNeed, type ValueGroupsNeed, type ValueGroupsValue } from '../checks/kind.js';
import type { Dialect, DuplicatesSql, KeyColumn } from '../sql/dialect.js';
import type { Row } from './engine.js';

export type Strategy = 'single' | 'split' | 'fused';
export const STRATEGIES: readonly Strategy[] = ['single', 'split', 'fused'];

export interface CompiledQuery {
  label: string;
  sql: string;
  /** The needs this query answers, in the order `read` returns them. */
  needs: Need[];
  /** Rows arrive as arrays in column order (user queries: "first column" must mean first). */
  positional?: boolean;
  read(rows: Row[] | unknown[][]): Map<string, unknown>;
}

export interface CompileInput {
  dialect: Dialect;
  /** FROM-clause relation of the source (already quoted). */
  relation: string;
  filter?: string;
  needs: Need[];
  strategy: Strategy;
  /** Also return the source's columns (as `__columns`) from the same statement (single only, where the dialect can). */
  describe?: boolean;
  /**
   * Read the source once into memory and run the statement's scans (the aggregates, each
   * GROUP BY) over that copy (single only). For a text source whose parse is the cost.
   */
  materialize?: boolean;
}

export const COLUMNS_KEY = '__columns';

/** How many rows of repeated keys a duplicates check reports. */
export const SAMPLE_SIZE = 5;

function whereClause(parts: Array<string | undefined>): string {
  const p = parts.filter((x): x is string => Boolean(x)).map((x) => `(${x})`);
  return p.length ? ` WHERE ${p.join(' AND ')}` : '';
}

/** The dataset's relation with `filter` applied, usable in FROM: what `{{ source }}` stands for. */
export function filteredSource(relation: string, filter: string | undefined): string {
  return `(SELECT * FROM ${relation} AS src${whereClause([filter])})`;
}

/** A statement over the filtered source that reads nothing but must bind: it names what is wrong with a `filter`. */
export function filteredSelect(relation: string, filter: string | undefined): string {
  return `SELECT * FROM ${relation} AS src${whereClause([filter])}`;
}

/** Counts the filtered source: when a dataset's statement fails, this tells a broken source or filter from one bad check. */
export function probeSql(relation: string, filter: string | undefined): string {
  return `SELECT count(*) AS n FROM ${filteredSource(relation, filter)} AS f`;
}

function dedupe(needs: Need[]): Need[] {
  const seen = new Map<string, Need>();
  for (const n of needs) if (!seen.has(needKey(n))) seen.set(needKey(n), n);
  return [...seen.values()];
}

function aggregateSql(dialect: Dialect, a: AggregateNeed): string {
  const call = dialect.aggregate(a.fn, a.arg, a.filter);
  return a.outer ? a.outer.split(AGG_PLACEHOLDER).join(call) : call;
}

/** Every aggregate as `m<i>` in one select list, and reading them back from its row. */
function aggregateList(aggregates: AggregateNeed[], sql: (a: AggregateNeed, i: number) => string): string {
  return aggregates.map((a, i) => `${sql(a, i)} AS m${i}`).join(', ');
}

function readAggregates(aggregates: AggregateNeed[], row: Row | undefined): Map<string, unknown> {
  return new Map<string, unknown>(aggregates.map((a, i) => [needKey(a), row?.[`m${i}`] ?? null]));
}

/** Rows with a NULL in any key column take no part in duplicate detection. */
function keysNotNull(keyCols: string[]): string {
  return keyCols.map((k) => `${k} IS NOT NULL`).join(' AND ');
}

/**
 * Duplicate rows = rows − distinct key tuples = Σ (n − 1) over the tuples
 * that repeat. HAVING keeps only those groups above the GROUP BY, so the
 * outer aggregates (and the sample) see a handful of rows, not one per key.
 */
function duplicatesSql(dialect: Dialect, dup: DuplicatesNeed, from: string, where: Array<string | undefined>, suffix: string): DuplicatesSql {
  const keyCols = dup.keys.map((k) => dialect.quoteIdent(k.name));
  const groups = `SELECT ${keyCols.join(', ')}, count(*) AS __n FROM ${from}${whereClause([...where, keysNotNull(keyCols)])} GROUP BY ${keyCols.join(', ')} HAVING count(*) > 1`;
  return dialect.duplicates({ groups, keys: dup.keys, suffix, sampleSize: SAMPLE_SIZE });
}

function readDuplicates(row: Row | undefined, suffix: string, keys: KeyColumn[]): { duplicateRows: number; duplicateKeys: number; sample: unknown[] } {
  const sample = (row?.[`sample${suffix}`] as Array<{ key: Record<string, unknown>; count: unknown }> | null | undefined) ?? [];
  return {
    duplicateRows: Number(row?.[`dup_rows${suffix}`] ?? 0),
    duplicateKeys: Number(row?.[`dup_keys${suffix}`] ?? 0),
    sample: sample.map((s) => ({ key: sampleKey(s.key, keys), count: Number(s.count) })),
  };
}

/** Rows (and rows where `measure` holds) per time bucket, as the dialect's one-row list. */
function bucketsSql(dialect: Dialect, b: BucketsNeed, from: string, where: Array<string | undefined>, alias: string): string {
  const m = b.measure ? dialect.aggregate('count_star', undefined, b.measure) : '0';
  const groups = `SELECT ${b.key} AS k, count(*) AS n, ${m} AS m FROM ${from}${whereClause([...where, b.filter])} GROUP BY 1`;
  return dialect.bucketList(groups, alias);
}

function readBuckets(row: Row | undefined, alias: string): BucketCounts[] {
  const list = (row?.[alias] as Array<{ k: unknown; n: unknown; m: unknown }> | null | undefined) ?? [];
  return list.map((b) => ({ k: Number(b.k), n: Number(b.n), m: Number(b.m) }));
}

/**
 * A sample key spelled the same whichever engine read it: drivers hand dates and timestamps back as
 * JS Dates (DuckDB) or as JSON text (PostgreSQL's json_agg). A DATE is `YYYY-MM-DD`; a timestamp is
 * ISO-8601 in UTC (a naive one read as UTC, as everywhere else in vigil).
 */
function sampleKey(key: Record<string, unknown>, keys: KeyColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...key };
  for (const k of keys) {
    const v = out[k.name];
    if (v === null || v === undefined) continue;
    const type = k.type.toLowerCase();
    if (type === 'date') {
      out[k.name] = v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
    } else if (type.startsWith('timestamp')) {
      const d = v instanceof Date ? v : new Date(/(?:Z|[+-]\d\d(?::?\d\d)?)$/.test(String(v)) ? String(v) : `${String(v)}Z`);
      if (!Number.isNaN(d.getTime())) out[k.name] = d.toISOString();
    }
  }
  return out;
}

/**
 * Rows per value of one column over the rows the need's predicate holds for, through the dialect's
 * duplicates measure over groups that are not limited to repeated keys: there Σ (n − 1) + groups = Σ n.
 */
function valueGroupsSql(dialect: Dialect, need: ValueGroupsNeed, from: string, where: Array<string | undefined>, suffix: string): DuplicatesSql {
  const col = dialect.quoteIdent(need.column.name);
  const groups = `SELECT ${col}, count(*) AS __n FROM ${from}${whereClause([...where, need.filter])} GROUP BY ${col}`;
  return dialect.duplicates({ groups, keys: [need.column], suffix, sampleSize: SAMPLE_SIZE });
}

function readValueGroups(row: Row | undefined, suffix: string, need: ValueGroupsNeed): ValueGroupsValue {
  const d = readDuplicates(row, suffix, [need.column]);
  return {
    rows: d.duplicateRows + d.duplicateKeys, values: d.duplicateKeys,
    sample: (d.sample as Array<{ key: Record<string, unknown>; count: number }>).map((x) => ({ value: x.key[need.column.name] ?? null, count: x.count })),
  };
}

function statement(ctes: string[], parts: string[]): string {
  return `${ctes.length ? `WITH ${ctes.join(', ')} ` : ''}SELECT * FROM ${parts.join(', ')}`;
}

/** How many times a single statement over these needs reads its source: once for all aggregates, once per GROUP BY. */
export function scanCount(needs: Need[]): number {
  const keys = new Set(needs.filter((n) => n.type === 'aggregate' || n.type === 'duplicates' || n.type === 'buckets' || n.type === 'value_groups').map((n) => (n.type === 'aggregate' ? 'aggregates' : needKey(n))));
  return keys.size;
}

export function compileDataset(input: CompileInput): CompiledQuery[] {
  const { dialect, relation, filter } = input;
  const needs = dedupe(input.needs);
  const aggregates = needs.filter((n): n is AggregateNeed => n.type === 'aggregate');
  const dups = needs.filter((n): n is DuplicatesNeed => n.type === 'duplicates');
  const queries = needs.filter((n): n is QueryNeed => n.type === 'query');
  const bucketed = needs.filter((n): n is BucketsNeed => n.type === 'buckets');
  const valueGroups = needs.filter((n): n is ValueGroupsNeed => n.type === 'value_groups');
  const out: CompiledQuery[] = [];
  const from = `FROM ${relation} AS src`;
  const columnsOf = input.describe ? dialect.columnsOf('src', COLUMNS_KEY) : null;

  if (input.strategy === 'single' && (aggregates.length > 0 || dups.length > 0 || bucketed.length > 0 || valueGroups.length > 0 || columnsOf)) {
    // Inlined, every scan re-reads the source; materialized, it is read once (and held in memory).
    const ctes = [dialect.cte('src', `SELECT * ${from}${whereClause([filter])}`, Boolean(input.materialize) && scanCount(needs) > 1)];
    const parts: string[] = [];
    const groups = dups.splice(0);
    const series = bucketed.splice(0);
    const valued = valueGroups.splice(0);
    if (aggregates.length > 0) parts.push(`(SELECT ${aggregateList(aggregates, (a) => aggregateSql(dialect, a))} FROM src) AS a`);
    series.forEach((b, j) => parts.push(`(${bucketsSql(dialect, b, 'src', [], `buckets${j}`)}) AS b${j}`));
    groups.forEach((dup, j) => {
      const d = duplicatesSql(dialect, dup, 'src', [dup.filter], String(j));
      ctes.push(...d.ctes);
      parts.push(...d.parts);
    });
    valued.forEach((v, j) => {
      const d = valueGroupsSql(dialect, v, 'src', [], `v${j}`);
      ctes.push(...d.ctes);
      parts.push(...d.parts);
    });
    if (columnsOf) parts.push(`(${columnsOf}) AS s`);
    out.push({
      label: 'dataset', sql: statement(ctes, parts), needs: [...aggregates, ...groups, ...series, ...valued],
      read: (rows) => {
        const row = (rows as Row[])[0];
        const m = readAggregates(aggregates, row);
        groups.forEach((dup, j) => m.set(needKey(dup), readDuplicates(row, String(j), dup.keys)));
        series.forEach((b, j) => m.set(needKey(b), readBuckets(row, `buckets${j}`)));
        valued.forEach((v, j) => m.set(needKey(v), readValueGroups(row, `v${j}`, v)));
        if (columnsOf) m.set(COLUMNS_KEY, row?.[COLUMNS_KEY] ?? null);
        return m;
      },
    });
  }

  const fuse = input.strategy === 'fused' && dups.length > 0 && aggregates.length > 0;
  if (fuse) {
    // One GROUP BY over the first key tuple; each aggregate is computed per group and combined above it.
    const dup = dups.shift() as DuplicatesNeed;
    const keyCols = dup.keys.map((k) => dialect.quoteIdent(k.name));
    const partials = aggregates.map((a, i) => `${dialect.aggregate(a.fn, a.arg, a.filter)} AS __p${i}`);
    const n = dialect.aggregate('count_star', undefined, dup.filter);
    const combine = (a: AggregateNeed, i: number) => {
      const call = a.fn === 'max' || a.fn === 'min' ? `${a.fn}(__p${i})` : `coalesce(sum(__p${i}), 0)`;
      return a.outer ? a.outer.split(AGG_PLACEHOLDER).join(call) : call;
    };
    const groups = `SELECT ${[...keyCols, ...partials, `${n} AS __n`].join(', ')} ${from}${whereClause([filter])} GROUP BY ${keyCols.join(', ')}`;
    const d = dialect.duplicates({
      groups, keys: dup.keys, suffix: '', sampleSize: SAMPLE_SIZE,
      repeated: `${keysNotNull(keyCols)} AND __n > 1`, alongside: aggregateList(aggregates, combine),
    });
    out.push({
      label: 'aggregates+duplicates', sql: statement(d.ctes, d.parts), needs: [...aggregates, dup],
      read: (rows) => {
        const row = (rows as Row[])[0];
        const m = readAggregates(aggregates, row);
        m.set(needKey(dup), readDuplicates(row, '', dup.keys));
        return m;
      },
    });
  } else if (aggregates.length > 0 && input.strategy !== 'single') {
    out.push({
      label: 'aggregates', sql: `SELECT ${aggregateList(aggregates, (a) => aggregateSql(dialect, a))} ${from}${whereClause([filter])}`, needs: aggregates,
      read: (rows) => readAggregates(aggregates, (rows as Row[])[0]),
    });
  }

  for (const dup of dups) {
    const d = duplicatesSql(dialect, dup, `${relation} AS src`, [filter, dup.filter], '');
    out.push({
      label: `duplicates(${dup.keys.map((k) => k.name).join(', ')})`, sql: statement(d.ctes, d.parts), needs: [dup],
      read: (rows) => new Map([[needKey(dup), readDuplicates((rows as Row[])[0], '', dup.keys)]]),
    });
  }

  for (const b of bucketed) {
    out.push({
      label: 'buckets', sql: `SELECT * FROM (${bucketsSql(dialect, b, `${relation} AS src`, [filter], 'buckets')}) AS b`, needs: [b],
      read: (rows) => new Map([[needKey(b), readBuckets((rows as Row[])[0], 'buckets')]]),
    });
  }

  for (const v of valueGroups) {
    const d = valueGroupsSql(dialect, v, `${relation} AS src`, [filter], '');
    out.push({
      label: `values(${v.column.name})`, sql: statement(d.ctes, d.parts), needs: [v],
      read: (rows) => new Map([[needKey(v), readValueGroups((rows as Row[])[0], '', v)]]),
    });
  }

  for (const q of queries) {
    out.push({
      label: 'sql', sql: dialect.userQuery(q.sql), needs: [q],
      positional: true,
      read: (rows) => {
        const row = rows[0] as unknown[] | undefined;
        if (!row) return new Map([[needKey(q), NO_ROW]]);
        return new Map([[needKey(q), row[0] ?? null]]);
      },
    });
  }
  return out;
}

/** The plan every source gets unless told otherwise (see npm run bench for the measurements). */
export function defaultStrategy(): Strategy {
  return 'single';
}
