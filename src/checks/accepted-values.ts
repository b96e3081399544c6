// accepted_values: rows whose column holds a value not in `values` (NULLs
// only with include_nulls), with the most frequent offending values.

import type { AcceptedValuesSpec } from '../config/schema.js';
import { countOf } from '../util/format.js';
import { asNumber, type CheckKind, type ValueGroupsNeed, type ValueGroupsValue } from './kind.js';
import { formatPercent, levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

export const acceptedValues: CheckKind = {
  kind: 'accepted_values',
  unit: 'rows',
  expand: (options) => [{ name: `accepted_values.${(options as AcceptedValuesSpec).column}`, column: (options as AcceptedValuesSpec).column }],
  columns: (check) => (check.column ? [check.column] : []),
  plan(check, ctx) {
    const o = check.options as AcceptedValuesSpec;
    const col = ctx.column(check.column as string);
    const q = ctx.dialect.quoteIdent(col.name);
    // NOT IN with a NULL in the list (a value that is not of the column's type casts to NULL) would
    // hold for no row: coalesce says "not found" instead.
    const list = o.values.map((v) => ctx.dialect.castValue(v, col.type)).join(', ');
    const notAccepted = `NOT coalesce(${q} IN (${list}), FALSE)`;
    const offending = o.include_nulls ? `(${q} IS NULL OR ${notAccepted})` : `(${q} IS NOT NULL AND ${notAccepted})`;
    const need: ValueGroupsNeed = { type: 'value_groups', column: col, filter: check.where ? `(${check.where}) AND ${offending}` : offending };
    const rowsNeed = ctx.rows(check.where);
    const levels = { warn: check.warn, fail: check.fail };
    return {
      needs: [rowsNeed, need],
      evaluate(ectx) {
        const rows = asNumber(ectx.value(rowsNeed)) ?? 0;
        const v = ectx.value(need) as ValueGroupsValue;
        const status = levelFor(levels, v.rows, rows);
        const sample = v.sample.map((s) => `${s.value === null ? 'NULL' : JSON.stringify(s.value)} ×${s.count}`).join(', ');
        const which = v.values === 0 ? '' : ` (${countOf(v.values, 'distinct value')}${sample ? `: ${sample}${v.values > v.sample.length ? ', …' : ''}` : ''})`;
        return {
          status, value: v.rows, unit: 'rows', thresholds: thresholdsRecord(levels),
          message: `${countOf(v.rows, 'row')} of ${countOf(rows, 'row')} (${formatPercent(v.rows, rows)}) with ${col.name} not in the accepted values${which}${thresholdSuffix(levels, status)}`,
          details: { column: col.name, rows, distinct_values: v.values, sample: v.sample },
        };
      },
    };
  },
};
