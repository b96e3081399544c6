// range: rows whose column is below `min` or above `max` (inclusive bounds;
// NULLs are not counted, as nulls: counts them), with the observed min and max.

import type { RangeSpec } from '../config/schema.js';
import { countOf } from '../util/format.js';
import { asNumber, type AggregateNeed, type CheckKind } from './kind.js';
import { formatPercent, levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

/** An observed min/max as both engines spell it: numbers as numbers, a DATE as YYYY-MM-DD, a timestamp as ISO-8601 UTC. */
function observed(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  const t = type.toLowerCase();
  if (t === 'date') return String(v).slice(0, 10);
  if (t.startsWith('timestamp') || t === 'datetime') {
    const text = String(v);
    const d = new Date(/(?:Z|[+-]\d\d(?::?\d\d)?)$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
    return Number.isNaN(d.getTime()) ? text : d.toISOString();
  }
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return v;
}

export const range: CheckKind = {
  kind: 'range',
  unit: 'rows',
  expand: (options) => [{ name: `range.${(options as RangeSpec).column}`, column: (options as RangeSpec).column }],
  validate(options) {
    const o = options as RangeSpec;
    if (o.min === undefined && o.max === undefined) return [{ path: [], message: 'range needs min, max or both, e.g. { column: amount, min: 0, fail: 0 }' }];
    if (typeof o.min === 'number' && typeof o.max === 'number' && o.min > o.max) return [{ path: ['min'], message: `min (${o.min}) is greater than max (${o.max}): swap them` }];
    return [];
  },
  columns: (check) => (check.column ? [check.column] : []),
  plan(check, ctx) {
    const o = check.options as RangeSpec;
    const col = ctx.column(check.column as string);
    const q = ctx.dialect.quoteIdent(col.name);
    // A number is compared as a number (no cast that would round it to an integer column); text is cast to the column's type (dates, times).
    const bound = (b: number | string) => (typeof b === 'number' ? ctx.dialect.quoteLiteral(b) : ctx.dialect.castValue(b, col.type));
    const and = (p: string) => (check.where ? `(${check.where}) AND ${p}` : p);
    const below: AggregateNeed | null = o.min !== undefined ? { type: 'aggregate', fn: 'count_star', filter: and(`${q} < ${bound(o.min)}`) } : null;
    const above: AggregateNeed | null = o.max !== undefined ? { type: 'aggregate', fn: 'count_star', filter: and(`${q} > ${bound(o.max)}`) } : null;
    const lowest: AggregateNeed = { type: 'aggregate', fn: 'min', arg: q, ...(check.where ? { filter: check.where } : {}) };
    const highest: AggregateNeed = { type: 'aggregate', fn: 'max', arg: q, ...(check.where ? { filter: check.where } : {}) };
    const rowsNeed = ctx.rows(check.where);
    const levels = { warn: check.warn, fail: check.fail };
    const bounds = o.min !== undefined && o.max !== undefined ? `outside [${o.min}, ${o.max}]` : o.min !== undefined ? `below ${o.min}` : `above ${o.max}`;
    return {
      needs: [rowsNeed, lowest, highest, ...(below ? [below] : []), ...(above ? [above] : [])],
      evaluate(ectx) {
        const rows = asNumber(ectx.value(rowsNeed)) ?? 0;
        const nBelow = below ? asNumber(ectx.value(below)) ?? 0 : 0;
        const nAbove = above ? asNumber(ectx.value(above)) ?? 0 : 0;
        const outside = nBelow + nAbove;
        const status = levelFor(levels, outside, rows);
        const min = observed(ectx.value(lowest), col.type);
        const max = observed(ectx.value(highest), col.type);
        const seen = min === null ? 'no non-NULL value' : `observed ${String(min)} to ${String(max)}`;
        return {
          status, value: outside, unit: 'rows', thresholds: thresholdsRecord(levels),
          message: `${countOf(outside, 'row')} of ${countOf(rows, 'row')} (${formatPercent(outside, rows)}) with ${col.name} ${bounds}; ${seen}${thresholdSuffix(levels, status)}`,
          details: {
            column: col.name, rows, ...(o.min !== undefined ? { min: o.min, below: nBelow } : {}), ...(o.max !== undefined ? { max: o.max, above: nAbove } : {}),
            observed_min: min, observed_max: max,
          },
        };
      },
    };
  },
};
