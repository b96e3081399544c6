// freshness: seconds between now and the newest timestamp (or, without a
// column, the newest modification time of the source's files).

import { formatDuration, parseDuration } from '../config/duration.js';
import type { FreshnessSpec } from '../config/schema.js';
import { VigilError } from '../util/errors.js';
import { AGG_PLACEHOLDER, asNumber, type AggregateNeed, type CheckKind, type Need } from './kind.js';

export const freshness: CheckKind = {
  kind: 'freshness',
  unit: 'seconds',
  expand: () => [{ name: 'freshness' }],
  validate(options) {
    const o = options as FreshnessSpec;
    if (o.warn_after === undefined && o.fail_after === undefined && o.anomaly === undefined) {
      return [{ path: [], message: 'freshness needs warn_after, fail_after or both, e.g. fail_after: 6h (or anomaly: {} to learn what is normal)' }];
    }
    return [];
  },
  columns: (check) => {
    const column = (check.options as FreshnessSpec).column;
    return column ? [column] : [];
  },
  plan(check, ctx) {
    const o = check.options as FreshnessSpec;
    const warnAfter = o.warn_after ? parseDuration(o.warn_after) : undefined;
    const failAfter = o.fail_after ? parseDuration(o.fail_after) : undefined;
    const thresholds: Record<string, unknown> = {};
    if (o.warn_after) thresholds.warn_after = o.warn_after;
    if (o.fail_after) thresholds.fail_after = o.fail_after;

    let need: Need;
    let what: string;
    if (o.column) {
      const col = ctx.column(o.column);
      const category = ctx.dialect.timeCategory(col.type);
      if (category === 'other') {
        throw new VigilError('BAD_COLUMN_TYPE',
          `freshness column ${o.column} is ${col.type}, not a timestamp or date — point freshness at a TIMESTAMP/DATE column, or set source options (e.g. types) so it is read as one`);
      }
      const agg: AggregateNeed = {
        type: 'aggregate', fn: 'max', arg: ctx.dialect.quoteIdent(col.name),
        outer: ctx.dialect.epochMs(AGG_PLACEHOLDER, category, ctx.dataset.timezone),
      };
      if (check.where) agg.filter = check.where;
      need = agg;
      what = `newest ${o.column}`;
    } else {
      if (ctx.dataset.source.type !== 'file') {
        throw new VigilError('BAD_COLUMN_TYPE', 'freshness without column reads file modification times, but this source is not a file — name a timestamp column');
      }
      if (check.where) {
        throw new VigilError('BAD_COLUMN_TYPE', 'freshness without column reads file modification times, so where cannot apply — name a timestamp column');
      }
      need = { type: 'mtime' };
      what = 'newest file';
    }

    const limits = [
      warnAfter !== undefined ? `warn after ${o.warn_after}` : '',
      failAfter !== undefined ? `fail after ${o.fail_after}` : '',
    ].filter(Boolean).join(', ');

    return {
      needs: [need],
      evaluate(ectx) {
        const newest = asNumber(ectx.value(need));
        if (newest === null) {
          return {
            status: 'fail', value: null, unit: 'seconds', thresholds,
            message: o.column ? `no non-NULL ${o.column} found; ${limits}` : `no files found; ${limits}`,
            details: o.column ? { column: o.column } : {},
          };
        }
        const age = Math.round((ectx.now.getTime() - newest) / 1000);
        const status = failAfter !== undefined && age > failAfter ? 'fail'
          : warnAfter !== undefined && age > warnAfter ? 'warn' : 'pass';
        const ageText = age < 0 ? `${formatDuration(-age)} in the future` : `${formatDuration(age)} old`;
        return {
          status, value: age, unit: 'seconds', thresholds,
          message: `${what} is ${ageText}; ${limits}`,
          details: { newest: new Date(newest).toISOString(), ...(o.column ? { column: o.column } : { source: 'file modification time' }) },
        };
      },
    };
  },
};
