// Needs a source's own metadata answers without reading its data.
//
// A Parquet file keeps, per row group and column, the number of NULLs
// (statistics.null_count). DuckDB answers count(*) and max(ts) from the
// footers by itself, but count(col) makes it scan the column: on the 10 M-row
// benchmark file the five NULL counts cost ~400 ms of a ~1.3 s statement,
// while reading the footers with parquet_metadata() takes ~10 ms. So a non-NULL
// count of a whole Parquet source is answered as rows − Σ null_count, and the row
// count with it (one snapshot of the files for both), when every row group of every
// file has that statistic for every column asked; otherwise (a writer that leaves it
// out, a file without the column, key=value folders) all of them stay with the data query.

import type { AggregateNeed, ColumnInfo, Need } from '../checks/kind.js';
import { needKey } from '../checks/kind.js';
import type { ResolvedSource } from '../config/model.js';
import type { Dialect } from '../sql/dialect.js';
import type { Row } from './engine.js';

export interface StatisticsPlan {
  sql: string;
  /** The needs the statement may answer. */
  needs: AggregateNeed[];
  /** The needs it did answer (need key → value); the rest stay with the data query. */
  read(rows: Row[]): Map<string, number>;
}

/** VARCHAR[], INTEGER[3], STRUCT(…), MAP(…), UNION(…): their statistics are per leaf, not per value. */
const NESTED = /^(STRUCT|MAP|UNION|LIST)\b|\]$/i;

/** A count(col) over every row of the source, of a top-level column with a flat type. */
function answerable(n: Need, types: Map<string, string>): n is AggregateNeed & { column: string } {
  if (n.type !== 'aggregate' || n.fn !== 'count' || n.filter !== undefined || n.outer !== undefined || n.column === undefined) return false;
  const type = types.get(n.column);
  return type !== undefined && !NESTED.test(type.trim());
}

/** count(*) over every row of the source. */
const isRowCount = (n: Need): n is AggregateNeed => n.type === 'aggregate' && n.fn === 'count_star' && n.filter === undefined && n.outer === undefined;

/**
 * The statement that reads the footers, or null when the source's metadata can answer
 * none of the needs: only a Parquet file source read with no options (hive partitions,
 * union_by_name… change what a column holds) and no dataset filter.
 */
export function statisticsPlan(
  source: ResolvedSource, filter: string | undefined, needs: Need[], columns: ColumnInfo[], dialect: Dialect, files?: readonly string[],
): StatisticsPlan | null {
  if (source.type !== 'file' || source.format !== 'parquet' || Object.keys(source.options).length > 0 || filter) return null;
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const counts = needs.filter((n) => answerable(n, types)) as Array<AggregateNeed & { column: string }>;
  if (counts.length === 0) return null;
  // The row count comes from the same footers: a NULL count is rows − non-NULL of one snapshot
  // of the files, even when files land between this statement and the data statement.
  const rowCounts = needs.filter(isRowCount);
  const names = [...new Set(counts.map((n) => n.column))];
  // A folder named key=value makes DuckDB read the column from the path (hive partitioning,
  // detected without any option), not from the file whose statistics these are.
  const sql = `WITH m AS (SELECT file_name, row_group_id, row_group_num_rows, path_in_schema, stats_null_count FROM parquet_metadata(${files ? `[${files.map((f) => dialect.quoteLiteral(f)).join(', ')}]` : dialect.quoteLiteral(source.path)})),
g AS (SELECT count(*) AS row_groups, coalesce(sum(row_group_num_rows), 0) AS row_count,
        count(*) FILTER (WHERE regexp_matches(file_name, '[^/\\\\]=[^/\\\\]*[/\\\\]')) AS partitioned
      FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows FROM m))
SELECT c.path_in_schema AS column_name, c.chunks, c.with_null_count, c.null_count, g.row_groups, g.row_count, g.partitioned
FROM (SELECT path_in_schema, count(*) AS chunks, count(stats_null_count) AS with_null_count, coalesce(sum(stats_null_count), 0) AS null_count
      FROM m WHERE path_in_schema IN (${names.map((c) => dialect.quoteLiteral(c)).join(', ')}) GROUP BY path_in_schema) AS c, g`;
  return {
    sql,
    needs: [...counts, ...rowCounts],
    read(rows) {
      const nonNull = new Map<string, number>();
      let rowCount: number | undefined;
      for (const r of rows) {
        const groups = Number(r.row_groups);
        if (groups === 0 || Number(r.partitioned) > 0) continue;
        // One chunk per row group, each with its null count: anything less and the sum is not the count.
        if (Number(r.chunks) === groups && Number(r.with_null_count) === groups) {
          rowCount = Number(r.row_count);
          nonNull.set(String(r.column_name), rowCount - Number(r.null_count));
        }
      }
      // All or nothing: a count the footers cannot give is taken, with the row count, from the data.
      const out = new Map<string, number>();
      if (rowCount === undefined || counts.some((n) => !nonNull.has(n.column))) return out;
      for (const n of counts) out.set(needKey(n), nonNull.get(n.column) as number);
      for (const n of rowCounts) out.set(needKey(n), rowCount);
      return out;
    },
  };
}
