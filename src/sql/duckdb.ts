// DuckDB's SQL: struct_pack and a top-N arg_min for the duplicates sample,
// DESCRIBE inside a statement, timezone() for naive timestamps.

import { standardAggregate, standardIdent, standardLiteral, type Dialect, type DuplicatesInput } from './dialect.js';

const TIMESTAMP = /^TIMESTAMP(_S|_MS|_NS|\(\d\))?$/;

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  quoteIdent: standardIdent,
  quoteLiteral: standardLiteral,
  timeCategory: (type) => {
    const t = type.toUpperCase();
    if (t === 'DATE') return 'date';
    if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'timestamptz';
    if (TIMESTAMP.test(t) || t === 'DATETIME') return 'timestamp';
    return 'other';
  },
  epochMs: (expr, category, timezone) => {
    switch (category) {
      case 'timestamptz':
        return `epoch_ms(${expr})`;
      case 'date':
      case 'timestamp':
        return `epoch_ms(timezone(${standardLiteral(timezone)}, CAST(${expr} AS TIMESTAMP)))`;
    }
  },
  bucketKey: (expr, category, timezone, unit) => {
    const tz = standardLiteral(timezone);
    const local = category === 'timestamptz' ? `timezone(${tz}, ${expr})` : `CAST(${expr} AS TIMESTAMP)`;
    if (unit !== 'hour') return `epoch_ms(date_trunc('${unit}', ${local}))`;
    // The instant less the minutes and seconds into the local hour: right across DST and in :30 zones.
    const instant = category === 'timestamptz' ? `epoch_ms(${expr})` : `epoch_ms(timezone(${tz}, ${local}))`;
    return `(${instant} - (epoch_ms(${local}) - epoch_ms(date_trunc('hour', ${local}))))`;
  },
  bucketList: (groups, alias) => `SELECT list(struct_pack(k := k, n := n, m := m) ORDER BY k) AS ${alias} FROM (${groups}) AS g`,
  castValue: (value, type) => `TRY_CAST(${standardLiteral(value)} AS ${type})`,
  aggregate: standardAggregate,
  cte: (name, body, materialize) => `${name} AS ${materialize ? 'MATERIALIZED' : 'NOT MATERIALIZED'} (${body})`,
  duplicates: ({ groups, keys, suffix, sampleSize, repeated, alongside }: DuplicatesInput) => {
    const q = keys.map((k) => standardIdent(k.name));
    const only = repeated ? ` FILTER (WHERE ${repeated})` : '';
    const entry = `struct_pack("key" := struct_pack(${q.map((k) => `${k} := ${k}`).join(', ')}), "count" := __n)`;
    // arg_min keeps the sampleSize smallest (−n, keys…): the most repeated first, ties by key — the same sample every run.
    const order = `struct_pack(__n := -__n, ${q.map((k, i) => `k${i} := ${k}`).join(', ')})`;
    return {
      ctes: [],
      parts: [`(SELECT ${alongside ? `${alongside}, ` : ''}coalesce(sum(__n - 1)${only}, 0) AS dup_rows${suffix}, count(*)${only} AS dup_keys${suffix}, `
        + `arg_min(${entry}, ${order}, ${sampleSize})${only} AS sample${suffix} FROM (${groups}) AS g) AS d${suffix}`],
    };
  },
  columnsOf: (cte, alias) => `SELECT list(struct_pack(name := column_name, type := column_type)) AS ${alias} FROM (DESCRIBE ${cte})`,
  readsEveryValue: (columns) => `bit_xor(hash(${columns.join(', ')}))`,
  // DuckDB takes a subquery in FROM without an alias: `from {{ source }}` and `from {{ source }} s` both read.
  sourceQuery: (query, placeholder, filtered) => query.replace(placeholder, () => filtered),
  // The engine runs only single SELECT statements (it checks each one's type), so a query goes as written.
  userQuery: (sql) => sql,
};
