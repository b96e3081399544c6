// The FROM clause of a dataset's source, for DuckDB: read_parquet / read_csv /
// read_json over an absolute path or glob, or the user's own SQL.

import type { ResolvedSource } from '../config/model.js';
import { bareStatement, type Dialect } from '../sql/dialect.js';

function optionValue(dialect: Dialect, value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => optionValue(dialect, v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${dialect.quoteLiteral(k)}: ${optionValue(dialect, v)}`).join(', ')}}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return dialect.quoteLiteral(value);
  return 'NULL';
}

/**
 * `files`: the files a glob matched when the dataset run began; every statement of the run reads
 * exactly these (a file removed mid-run is an error, never a different set for a later check).
 */
export function relationSql(source: ResolvedSource, dialect: Dialect, files?: readonly string[]): string {
  switch (source.type) {
    case 'sql':
      return `(${bareStatement(source.sql)})`;
    case 'connection':
      throw new Error(`source ${source.display} is a warehouse connection, not for DuckDB`);
    case 'file': {
      const opts: Record<string, unknown> = {};
      let fn: string;
      switch (source.format) {
        case 'parquet': fn = 'read_parquet'; break;
        case 'csv': fn = 'read_csv'; break;
        case 'tsv': fn = 'read_csv'; opts.delim = '\t'; break;
        case 'json': fn = 'read_json'; break;
        case 'jsonl': case 'ndjson': fn = 'read_json'; opts.format = 'newline_delimited'; break;
      }
      Object.assign(opts, source.options);
      const where = files ? `[${files.map((f) => dialect.quoteLiteral(f)).join(', ')}]` : dialect.quoteLiteral(source.path);
      const args = [where, ...Object.entries(opts).map(([k, v]) => `${k} = ${optionValue(dialect, v)}`)];
      return `${fn}(${args.join(', ')})`;
    }
  }
}
