// Runs one dataset: describe the source (metadata only), plan every check,
// compile the needs into the fewest queries, execute them under the
// dataset's timeout, and evaluate. Any failure becomes `error` on exactly the
// checks it affects; it never escapes.

import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { KINDS } from '../checks/registry.js';
import { needKey, type CheckPlan, type ColumnInfo, type Need, type PlanContext, type Status } from '../checks/kind.js';
import { didYouMean } from '../config/diagnostics.js';
import { formatDuration } from '../config/duration.js';
import { COMPRESSED } from '../config/files.js';
import type { CheckDef, DatasetDef } from '../config/model.js';
import { COLUMNS_KEY, compileDataset, defaultStrategy, scanCount, type Strategy } from '../engine/compile.js';
import type { Engine, Session } from '../engine/engine.js';
import { plain } from '../engine/duckdb.js';
import { relationSql } from '../engine/relation.js';
import { statisticsPlan } from '../engine/statistics.js';
import type { Dialect } from '../sql/dialect.js';
import type { CheckResult, DatasetRun, QueryTiming } from '../store/store.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface DatasetRunOptions {
  engine: Engine;
  now: () => Date;
  previousSchema: ColumnInfo[] | null;
  log: Logger;
  /** Overrides the plan chosen from the source format (benchmarks, tests). */
  strategy?: Strategy;
  signal?: AbortSignal;
}

/** DuckDB messages carry a "LINE 1: …" excerpt of our generated SQL; the first paragraph says what went wrong. */
export function cleanDbError(err: unknown): string {
  const msg = errorMessage(err);
  return (msg.split(/\n\s*\n/)[0] ?? msg).replace(/\s+/g, ' ').trim();
}

function sourceError(ds: DatasetDef, err: unknown): string {
  const msg = cleanDbError(err);
  const where = path.relative(process.cwd(), ds.file) || ds.file;
  if (ds.source.type === 'file') {
    if (/No files found that match the pattern/i.test(msg)) {
      return `no files match ${ds.source.display} (${ds.source.path}) — check source: in ${where}`;
    }
    return `cannot read ${ds.source.display}: ${msg}`;
  }
  return `cannot read source of ${ds.name}: ${msg}`;
}

class Timeout extends Error {}

type FileSource = Extract<DatasetDef['source'], { type: 'file' }>;

/** What makes a source path a pattern for DuckDB's glob(). */
const GLOB_CHARS = /[*?[{]/;

/** Formats every scan must parse; the others (Parquet) are columnar and cheap to read twice. */
const TEXT_FORMATS: ReadonlySet<string> = new Set(['csv', 'tsv', 'json', 'jsonl', 'ndjson']);

/**
 * Up to this many bytes of text source, a statement with several scans reads the parsed rows
 * from memory instead of parsing the files once per scan (a 280 MB CSV: a few per cent faster, see
 * npm run bench); above it, memory matters more than the second parse.
 */
const MATERIALIZE_MAX_BYTES = 1024 ** 3;

/**
 * Column names and types from metadata. When a bad row sits inside the sample
 * DuckDB sniffs, a .csv is read as one column named like "id,name,v"; reading
 * it again with an explicit comma makes DuckDB report the real row error.
 */
export async function describeSource(
  ds: DatasetDef, relation: string, dialect: Dialect, query: (sql: string) => Promise<Record<string, unknown>[]>,
): Promise<{ relation: string; columns: ColumnInfo[] }> {
  const describe = async (rel: string) =>
    (await query(`DESCRIBE SELECT * FROM ${rel} AS src`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const columns = await describe(relation);
  const src = ds.source;
  if (src.type === 'file' && src.format === 'csv' && !('delim' in src.options) && !('sep' in src.options)
    && columns.length === 1 && columns[0]?.name.includes(',')) {
    const strict = relationSql({ ...src, options: { ...src.options, delim: ',' } }, dialect);
    return { relation: strict, columns: await describe(strict) };
  }
  return { relation, columns };
}

/**
 * The dataset's FROM-clause relation, with the session set up so relative
 * paths inside sql sources and sql checks resolve from the check file's folder.
 */
export async function openSource(ds: DatasetDef, session: Session, dialect: Dialect): Promise<string> {
  const relation = relationSql(ds.source, dialect);
  await session.query(`SET file_search_path = ${dialect.quoteLiteral(path.dirname(ds.file))}`);
  return relation;
}

/** What a check kind sees when it plans: the described columns and the dataset's relation. */
export function makePlanContext(ds: DatasetDef, columns: ColumnInfo[], relation: string, dialect: Dialect): PlanContext {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const filtered = `(SELECT * FROM ${relation} AS src${ds.filter ? ` WHERE (${ds.filter})` : ''})`;
  return {
    dialect, dataset: ds, columns,
    column(name) {
      const hit = byName.get(name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!hit) {
        throw new VigilError('UNKNOWN_COLUMN',
          `unknown column ${name} in ${ds.source.display}${didYouMean(name, byName.keys())}; columns are: ${columns.map((c) => c.name).join(', ')}`);
      }
      return hit;
    },
    sourceSql: () => filtered,
    rows: (where) => (where ? { type: 'aggregate', fn: 'count_star', filter: where } : { type: 'aggregate', fn: 'count_star' }),
  };
}

export async function runDataset(ds: DatasetDef, opts: DatasetRunOptions): Promise<DatasetRun> {
  const started = new Date();
  const queries: QueryTiming[] = [];
  const session = await opts.engine.acquire();
  // Set when the dataset must stop: its timeout, or a shutdown past its grace period.
  let stopped: string | null = null;
  const timeoutMessage = `timed out after ${formatDuration(ds.timeoutSeconds)} — the query was interrupted; raise timeout: in the check file or vigil.yaml, or narrow the source`;
  const stop = (message: string) => {
    if (stopped) return;
    stopped = message;
    session.interrupt();
  };
  const timer = setTimeout(() => stop(timeoutMessage), ds.timeoutSeconds * 1000);
  const onAbort = () => stop('interrupted: vigil serve was shutting down and the grace period ran out');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);

  const timed = async (label: string, sql: string, positional: boolean): Promise<Array<Record<string, unknown>> | unknown[][]> => {
    if (stopped) throw new Timeout(stopped);
    const t0 = performance.now();
    try {
      opts.log.debug({ dataset: ds.name, label, sql }, 'query');
      if (positional) {
        const arrays = await session.queryArrays(sql);
        queries.push({ label, sql, ms: performance.now() - t0 });
        return arrays.map((r) => r.map(plain));
      }
      const rows = await session.query(sql);
      queries.push({ label, sql, ms: performance.now() - t0 });
      return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
    } catch (err) {
      queries.push({ label, sql, ms: performance.now() - t0, error: cleanDbError(err) });
      if (stopped) throw new Timeout(stopped);
      throw err;
    }
  };

  const exec: Exec = Object.assign(
    (label: string, sql: string) => timed(label, sql, false) as Promise<Array<Record<string, unknown>>>,
    { arrays: (label: string, sql: string) => timed(label, sql, true) as Promise<unknown[][]> },
  );

  let results: CheckResult[];
  let schema: ColumnInfo[] | null = null;
  let error: string | null = null;
  try {
    ({ results, schema, error } = await evaluateDataset(ds, session, exec, opts));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    session.release();
  }
  const finished = new Date();
  const duration = finished.getTime() - started.getTime();
  for (const r of results) r.duration_ms = duration;
  return { dataset: ds.name, startedAt: started.toISOString(), finishedAt: finished.toISOString(), results, schema, error, queries };
}

interface Exec {
  (label: string, sql: string): Promise<Array<Record<string, unknown>>>;
  /** Rows as arrays in column order. */
  arrays(label: string, sql: string): Promise<unknown[][]>;
}

function result(check: CheckDef, status: Status, message: string, now: Date, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check: check.id, dataset: check.dataset, kind: check.kind, name: check.name, status,
    value: null, unit: KINDS[check.kind].unit, message,
    runbook: check.runbook ?? null, owner: check.owner ?? null, tags: check.tags,
    thresholds: {}, details: {}, evaluated_at: now.toISOString(), duration_ms: 0, ...extra,
  };
}

/** Every check of the dataset as `error` with one message (the source could not be read). */
function allError(ds: DatasetDef, message: string, now: Date): CheckResult[] {
  return ds.checks.map((c) => result(c, 'error', message, now));
}

function sameColumns(a: ColumnInfo[] | null, b: ColumnInfo[] | null): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((c, i) => c.name === b[i]?.name && c.type === b[i]?.type);
}

async function evaluateDataset(ds: DatasetDef, session: Session, exec: Exec, opts: DatasetRunOptions) {
  const dialect = opts.engine.dialect;
  const strategy = opts.strategy ?? defaultStrategy();

  let relation: string;
  try {
    relation = await openSource(ds, session, dialect);
  } catch (err) {
    return { results: allError(ds, errorMessage(err), opts.now()), schema: null, error: errorMessage(err) };
  }

  // Planning needs column types (freshness, missing_values). The schema
  // recorded last run is almost always still right, so plan with it and let
  // the dataset's one statement return the real columns; only when they
  // differ (or on the first run) is the source described up front.
  const optimistic = strategy === 'single' && opts.previousSchema !== null && opts.previousSchema.length > 0;
  let attempt = await attemptDataset(ds, relation, optimistic ? opts.previousSchema : null, exec, opts, strategy);
  if (attempt.kind === 'stale') {
    attempt = await attemptDataset(ds, relation, null, exec, opts, strategy);
  }
  if (attempt.kind !== 'done') throw new Error('unreachable: a described attempt is never stale');
  return attempt.value;
}

type Attempt =
  | { kind: 'stale' }
  | { kind: 'done'; value: { results: CheckResult[]; schema: ColumnInfo[] | null; error: string | null } };

async function attemptDataset(
  ds: DatasetDef, baseRelation: string, assumed: ColumnInfo[] | null, exec: Exec, opts: DatasetRunOptions, strategy: Strategy,
): Promise<Attempt> {
  const dialect = opts.engine.dialect;
  let relation = baseRelation;
  let columns: ColumnInfo[];
  if (assumed) {
    columns = assumed;
  } else {
    try {
      ({ relation, columns } = await describeSource(ds, relation, dialect, (sql) => exec('describe', sql)));
    } catch (err) {
      const message = err instanceof Timeout ? err.message : sourceError(ds, err);
      return { kind: 'done', value: { results: allError(ds, message, opts.now()), schema: null, error: message } };
    }
  }

  const ctx = makePlanContext(ds, columns, relation, dialect);
  const filtered = ctx.sourceSql();
  const plans = new Map<CheckDef, CheckPlan>();
  const failed = new Map<CheckDef, string>();
  for (const check of ds.checks) {
    try {
      plans.set(check, KINDS[check.kind].plan(check, ctx));
    } catch (err) {
      failed.set(check, errorMessage(err));
    }
  }
  // A check that cannot be planned against the assumed schema may plan against the real one.
  if (assumed && failed.size > 0) return { kind: 'stale' };

  const values = new Map<string, unknown>();
  const needErrors = new Map<string, string>();
  const allNeeds = [...plans.values()].flatMap((p) => p.needs);
  let described: ColumnInfo[] | null = null;

  let materialize = false;
  const runCompiled = async (needs: Need[], describe: boolean) => {
    const compiled = compileDataset({ dialect, relation, ...(ds.filter ? { filter: ds.filter } : {}), needs, strategy, describe, materialize });
    const failedQueries: Need[][] = [];
    for (const q of compiled) {
      try {
        const rows = q.positional ? await exec.arrays(q.label, q.sql) : await exec(q.label, q.sql);
        for (const [k, v] of q.read(rows)) {
          if (k === COLUMNS_KEY) described = ((v as Array<{ name: unknown; type: unknown }> | null) ?? []).map((c) => ({ name: String(c.name), type: String(c.type) }));
          else values.set(k, v);
        }
      } catch (err) {
        if (err instanceof Timeout) throw err;
        for (const n of q.needs) needErrors.set(needKey(n), cleanDbError(err));
        failedQueries.push(q.needs);
      }
    }
    return failedQueries;
  };

  let fatal: string | null = null;
  try {
    let files: Stats[] | undefined;
    const sourceFiles = async (source: FileSource): Promise<Stats[]> => {
      if (files) return files;
      // A plain path needs no round trip to DuckDB's glob(); a missing file is no file, as there.
      if (!GLOB_CHARS.test(source.path)) {
        files = await stat(source.path).then((st) => [st], (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return [];
          throw err;
        });
      } else {
        files = await Promise.all((await exec('files', `SELECT file FROM glob(${dialect.quoteLiteral(source.path)})`)).map((f) => stat(String(f.file))));
      }
      return files;
    };
    const mtimeNeeds = allNeeds.filter((n) => n.type === 'mtime');
    if (mtimeNeeds.length && ds.source.type === 'file') {
      const newest = (await sourceFiles(ds.source)).reduce<number | null>((m, st) => Math.max(m ?? 0, st.mtimeMs), null);
      for (const n of mtimeNeeds) values.set(needKey(n), newest);
    }
    // What the source's metadata answers (Parquet NULL counts) leaves the data query.
    const statistics = statisticsPlan(ds.source, ds.filter, allNeeds, columns, dialect);
    if (statistics) {
      try {
        for (const [k, v] of statistics.read(await exec('statistics', statistics.sql))) values.set(k, v);
      } catch (err) {
        // Unreadable footers: the data query reads the same files and says what is wrong.
        if (err instanceof Timeout) throw err;
      }
    }
    const dataNeeds = allNeeds.filter((n) => n.type !== 'mtime' && !values.has(needKey(n)));
    // A text source read by more than one scan is parsed once and kept in memory, when it is small enough.
    // Compressed text grows several times once parsed: it is never held in memory.
    if (strategy === 'single' && ds.source.type === 'file' && TEXT_FORMATS.has(ds.source.format) && !COMPRESSED.test(ds.source.path)
      && scanCount(dataNeeds) > 1) {
      try {
        const bytes = (await sourceFiles(ds.source)).reduce((sum, st) => sum + st.size, 0);
        materialize = bytes > 0 && bytes <= MATERIALIZE_MAX_BYTES;
      } catch (err) {
        if (err instanceof Timeout) throw err;
        // Only an optimisation: a file that went away between glob() and stat() is for the data statement to report.
      }
    }
    const failedGroups = await runCompiled(dataNeeds, assumed !== null);
    if (assumed) {
      // The real columns came back with the data: if they are not the ones we
      // planned with, or the statement failed (perhaps on a column that has
      // gone), start again from a fresh description.
      if (failedGroups.length > 0 || !sameColumns(described, assumed)) return { kind: 'stale' };
    }
    // A failed shared query is re-run per check, so one bad `where` errors one check, not all.
    const shared = failedGroups.filter((g) => g.length > 1);
    if (shared.length) {
      try {
        await exec('probe', `SELECT count(*) AS n FROM ${filtered} AS f`);
        for (const [check, plan] of plans) {
          const mine = plan.needs.filter((n) => shared.some((g) => g.some((x) => needKey(x) === needKey(n))));
          if (!mine.length) continue;
          for (const n of mine) needErrors.delete(needKey(n));
          await runCompiled(mine, false);
          const bad = mine.find((n) => needErrors.has(needKey(n)));
          if (bad) failed.set(check, needErrors.get(needKey(bad)) as string);
        }
      } catch (err) {
        if (err instanceof Timeout) throw err;
        const msg = cleanDbError(err);
        fatal = ds.filter ? `query failed (filter: ${ds.filter}): ${msg}` : sourceError(ds, err);
      }
    }
  } catch (err) {
    fatal = err instanceof Timeout ? err.message : sourceError(ds, err);
  }

  const results = ds.checks.map((check) => {
    const now = opts.now();
    const pre = failed.get(check);
    if (pre) return result(check, 'error', pre, now);
    if (fatal) return result(check, 'error', fatal, now);
    const plan = plans.get(check) as CheckPlan;
    const bad = plan.needs.find((n) => needErrors.has(needKey(n)));
    if (bad) {
      const where = check.where ? ` (where: ${check.where})` : '';
      return result(check, 'error', `query failed${where}: ${needErrors.get(needKey(bad))}`, now);
    }
    try {
      const o = plan.evaluate({ now, dataset: ds, columns, previousSchema: opts.previousSchema, value: (n) => values.get(needKey(n)) ?? null });
      return result(check, o.status, o.message, now, { value: o.value, unit: o.unit, thresholds: o.thresholds, details: o.details });
    } catch (err) {
      return result(check, 'error', errorMessage(err), now);
    }
  });
  return { kind: 'done', value: { results, schema: columns, error: fatal } };
}
