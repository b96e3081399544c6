// row_count: rows after filter and where.

import type { RowCountSpec } from '../config/schema.js';
import { asNumber, type CheckKind } from './kind.js';
import { countOf } from '../util/format.js';
import { levelFor, thresholdSuffix, thresholdsRecord } from './thresholds.js';

export const rowCount: CheckKind = {
  kind: 'row_count',
  unit: 'rows',
  expand: () => [{ name: 'row_count' }],
  validate(options) {
    const o = options as RowCountSpec;
    return (['warn', 'fail'] as const).flatMap((level) =>
      typeof o[level] === 'string'
        ? [{ path: [level], message: `a percent means nothing for row_count (it is the divisor): use a number or { min, max }` }]
        : []);
  },
  columns: () => [],
  plan(check, ctx) {
    const need = ctx.rows(check.where);
    const levels = { warn: check.warn, fail: check.fail };
    return {
      needs: [need],
      evaluate(ectx) {
        const rows = asNumber(ectx.value(need)) ?? 0;
        const status = levelFor(levels, rows, rows);
        return {
          status, value: rows, unit: 'rows', thresholds: thresholdsRecord(levels),
          message: `${countOf(rows, 'row')}${thresholdSuffix(levels, status)}`,
          details: {},
        };
      },
    };
  },
};
