// zod schemas for vigil.yaml and check files: the TypeScript types are
// inferred from them and the editor JSON Schema is generated from them.

import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';

/**
 * A runbook: a URL (pages and alerts make links of http(s) ones only), or a Markdown file of the project
 * relative to the check file (the dashboard renders it: docs/oncall.md).
 */
const runbookSchema = z.string().refine((s) => {
  try { new URL(s); return true; } catch { /* not a URL: a path? */ }
  return !s.startsWith('//') && /\.(md|markdown)$/i.test(s.trim());
}, { error: 'runbook must be a URL (https://runbooks.example.com/data/orders) or a Markdown file of the project, relative to this file (../runbooks/orders.md)' })
  .meta({ description: 'An http(s) link, or a Markdown file of the project relative to this file (e.g. ../runbooks/orders.md), shown by the dashboard' });

export const durationSchema = z
  .string({ error: `expected a duration: ${DURATION_HINT}` })
  .refine((s) => parseDuration(s) !== undefined, { error: (iss) => `bad duration '${String(iss.input)}': ${DURATION_HINT}` })
  .meta({ description: 'A duration: an integer and a unit (s, m, h, d, w), concatenations allowed: 90s, 15m, 2h, 1d, 1h30m', pattern: '^(\\d+[smhdw])+$' });

/**
 * A number, also when written as a numeric string: ${VAR} references expand
 * to strings (min: ${MIN_ROWS:-1}), and a string stays a string everywhere else.
 */
export function numberish<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);
}

const PERCENT_RE = /^\s*\d+(\.\d+)?\s*%\s*$/;

export const percentSchema = z
  .string()
  .regex(PERCENT_RE, { error: (iss) => `bad percent '${String(iss.input)}': write a number followed by %, e.g. "1.5%"` });

const minMaxSchema = z
  .strictObject({
    min: numberish(z.number({ error: 'min must be a number' })).optional(),
    max: numberish(z.number({ error: 'max must be a number' })).optional(),
  })
  .refine((r) => r.min !== undefined || r.max !== undefined, { error: 'give min, max or both, e.g. { min: 1 }' })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    error: (iss) => {
      const r = iss.input as { min: number; max: number };
      return `min (${r.min}) is greater than max (${r.max}): swap them`;
    },
  });

/** N (level when value > N), "P%" (value / rows * 100 > P) or { min, max } (outside the range). */
export const thresholdSchema = z
  .union([numberish(z.number().min(0, { error: 'a count threshold cannot be negative' })), percentSchema, minMaxSchema], {
    error: 'expected a threshold: a number (max allowed), a percent like "1.5%", or { min: A, max: B }',
  })
  .meta({ description: 'N: the level applies when value > N; "P%": when value / row_count * 100 > P; { min, max }: when value is outside [min, max]' });

export type Threshold = number | string | { min?: number | undefined; max?: number | undefined };

const columnName = z.string({ error: 'expected a column name' }).min(1, { error: 'column name is empty' });

/** Keys every check accepts. */
const commonKeys = {
  name: z.string().regex(/^[A-Za-z0-9_.+-]+$/, { error: 'a check name may use letters, digits and _ . + -' }).optional()
    .meta({ description: 'Overrides the default name; the check id is <dataset>.<name>' }),
  where: z.string().min(1).optional().meta({ description: 'An extra SQL predicate for this check' }),
  runbook: runbookSchema.optional(),
  owner: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  description: z.string().optional(),
};

const levels = {
  warn: thresholdSchema.optional(),
  fail: thresholdSchema.optional(),
};

/** `anomaly:` — learn the normal range of a check's value instead of a threshold (SPEC section 7). */
export const anomalySchema = z.strictObject({
  timestamp_column: columnName.optional()
    .meta({ description: 'Learn from the data itself: one point per time bucket of this timestamp or date column (row_count and nulls only)' }),
  bucket: z.enum(['1h', '1d', '1w'], { error: 'bucket must be 1h, 1d or 1w' }).optional()
    .meta({ description: 'Bucket size with timestamp_column (default 1d), aligned in the dataset\'s timezone' }),
  training: durationSchema.optional().meta({ description: 'How far back normal is learnt from (default 28d)' }),
  min_points: numberish(z.number().int({ error: 'min_points must be a whole number' }).min(1, { error: 'min_points must be at least 1' })).optional()
    .meta({ description: 'Fewer training points than this: pass, "learning: N of M points" (default 7)' }),
  seasonality: z.enum(['none', 'day_of_week', 'hour_of_day'], { error: 'seasonality must be none, day_of_week or hour_of_day' }).optional()
    .meta({ description: 'Compare a point only with training points on the same weekday, or at the same hour (default none)' }),
  sensitivity: numberish(z.number({ error: 'sensitivity must be a number, e.g. 3' }).gt(0, { error: 'sensitivity must be above 0 (higher = fewer alerts)' })).optional()
    .meta({ description: 'Higher = fewer alerts (default 3)' }),
  direction: z.enum(['both', 'up', 'down'], { error: 'direction must be both, up or down' }).optional()
    .meta({ description: 'Which side of the band is anomalous (default both)' }),
  min_change: z.union([numberish(z.number().min(0, { error: 'min_change cannot be negative' })), percentSchema], {
    error: 'min_change must be a number (in the check\'s unit) or a percent of the expected value, e.g. 10%',
  }).optional().meta({ description: 'A change smaller than this against the expected value is never anomalous: a number in the check\'s unit, or "P%" of the expected value' }),
  level: z.enum(['warn', 'fail'], { error: 'level must be warn or fail' }).optional()
    .meta({ description: 'Status of an anomalous value (default warn)' }),
});
export type AnomalySpec = z.infer<typeof anomalySchema>;

export const freshnessSchema = z.strictObject({
  ...commonKeys,
  column: columnName.optional().meta({ description: 'Timestamp or date column; without it the newest file modification time is used' }),
  warn_after: durationSchema.optional(),
  fail_after: durationSchema.optional(),
  anomaly: anomalySchema.optional(),
});

export const rowCountSchema = z.strictObject({ ...commonKeys, ...levels, anomaly: anomalySchema.optional() });

export const nullsSchema = z.strictObject({
  ...commonKeys,
  column: columnName.optional(),
  columns: z.array(columnName).min(1, { error: 'columns must list at least one column' }).optional(),
  missing_values: z.array(z.union([z.string(), z.number(), z.boolean()])).optional()
    .meta({ description: 'Values also counted as missing, compared after casting to the column type' }),
  ...levels,
  anomaly: anomalySchema.optional(),
});

export const duplicatesSchema = z.strictObject({
  ...commonKeys,
  keys: z.union([columnName, z.array(columnName).min(1, { error: 'keys must list at least one column' })], {
    error: 'keys must be a column name or a list of column names, e.g. [order_id]',
  }),
  ...levels,
  anomaly: anomalySchema.optional(),
});

export const schemaCheckSchema = z.strictObject({
  ...commonKeys,
  columns: z.record(z.string(), z.union([z.string(), z.null()])).optional()
    .meta({ description: 'Expected columns and their types; null or "any" accepts any type' }),
  extra_columns: z.enum(['allow', 'warn', 'fail'], { error: 'extra_columns must be allow, warn or fail' }).optional(),
  drift: z.enum(['ignore', 'warn', 'fail'], { error: 'drift must be ignore, warn or fail' }).optional(),
});

export const sqlCheckSchema = z.strictObject({
  ...commonKeys,
  name: z.string({ error: 'sql checks need a name, e.g. name: negative_amounts' })
    .regex(/^[A-Za-z0-9_.+-]+$/, { error: 'a check name may use letters, digits and _ . + -' }),
  query: z.string({ error: 'sql checks need a query, e.g. query: "select count(*) from {{ source }} where amount < 0"' }).min(1),
  ...levels,
  anomaly: anomalySchema.optional(),
});

export const acceptedValuesSchema = z.strictObject({
  ...commonKeys,
  column: columnName,
  values: z.array(z.union([z.string(), z.number(), z.boolean()]), { error: 'values must list the accepted values, e.g. [open, paid, refunded]' })
    .min(1, { error: 'values must list at least one accepted value' })
    .meta({ description: 'The values the column may hold, compared after casting each to the column type' }),
  include_nulls: z.boolean().optional().meta({ description: 'true: a NULL counts as a value that is not accepted (default false: NULLs are not counted)' }),
  ...levels,
});

const boundSchema = z.union([numberish(z.number()), z.string().min(1)], { error: 'a bound is a number, or a date/time such as "2020-01-01" for a date or timestamp column' });

export const rangeSchema = z.strictObject({
  ...commonKeys,
  column: columnName,
  min: boundSchema.optional().meta({ description: 'Smallest value allowed (inclusive)' }),
  max: boundSchema.optional().meta({ description: 'Largest value allowed (inclusive)' }),
  ...levels,
});

export const checkKindSchemas = {
  freshness: freshnessSchema,
  row_count: rowCountSchema,
  nulls: nullsSchema,
  duplicates: duplicatesSchema,
  schema: schemaCheckSchema,
  sql: sqlCheckSchema,
  accepted_values: acceptedValuesSchema,
  range: rangeSchema,
} as const;

export type CheckKindName = keyof typeof checkKindSchemas;
export const CHECK_KINDS = Object.keys(checkKindSchemas) as CheckKindName[];

export type FreshnessSpec = z.infer<typeof freshnessSchema>;
export type RowCountSpec = z.infer<typeof rowCountSchema>;
export type NullsSpec = z.infer<typeof nullsSchema>;
export type DuplicatesSpec = z.infer<typeof duplicatesSchema>;
export type SchemaCheckSpec = z.infer<typeof schemaCheckSchema>;
export type SqlCheckSpec = z.infer<typeof sqlCheckSchema>;
export type AcceptedValuesSpec = z.infer<typeof acceptedValuesSchema>;
export type RangeSpec = z.infer<typeof rangeSchema>;

/** One entry of `checks:`: exactly one kind key. */
export const checkEntrySchema = z.union(
  CHECK_KINDS.map((k) => z.strictObject({ [k]: checkKindSchemas[k] })) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
);

const FORMATS = ['parquet', 'csv', 'tsv', 'json', 'jsonl', 'ndjson'] as const;
export type SourceFormat = (typeof FORMATS)[number];

export const sourceSchema = z.union(
  [
    z.string().min(1).meta({ description: 'A path or glob (.parquet .csv .tsv .json .jsonl .ndjson), relative to this file' }),
    z.strictObject({
      path: z.string().min(1),
      format: z.enum(FORMATS, { error: `format must be one of ${FORMATS.join(', ')}` }).optional(),
      options: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'option names are read_csv/read_json/read_parquet parameter names, e.g. delim, header' }), z.unknown()).optional().meta({ description: 'Named options of read_csv/read_json/read_parquet' }),
    }),
    z.strictObject({ sql: z.string().min(1) }),
    z.strictObject({ connection: z.string().min(1), table: z.string().min(1).meta({ description: 'schema.table or table, on the connection' }) }),
    z.strictObject({ connection: z.string().min(1), sql: z.string().min(1).meta({ description: 'A query in the warehouse\'s SQL' }) }),
  ],
  { error: 'source must be a path, { path, format, options }, { sql }, { connection, table } or { connection, sql }' },
);
export type SourceSpec = z.infer<typeof sourceSchema>;

const targetSchema = z.union([
  percentSchema,
  z.number().gt(0).max(100),
], { error: 'target must be a percent, e.g. 99.5%' });

export const sloSchema = z.strictObject({
  window: durationSchema.optional().meta({ description: 'Rolling window, default 28d' }),
  objectives: z.array(z.strictObject({
    check: z.string().min(1).meta({ description: 'A check name in this file, e.g. freshness or nulls.customer_id' }),
    target: targetSchema,
    alert: z.enum(['burn_rate'], { error: 'alert must be burn_rate (multiwindow burn-rate alerts, docs/slos.md)' }).optional()
      .meta({ description: 'burn_rate: alert when the error budget burns fast (SRE workbook multiwindow rules: page at 14.4× over 1h and 5m or 6× over 6h and 30m, ticket at 1× over 3d and 6h)' }),
  })).min(1, { error: 'objectives must list at least one objective' }),
});

export const datasetFileSchema = z.strictObject({
  dataset: z.string({ error: 'every check file needs dataset: <name>' })
    .regex(/^[A-Za-z0-9_.-]+$/, { error: 'dataset names may use letters, digits and _ . - only' }),
  description: z.string().optional(),
  source: sourceSchema,
  owner: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  runbook: runbookSchema.optional(),
  schedule: z.string().optional().meta({ description: 'cron, 5 or 6 fields; default from vigil.yaml' }),
  timezone: z.string().optional().meta({ description: 'How naive timestamps are read (IANA name); default from vigil.yaml' }),
  timeout: durationSchema.optional().meta({ description: 'How long this dataset may run before its queries are interrupted (default from vigil.yaml, 5m)' }),
  filter: z.string().min(1).optional().meta({ description: 'SQL predicate applied to every check' }),
  upstream: z.array(z.union([
    z.string().min(1),
    z.strictObject({
      name: z.string().min(1),
      external: z.boolean().optional().meta({ description: 'true: a source outside this project (an API, a vendor feed, a table another team checks); drawn as an external source, no warning' }),
      description: z.string().optional(),
      owner: z.string().min(1).optional(),
    }),
  ], { error: 'an upstream is a dataset name, or { name: <source>, external: true } for a source outside this project' }))
    .optional().meta({ description: 'Datasets (or external sources) this one is built from (lineage)' }),
  slo: sloSchema.optional(),
  checks: z.array(checkEntrySchema).min(1, { error: 'checks must list at least one check' }),
});
export type DatasetFile = z.infer<typeof datasetFileSchema>;

export const connectionSchema = z.strictObject({
  type: z.enum(['postgres', 'duckdb'], { error: 'connection type must be postgres or duckdb' }),
  url: z.string().min(1),
});

export const configSchema = z.strictObject({
  checks: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('checks'),
  store: z.string().min(1).default('.vigil/vigil.duckdb'),
  timezone: z.string().default('UTC'),
  schedule: z.string().default('0 * * * *'),
  timeout: durationSchema.default('5m').meta({ description: 'Default per-dataset run timeout' }),
  concurrency: numberish(z.number().int().min(1).max(64)).optional().meta({ description: 'Datasets run at once (default 2)' }),
  shutdown_grace: durationSchema.default('30s').meta({ description: 'vigil serve: how long runs in flight may finish at shutdown before they are interrupted' }),
  duckdb: z.strictObject({
    memory_limit: z.string().regex(/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, { error: (iss) => `bad memory_limit '${String(iss.input)}': write a size such as 2GB or 512MiB` }).optional(),
    threads: numberish(z.number().int().min(1)).optional(),
  }).default({}),
  dashboard: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: numberish(z.number().int().min(0).max(65535)).default(8080),
    public_url: z.string().optional(),
    token: z.string().optional(),
  }).default({ host: '127.0.0.1', port: 8080 }),
  connections: z.record(z.string(), connectionSchema).default({}),
  alerts: z.union([z.string().min(1), z.array(z.string().min(1))]).default('alerts'),
  replicas: z.strictObject({
    lease: durationSchema.default('1m').meta({ description: 'vigil serve on a shared (PostgreSQL) store: a replica not heard from for this long is dead — its runs are marked aborted and run again by another replica' }),
  }).default({ lease: '1m' }),
  heartbeat: z.strictObject({
    url: z.string({ error: 'heartbeat.url is required: the dead-man\'s-switch URL to ping, e.g. https://hc-ping.com/<uuid>' })
      .regex(/^https?:\/\/[^\s]+$/i, { error: 'heartbeat.url must be an http:// or https:// URL, e.g. https://hc-ping.com/<uuid> (use ${HEARTBEAT_URL} to keep it out of the file)' })
      .meta({ description: 'Pinged by every live vigil serve while its scheduler is healthy (a secret: never logged)' }),
    every: durationSchema.refine((s) => (parseDuration(s) ?? 1) >= 1, { error: 'heartbeat.every must be at least 1s' })
      .meta({ description: 'How often each replica pings, e.g. 1m; set the receiver\'s grace period above it' }),
    method: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v),
      z.enum(['GET', 'POST'], { error: 'heartbeat.method must be GET or POST' })).default('GET'),
  }).optional().meta({ description: 'vigil serve pings this URL every `every` while its scheduler is healthy, so an outside system (Healthchecks, an Alertmanager Watchdog receiver) can page when vigil itself is down' }),
});
export type Config = z.infer<typeof configSchema>;

/** JSON Schema of check files, for editors (yaml-language-server). */
export function checkFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(datasetFileSchema, { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://vigil.dev/schemas/vigil-checks.schema.json',
    title: 'vigil check file',
    description: 'One dataset and its checks. See the README for the meaning of each key.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
