// nulls: rows whose column is NULL (or one of missing_values). A spec with
// `columns: [a, b]` expands into one check per column.

import type { NullsSpec } from '../config/schema.js';
import type { AggregateNeed, CheckKind, ColumnInfo, Need } from './kind.js';
import type { Dialect } from '../sql/dialect.js';
import { asNumber } from './kind.js';
import { countOf } from '../util/format.js';
import { formatPercent, levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

/** The rows a nulls check counts: NULL, or one of `missing_values` (cast to the column's type). */
export function missingPredicate(dialect: Dialect, col: ColumnInfo, missing: ReadonlyArray<string | number | boolean>): string {
  const q = dialect.quoteIdent(col.name);
  if (missing.length === 0) return `${q} IS NULL`;
  return `(${q} IS NULL OR ${q} IN (${missing.map((v) => dialect.castValue(v, col.type)).join(', ')}))`;
}

export const nulls: CheckKind = {
  kind: 'nulls',
  unit: 'rows',
  expand(options) {
    const o = options as NullsSpec;
    const cols = o.columns ?? (o.column ? [o.column] : []);
    return cols.map((c) => ({ name: `nulls.${c}`, column: c }));
  },
  validate(options) {
    const o = options as NullsSpec;
    const problems = [];
    if (o.column === undefined && o.columns === undefined) {
      problems.push({ path: [], message: 'nulls needs column: <name> or columns: [a, b]' });
    }
    if (o.column !== undefined && o.columns !== undefined) {
      problems.push({ path: ['columns'], message: 'give column or columns, not both' });
    }
    if (o.columns !== undefined && o.name !== undefined) {
      problems.push({ path: ['name'], message: 'name cannot be used with columns: [...] (each column is its own check, named nulls.<column>) — split it into one nulls check per column to name them' });
    }
    return problems;
  },
  columns: (check) => (check.column ? [check.column] : []),
  plan(check, ctx) {
    const o = check.options as NullsSpec;
    const name = check.column as string;
    const col = ctx.column(name);
    const q = ctx.dialect.quoteIdent(col.name);
    const rowsNeed = ctx.rows(check.where);
    const missing = o.missing_values ?? [];
    let nullNeeds: Need[];
    let nullCount: (get: (n: Need) => unknown) => number;
    if (missing.length === 0) {
      // count(*) - count(col): both can come from Parquet statistics (engine/statistics.ts).
      const nonNull: AggregateNeed = { type: 'aggregate', fn: 'count', arg: q, column: col.name };
      if (check.where) nonNull.filter = check.where;
      nullNeeds = [nonNull];
      nullCount = (get) => (asNumber(get(rowsNeed)) ?? 0) - (asNumber(get(nonNull)) ?? 0);
    } else {
      const predicate = missingPredicate(ctx.dialect, col, missing);
      const need: AggregateNeed = {
        type: 'aggregate', fn: 'count_star',
        filter: check.where ? `(${check.where}) AND ${predicate}` : predicate,
      };
      nullNeeds = [need];
      nullCount = (get) => asNumber(get(need)) ?? 0;
    }
    const levels = { warn: check.warn, fail: check.fail };
    const label = missing.length ? `missing ${name} (NULL or ${missing.map((v) => JSON.stringify(v)).join(', ')})` : `NULL ${name}`;
    return {
      needs: [rowsNeed, ...nullNeeds],
      evaluate(ectx) {
        const rows = asNumber(ectx.value(rowsNeed)) ?? 0;
        const count = nullCount((n) => ectx.value(n));
        const status = levelFor(levels, count, rows);
        return {
          status, value: count, unit: 'rows', thresholds: thresholdsRecord(levels),
          message: `${count} ${label} in ${countOf(rows, 'row')} (${formatPercent(count, rows)})${thresholdSuffix(levels, status)}`,
          details: { column: name, rows },
        };
      },
    };
  },
};
