// Compiles a dataset's metric needs into as few queries as the source allows.
// "single" (the default, measured fastest on Parquet and CSV): one statement
// over a NOT MATERIALIZED CTE of the source — every aggregate in one SELECT,
// each duplicates check a GROUP BY over its key tuple, and the column list
// (DESCRIBE of the CTE) — so a CSV is sniffed once and bound once.
// "split": aggregates and each GROUP BY as separate statements. "fused": the
// aggregates computed per key group inside the GROUP BY (one scan, but the
// per-group state costs more than a second scan; kept for comparison).
// sql checks run as their own statements.

import { AGG_PLACEHOLDER, NO_ROW, needKey, type AggregateNeed, type DuplicatesNeed, type Need, type QueryNeed } from '../checks/kind.js';
import type { Dialect } from '../sql/dialect.js';
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
  /** Also return the source's columns (as `__columns`) from the same statement (single only). */
  describe?: boolean;
  /**
   * Read the source once into memory and run the statement's scans (the aggregates, each
   * GROUP BY) over that copy (single only). For a text source whose parse is the cost.
   */
  materialize?: boolean;
}

export const COLUMNS_KEY = '__columns';

function aggregateSql(a: AggregateNeed, inner?: string): string {
  const call = inner ?? (a.fn === 'count_star' ? 'count(*)' : `${a.fn}(${a.arg})`);
  const filtered = inner === undefined && a.filter ? `${call} FILTER (WHERE ${a.filter})` : call;
  return a.outer ? a.outer.split(AGG_PLACEHOLDER).join(filtered) : filtered;
}

function partialSql(a: AggregateNeed): string {
  const call = a.fn === 'count_star' ? 'count(*)' : `${a.fn}(${a.arg})`;
  return a.filter ? `${call} FILTER (WHERE ${a.filter})` : call;
}

function combineSql(a: AggregateNeed, alias: string): string {
  return a.fn === 'max' ? `max(${alias})` : `coalesce(sum(${alias}), 0)`;
}

function whereClause(parts: Array<string | undefined>): string {
  const p = parts.filter((x): x is string => Boolean(x)).map((x) => `(${x})`);
  return p.length ? ` WHERE ${p.join(' AND ')}` : '';
}

function dedupe(needs: Need[]): Need[] {
  const seen = new Map<string, Need>();
  for (const n of needs) if (!seen.has(needKey(n))) seen.set(needKey(n), n);
  return [...seen.values()];
}

function samplePack(dialect: Dialect, keys: string[], count: string): string {
  const fields = keys.map((k) => `${dialect.quoteIdent(k)} := ${dialect.quoteIdent(k)}`).join(', ');
  return `struct_pack("key" := struct_pack(${fields}), "count" := ${count})`;
}

/** Rows with a NULL in any key column take no part in duplicate detection. */
function keysNotNull(keyCols: string[]): string {
  return keyCols.map((k) => `${k} IS NOT NULL`).join(' AND ');
}

/** Every aggregate as `m<i>` in one select list, and reading them back from its row. */
function aggregateList(aggregates: AggregateNeed[], sql: (a: AggregateNeed, i: number) => string = (a) => aggregateSql(a)): string {
  return aggregates.map((a, i) => `${sql(a, i)} AS m${i}`).join(', ');
}

function readAggregates(aggregates: AggregateNeed[], row: Row | undefined): Map<string, unknown> {
  return new Map<string, unknown>(aggregates.map((a, i) => [needKey(a), row?.[`m${i}`] ?? null]));
}

/**
 * Duplicate rows = rows − distinct key tuples = Σ (n − 1) over the tuples
 * that repeat. HAVING keeps only those groups above the GROUP BY, so the
 * outer aggregate (and the sample) sees a handful of rows, not one per key.
 */
function duplicatesSql(dialect: Dialect, dup: DuplicatesNeed, from: string, where: Array<string | undefined>, suffix: string | number): string {
  const keyCols = dup.keys.map((k) => dialect.quoteIdent(k));
  const inner = `SELECT ${keyCols.join(', ')}, count(*) AS __n FROM ${from}${whereClause([...where, keysNotNull(keyCols)])} GROUP BY ${keyCols.join(', ')} HAVING count(*) > 1`;
  return `SELECT coalesce(sum(__n - 1), 0) AS dup_rows${suffix}, count(*) AS dup_keys${suffix}, `
    + `arg_max(${samplePack(dialect, dup.keys, '__n')}, __n, 5) AS sample${suffix} FROM (${inner}) AS g`;
}

function readDuplicates(row: Row | undefined): { duplicateRows: number; duplicateKeys: number; sample: unknown[] } {
  const sample = (row?.sample as Array<{ key: Record<string, unknown>; count: unknown }> | null) ?? [];
  return {
    duplicateRows: Number(row?.dup_rows ?? 0),
    duplicateKeys: Number(row?.dup_keys ?? 0),
    sample: sample.map((s) => ({ key: s.key, count: Number(s.count) })),
  };
}

/** How many times a single statement over these needs reads its source: once for all aggregates, once per GROUP BY. */
export function scanCount(needs: Need[]): number {
  const keys = new Set(needs.filter((n) => n.type === 'aggregate' || n.type === 'duplicates').map((n) => (n.type === 'aggregate' ? 'aggregates' : needKey(n))));
  return keys.size;
}

export function compileDataset(input: CompileInput): CompiledQuery[] {
  const { dialect, relation, filter } = input;
  const needs = dedupe(input.needs);
  const aggregates = needs.filter((n): n is AggregateNeed => n.type === 'aggregate');
  const dups = needs.filter((n): n is DuplicatesNeed => n.type === 'duplicates');
  const queries = needs.filter((n): n is QueryNeed => n.type === 'query');
  const out: CompiledQuery[] = [];
  const from = `FROM ${relation} AS src`;

  if (input.strategy === 'single' && (aggregates.length > 0 || dups.length > 0 || input.describe)) {
    const parts: string[] = [];
    const groups = dups.splice(0);
    if (aggregates.length > 0) parts.push(`(SELECT ${aggregateList(aggregates)} FROM src) AS a`);
    groups.forEach((dup, j) => parts.push(`(${duplicatesSql(dialect, dup, 'src', [dup.filter], j)}) AS d${j}`));
    if (input.describe) {
      parts.push(`(SELECT list(struct_pack(name := column_name, type := column_type)) AS ${COLUMNS_KEY} FROM (DESCRIBE src)) AS s`);
    }
    // Inlined, every scan re-reads the source; materialized, it is read once (and held in memory).
    const scans = scanCount(needs);
    const cte = input.materialize && scans > 1 ? 'MATERIALIZED' : 'NOT MATERIALIZED';
    const sql = `WITH src AS ${cte} (SELECT * ${from}${whereClause([filter])}) SELECT * FROM ${parts.join(', ')}`;
    out.push({
      label: 'dataset', sql, needs: [...aggregates, ...groups],
      read: (rows) => {
        const row = (rows as Row[])[0];
        const m = readAggregates(aggregates, row);
        groups.forEach((dup, j) => m.set(needKey(dup), readDuplicates({ dup_rows: row?.[`dup_rows${j}`], dup_keys: row?.[`dup_keys${j}`], sample: row?.[`sample${j}`] })));
        if (input.describe) m.set(COLUMNS_KEY, row?.[COLUMNS_KEY] ?? null);
        return m;
      },
    });
  }

  const fuse = input.strategy === 'fused' && dups.length > 0 && aggregates.length > 0;
  if (fuse) {
    const dup = dups.shift() as DuplicatesNeed;
    const keyCols = dup.keys.map((k) => dialect.quoteIdent(k));
    const partials = aggregates.map((a, i) => `${partialSql(a)} AS __p${i}`);
    const n = dup.filter ? `count(*) FILTER (WHERE ${dup.filter})` : 'count(*)';
    const notNull = keysNotNull(keyCols);
    const select = [
      aggregateList(aggregates, (a, i) => aggregateSql(a, combineSql(a, `__p${i}`))),
      `coalesce(sum(__n) FILTER (WHERE ${notNull}), 0) - count(*) FILTER (WHERE ${notNull} AND __n > 0) AS dup_rows`,
      `count(*) FILTER (WHERE ${notNull} AND __n > 1) AS dup_keys`,
      `arg_max(${samplePack(dialect, dup.keys, '__n')}, __n, 5) FILTER (WHERE ${notNull} AND __n > 1) AS sample`,
    ];
    const sql = `SELECT ${select.join(', ')} FROM (SELECT ${[...keyCols, ...partials, `${n} AS __n`].join(', ')} ${from}${whereClause([filter])} GROUP BY ${keyCols.join(', ')}) AS g`;
    out.push({
      label: 'aggregates+duplicates', sql, needs: [...aggregates, dup],
      read: (rows) => {
        const row = (rows as Row[])[0];
        const m = readAggregates(aggregates, row);
        m.set(needKey(dup), readDuplicates(row));
        return m;
      },
    });
  } else if (aggregates.length > 0 && input.strategy !== 'single') {
    out.push({
      label: 'aggregates', sql: `SELECT ${aggregateList(aggregates)} ${from}${whereClause([filter])}`, needs: aggregates,
      read: (rows) => readAggregates(aggregates, (rows as Row[])[0]),
    });
  }

  for (const dup of dups) {
    const sql = duplicatesSql(dialect, dup, `${relation} AS src`, [filter, dup.filter], '');
    out.push({ label: `duplicates(${dup.keys.join(', ')})`, sql, needs: [dup], read: (rows) => new Map([[needKey(dup), readDuplicates((rows as Row[])[0])]]) });
  }

  for (const q of queries) {
    out.push({
      label: 'sql', sql: q.sql, needs: [q],
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
