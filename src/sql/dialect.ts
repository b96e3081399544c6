// What the compiler asks of a SQL engine: identifier and literal quoting and
// the few type-dependent expressions checks need. DuckDB now, PostgreSQL later.

export type TimeCategory = 'timestamp' | 'timestamptz' | 'date' | 'other';

export interface Dialect {
  readonly name: string;
  quoteIdent(name: string): string;
  quoteLiteral(value: string | number | boolean): string;
  /** How a column type behaves for freshness. */
  timeCategory(type: string): TimeCategory;
  /** Milliseconds since the epoch of a time-valued expression; naive values are read in `timezone`. `expr` may be a placeholder. */
  epochMs(expr: string, category: Exclude<TimeCategory, 'other'>, timezone: string): string;
  /** `value` cast to `type`, NULL when it cannot be cast. */
  tryCast(value: string, type: string): string;
}

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  quoteLiteral: (value) => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as SQL`);
      return String(value);
    }
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    return `'${value.replaceAll("'", "''")}'`;
  },
  timeCategory: (type) => {
    const t = type.toUpperCase();
    if (t === 'DATE') return 'date';
    if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'timestamptz';
    if (/^TIMESTAMP(_S|_MS|_NS|\(\d\))?$/.test(t) || t === 'DATETIME') return 'timestamp';
    return 'other';
  },
  epochMs: (expr, category, timezone) => {
    const tz = duckdbDialect.quoteLiteral(timezone);
    switch (category) {
      case 'timestamptz':
        return `epoch_ms(${expr})`;
      case 'date':
      case 'timestamp':
        return `epoch_ms(timezone(${tz}, CAST(${expr} AS TIMESTAMP)))`;
    }
  },
  tryCast: (value, type) => `TRY_CAST(${value} AS ${type})`,
};
