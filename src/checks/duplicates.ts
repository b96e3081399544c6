// duplicates: rows − distinct key tuples, rows with a NULL key ignored. Keys
// are compared as tuples (GROUP BY), never concatenated.

import type { DuplicatesSpec } from '../config/schema.js';
import type { CheckKind, DuplicatesNeed, DuplicatesValue } from './kind.js';
import { asNumber } from './kind.js';
import { countOf } from '../util/format.js';
import { formatPercent, levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

export function duplicateKeys(options: Record<string, unknown>): string[] {
  const keys = (options as DuplicatesSpec).keys;
  return typeof keys === 'string' ? [keys] : keys;
}

export const duplicates: CheckKind = {
  kind: 'duplicates',
  unit: 'rows',
  expand: (options) => [{ name: `duplicates.${duplicateKeys(options).join('+')}` }],
  columns: (check) => duplicateKeys(check.options),
  plan(check, ctx) {
    const keys = duplicateKeys(check.options);
    const need: DuplicatesNeed = { type: 'duplicates', keys: keys.map((k) => ctx.column(k)) };
    if (check.where) need.filter = check.where;
    const rowsNeed = ctx.rows(check.where);
    const levels = { warn: check.warn, fail: check.fail };
    const keyLabel = keys.join(', ');
    return {
      needs: [need, rowsNeed],
      evaluate(ectx) {
        const rows = asNumber(ectx.value(rowsNeed)) ?? 0;
        const dup = ectx.value(need) as DuplicatesValue;
        const status = levelFor(levels, dup.duplicateRows, rows);
        const keysText = dup.duplicateKeys === 1 ? '1 key value repeats' : `${dup.duplicateKeys} key values repeat`;
        return {
          status, value: dup.duplicateRows, unit: 'rows', thresholds: thresholdsRecord(levels),
          message: `${countOf(dup.duplicateRows, 'duplicate row')} on (${keyLabel}) in ${countOf(rows, 'row')} (${formatPercent(dup.duplicateRows, rows)}), ${keysText}${thresholdSuffix(levels, status)}`,
          details: { keys, rows, duplicate_keys: dup.duplicateKeys, sample: dup.sample },
        };
      },
    };
  },
};
