// Every check kind, by the key users write in a check file. Adding a kind is
// one file and one line here.

import type { CheckKindName } from '../config/schema.js';
import { acceptedValues } from './accepted-values.js';
import { duplicates } from './duplicates.js';
import { freshness } from './freshness.js';
import type { CheckKind } from './kind.js';
import { nulls } from './nulls.js';
import { range } from './range.js';
import { rowCount } from './row-count.js';
import { schema } from './schema.js';
import { sql } from './sql.js';

export const KINDS: Readonly<Record<CheckKindName, CheckKind>> = {
  freshness,
  row_count: rowCount,
  nulls,
  duplicates,
  schema,
  sql,
  accepted_values: acceptedValues,
  range,
};
