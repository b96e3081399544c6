// What a check kind sees when it plans: the dataset, its described columns
// (with a did-you-mean for unknown ones), the dialect, and the dataset's
// relation with its filter applied (what `{{ source }}` stands for).

import type { ColumnInfo, PlanContext } from '../checks/kind.js';
import { didYouMean } from '../config/diagnostics.js';
import type { DatasetDef } from '../config/model.js';
import type { Dialect } from '../sql/dialect.js';
import { VigilError } from '../util/errors.js';
import { filteredSource } from './compile.js';

export function makePlanContext(ds: DatasetDef, columns: ColumnInfo[], relation: string, dialect: Dialect, now: Date = new Date()): PlanContext {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const filtered = filteredSource(relation, ds.filter);
  return {
    dialect, dataset: ds, columns, now,
    column(name) {
      const hit = byName.get(name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!hit) {
        throw new VigilError('UNKNOWN_COLUMN',
          `unknown column ${name} in ${ds.source.display}${didYouMean(name, byName.keys())}; columns are: ${columns.map((c) => c.name).join(', ')}`);
      }
      return { name: hit.name, type: hit.type };
    },
    sourceSql: () => filtered,
    rows: (where) => (where ? { type: 'aggregate', fn: 'count_star', filter: where } : { type: 'aggregate', fn: 'count_star' }),
  };
}
