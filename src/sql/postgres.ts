// PostgreSQL's SQL: AT TIME ZONE for naive timestamps, casts that cannot fail
// for missing_values, json_agg for the duplicates sample, and a user's query
// wrapped so it can only be one SELECT.

import { bareStatement, standardAggregate, standardIdent, standardLiteral, type Dialect, type DuplicatesInput } from './dialect.js';

/** format_type() spellings, e.g. "timestamp(3) without time zone", "character varying(20)". */
function baseType(type: string): string {
  return type.trim().toLowerCase().replace(/\(.*?\)/g, '').replace(/\s+/g, ' ').replace(/^"|"$/g, '');
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint', 'int', 'int2', 'int4', 'int8']);
const NUMBER_TYPES = new Set(['numeric', 'decimal', 'real', 'double precision', 'float4', 'float8']);
const TEXT_TYPES = new Set(['text', 'character varying', 'varchar', 'character', 'char', 'bpchar', 'name', 'citext']);
const BOOLEAN_TYPES = new Set(['boolean', 'bool']);

/** Whether ORDER BY on this type depends on the database's collation (text does; numbers and times do not). */
function collated(type: string): boolean {
  return TEXT_TYPES.has(baseType(type));
}

export const postgresDialect: Dialect = {
  name: 'postgres',
  quoteIdent: standardIdent,
  quoteLiteral: standardLiteral,
  timeCategory: (type) => {
    const t = baseType(type);
    if (t === 'date') return 'date';
    if (t === 'timestamp with time zone' || t === 'timestamptz') return 'timestamptz';
    if (t === 'timestamp without time zone' || t === 'timestamp') return 'timestamp';
    return 'other';
  },
  epochMs: (expr, category, timezone) => {
    // extract(epoch …) is numeric (exact); floor() gives whole milliseconds as DuckDB's epoch_ms does.
    switch (category) {
      case 'timestamptz':
        return `floor(extract(epoch FROM ${expr}) * 1000)::bigint`;
      case 'date':
      case 'timestamp':
        return `floor(extract(epoch FROM (CAST(${expr} AS timestamp) AT TIME ZONE ${standardLiteral(timezone)})) * 1000)::bigint`;
    }
  },
  bucketKey: (expr, category, timezone, unit) => {
    const tz = standardLiteral(timezone);
    const local = category === 'timestamptz' ? `(${expr} AT TIME ZONE ${tz})` : `CAST(${expr} AS timestamp)`;
    // extract(epoch FROM a timestamp without time zone) reads it as UTC: the naive ms DuckDB's epoch_ms gives.
    const ms = (e: string) => `floor(extract(epoch FROM ${e}) * 1000)::bigint`;
    if (unit !== 'hour') return ms(`date_trunc('${unit}', ${local})`);
    const instant = category === 'timestamptz' ? ms(expr) : ms(`(${local} AT TIME ZONE ${tz})`);
    return `(${instant} - (${ms(local)} - ${ms(`date_trunc('hour', ${local})`)}))`;
  },
  bucketList: (groups, alias) => `SELECT json_agg(json_build_object('k', k, 'n', n, 'm', m) ORDER BY k) AS ${alias} FROM (${groups}) AS g`,
  castValue: (value, type) => {
    // PostgreSQL has no TRY_CAST: a value that is not one of the column's type is NULL (it matches nothing), decided here.
    const t = baseType(type);
    const text = String(value);
    if (TEXT_TYPES.has(t)) return `CAST(${standardLiteral(text)} AS ${type})`;
    if (INTEGER_TYPES.has(t)) return /^\s*[+-]?\d+\s*$/.test(text) || (typeof value === 'number' && Number.isFinite(value)) ? `CAST(${standardLiteral(text.trim())} AS numeric)::${type}` : 'NULL';
    if (NUMBER_TYPES.has(t)) return text.trim() !== '' && Number.isFinite(Number(text)) ? `CAST(${standardLiteral(text.trim())} AS ${type})` : 'NULL';
    if (BOOLEAN_TYPES.has(t)) return /^(true|false|t|f|yes|no|y|n|on|off|1|0)$/i.test(text.trim()) ? `CAST(${standardLiteral(text.trim())} AS boolean)` : 'NULL';
    return `CAST(${standardLiteral(text)} AS ${type})`;
  },
  aggregate: (fn, arg, filter) => {
    // count(*) is bigint; sum(bigint) is numeric: both come back as numbers (engine/postgres.ts parses them).
    return standardAggregate(fn, arg, filter);
  },
  cte: (name, body, materialize) => `${name} AS ${materialize ? 'MATERIALIZED' : 'NOT MATERIALIZED'} (${body})`,
  duplicates: ({ groups, keys, suffix, sampleSize, repeated, alongside }: DuplicatesInput) => {
    const q = keys.map((k) => standardIdent(k.name));
    const only = repeated ? ` FILTER (WHERE ${repeated})` : '';
    const g = `g${suffix === '' ? '_' : suffix}`;
    // The most repeated first, ties by key ascending in byte order (COLLATE "C", as DuckDB compares strings).
    const order = ['__n DESC', ...keys.map((k, i) => `${q[i]}${collated(k.type) ? ' COLLATE "C"' : ''} ASC`)].join(', ');
    const entry = `json_build_object('key', json_build_object(${q.map((k, i) => `${standardLiteral(keys[i]?.name ?? '')}, ${k}`).join(', ')}), 'count', __n)`;
    const top = `SELECT * FROM ${g}${repeated ? ` WHERE ${repeated}` : ''} ORDER BY ${order} LIMIT ${sampleSize}`;
    return {
      ctes: [`${g} AS MATERIALIZED (${groups})`],
      parts: [`(SELECT ${alongside ? `${alongside}, ` : ''}coalesce(sum(__n - 1)${only}, 0) AS dup_rows${suffix}, count(*)${only} AS dup_keys${suffix}, `
        + `(SELECT json_agg(${entry} ORDER BY ${order}) FROM (${top}) AS t) AS sample${suffix} FROM ${g}) AS d${suffix}`],
    };
  },
  // Columns come from the catalog before the statement (engine/postgres.ts).
  columnsOf: () => null,
  readsEveryValue: (columns) => `count(ROW(${columns.join(', ')})::text)`,
  // PostgreSQL wants an alias on a subquery in FROM, which `from {{ source }} s` would give twice: the source is a CTE instead.
  sourceQuery: (query, placeholder, filtered) => {
    if (!new RegExp(placeholder.source).test(query)) return query;
    return `WITH vigil_source AS NOT MATERIALIZED ${filtered} SELECT * FROM (${bareStatement(query.replace(placeholder, 'vigil_source'))}) AS q`;
  },
  // One SELECT as a subquery: no second statement, no data-modifying CTE, at most one row.
  userQuery: (sql) => `SELECT * FROM (${bareStatement(sql)}) AS q LIMIT 1`,
};
