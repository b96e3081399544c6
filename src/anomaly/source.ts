// Where an anomaly check's points come from when it has a timestamp_column:
// the rows grouped into time buckets of that column, in the same statement as
// the dataset's other metrics (the dialect writes the bucket keys).

import type { ColumnInfo, PlanContext } from '../checks/kind.js';
import type { CheckDef } from '../config/model.js';
import type { TimeCategory } from '../sql/dialect.js';
import { VigilError } from '../util/errors.js';

/** The check's timestamp_column and how its type reads as time; a typed error when it is missing or not a time. */
export function timestampColumn(check: CheckDef, ctx: Pick<PlanContext, 'column' | 'dialect'>): { column: ColumnInfo; category: Exclude<TimeCategory, 'other'> } {
  const name = check.anomaly?.timestampColumn;
  if (name === undefined) throw new Error(`${check.id} has no anomaly.timestamp_column`);
  const column = ctx.column(name);
  const category = ctx.dialect.timeCategory(column.type);
  if (category === 'other') {
    throw new VigilError('BAD_COLUMN_TYPE',
      `anomaly.timestamp_column ${column.name} is ${column.type}, not a timestamp or date — name a TIMESTAMP/DATE column, or set source options (e.g. types) so it is read as one`);
  }
  return { column, category };
}
