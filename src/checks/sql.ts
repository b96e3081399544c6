// sql: a custom query; its first column of the first row is the value.
// `{{ source }}` stands for the dataset's relation with `filter` applied.

import type { SqlCheckSpec } from '../config/schema.js';
import { VigilError } from '../util/errors.js';
import type { AggregateNeed, CheckKind, QueryNeed } from './kind.js';
import { asNumber, NO_ROW } from './kind.js';
import { countOf } from '../util/format.js';
import { formatPercent, isPercent, levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

const SOURCE_RE = /\{\{\s*source\s*\}\}/g;


export const sql: CheckKind = {
  kind: 'sql',
  unit: 'value',
  expand: (options) => [{ name: (options as SqlCheckSpec).name }],
  validate(options) {
    const o = options as SqlCheckSpec;
    if (o.where !== undefined) {
      return [{ path: ['where'], message: 'where does not apply to sql checks: put the predicate in the query' }];
    }
    return [];
  },
  columns: () => [],
  plan(check, ctx) {
    const o = check.options as SqlCheckSpec;
    const need: QueryNeed = { type: 'query', sql: ctx.dialect.sourceQuery(o.query, SOURCE_RE, ctx.sourceSql()) };
    const levels = { warn: check.warn, fail: check.fail };
    const percent = isPercent(levels.warn) || isPercent(levels.fail);
    const rowsNeed: AggregateNeed | undefined = percent ? ctx.rows() : undefined;
    return {
      needs: rowsNeed ? [need, rowsNeed] : [need],
      evaluate(ectx) {
        const raw = ectx.value(need);
        if (raw === NO_ROW) throw new VigilError('QUERY_FAILED', `query of ${check.name} returned no row — it must return one row whose first column is the value`);
        if (raw === null || raw === undefined) throw new VigilError('QUERY_FAILED', `query of ${check.name} returned NULL — wrap the aggregate in coalesce(..., 0) if none means zero`);
        const value = asNumber(raw);
        if (value === null || Number.isNaN(value)) {
          throw new VigilError('QUERY_FAILED', `query of ${check.name} returned ${JSON.stringify(raw)}, not a number`);
        }
        const rows = rowsNeed ? asNumber(ectx.value(rowsNeed)) : null;
        const status = levelFor(levels, value, rows);
        return {
          status, value, unit: 'value', thresholds: thresholdsRecord(levels),
          message: `${check.name} returned ${value}${rows !== null ? ` (${formatPercent(value, rows)} of ${countOf(rows, 'row')})` : ''}${thresholdSuffix(levels, status)}`,
          details: rows !== null ? { rows } : {},
        };
      },
    };
  },
};
