// Runs one dataset: open a session on its engine, plan every check against the
// source's columns, compile the needs into the fewest statements, measure
// them under the dataset's timeout, and evaluate. Any failure becomes `error`
// on exactly the checks it affects; it never escapes. Everything about the
// database is the engine's (engine/engine.ts) and the compiler's.

import { redactDeep, type Redactor } from '../alerts/redact.js';
import { KINDS } from '../checks/registry.js';
import { needKey, type CheckPlan, type ColumnInfo, type Need, type Status } from '../checks/kind.js';
import { formatDuration } from '../config/duration.js';
import type { CheckDef, DatasetDef } from '../config/model.js';
import { COLUMNS_KEY, compileDataset, defaultStrategy, probeSql, type Strategy } from '../engine/compile.js';
import type { Answer, Engine, Row, SourceSession, StatementLog } from '../engine/engine.js';
import { makePlanContext } from '../engine/plan.js';
import { planCheck, type TrainingHistory } from '../anomaly/evaluate.js';
import type { CheckResult, DatasetRun } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface DatasetRunOptions {
  /** Where the dataset's engine comes from (run/runtime.ts). */
  engines: { for(ds: DatasetDef): Promise<Engine> };
  now: () => Date;
  previousSchema: ColumnInfo[] | null;
  /** Training points of the dataset's history-based anomaly checks (run.ts reads them from the store). */
  history?: TrainingHistory;
  /** How a check is planned (default: planCheck); vigil backtest plans its series instead. */
  plan?: typeof planCheck;
  log: Logger;
  /** Overrides the plan chosen from the source format (benchmarks, tests). */
  strategy?: Strategy;
  signal?: AbortSignal;
  /**
   * Applied to every text of the outcome (messages, details, values, schema) before anyone sees
   * it: a query that selects a configured secret, or data that holds one, is stored, printed and
   * sent as [redacted] (alerts/redact.ts).
   */
  redact?: Redactor;
}

class Stopped extends Error {}

export async function runDataset(ds: DatasetDef, opts: DatasetRunOptions): Promise<DatasetRun> {
  const started = new Date();
  const queries: StatementLog[] = [];
  // Set when the dataset must stop: its timeout, or a shutdown past its grace period.
  let stopped: string | null = null;
  const stop = new AbortController();
  const halt = (message: string) => {
    if (stopped) return;
    stopped = message;
    stop.abort();
  };
  const timeoutMessage = `timed out after ${formatDuration(ds.timeoutSeconds)} — the query was interrupted; raise timeout: in the check file or vigil.yaml, or narrow the source`;
  const timer = setTimeout(() => halt(timeoutMessage), ds.timeoutSeconds * 1000);
  const onAbort = () => halt('interrupted: vigil serve was shutting down and the grace period ran out');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);

  /** Runs one engine call; once the dataset is stopped, every call (and every failure) is the stop. */
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    if (stopped) throw new Stopped(stopped);
    try {
      return await call();
    } catch (err) {
      if (stopped) throw new Stopped(stopped);
      throw err;
    }
  };

  let outcome: Evaluated;
  let session: SourceSession | undefined;
  try {
    session = await guard(async () => (await opts.engines.for(ds)).open(ds, {
      signal: stop.signal,
      deadline: started.getTime() + ds.timeoutSeconds * 1000,
      onStatement: (statement) => {
        // The statements are recorded with the run and logged: a query may spell out a secret too.
        const s = opts.redact ? { ...statement, sql: opts.redact(statement.sql), ...(statement.error ? { error: opts.redact(statement.error) } : {}) } : statement;
        queries.push(s);
        opts.log.debug({ dataset: ds.name, label: s.label, sql: s.sql, ms: Math.round(s.ms), ...(s.error ? { error: s.error } : {}) }, 'query');
      },
    }));
    const s = session;
    outcome = await evaluateDataset(ds, {
      session: s,
      guard,
      now: opts.now,
      previousSchema: opts.previousSchema,
      history: opts.history ?? new Map(),
      plan: opts.plan ?? planCheck,
      strategy: opts.strategy ?? defaultStrategy(),
    });
  } catch (err) {
    const message = err instanceof Stopped ? err.message : errorMessage(err);
    outcome = { results: allError(ds, message, opts.now()), schema: null, error: message };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await session?.close();
  }
  const finished = new Date();
  const duration = finished.getTime() - started.getTime();
  for (const r of outcome.results) r.duration_ms = duration;
  if (opts.redact) outcome = redactOutcome(outcome, opts.redact);
  return { dataset: ds.name, startedAt: started.toISOString(), finishedAt: finished.toISOString(), ...outcome, queries };
}

function redactOutcome(o: Evaluated, redact: Redactor): Evaluated {
  return {
    results: o.results.map((r) => ({ ...r, message: redact(r.message), details: redactDeep(r.details, redact) })),
    schema: o.schema && redactDeep(o.schema, redact),
    error: o.error === null ? null : redact(o.error),
  };
}

interface Evaluated {
  results: CheckResult[];
  schema: ColumnInfo[] | null;
  error: string | null;
}

interface Context {
  session: SourceSession;
  guard: <T>(call: () => Promise<T>) => Promise<T>;
  now: () => Date;
  previousSchema: ColumnInfo[] | null;
  history: TrainingHistory;
  plan: typeof planCheck;
  strategy: Strategy;
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

/** Metadata that stands in for reading the data (not file times, which are what freshness without a column measures). */
function answersForData(from: string): boolean {
  return from !== 'file modification times';
}

function sameColumns(a: ColumnInfo[] | null, b: ColumnInfo[] | null): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((c, i) => c.name === b[i]?.name && c.type === b[i]?.type);
}

async function evaluateDataset(ds: DatasetDef, ctx: Context): Promise<Evaluated> {
  // Planning needs column types (freshness, missing_values). The schema
  // recorded last run is almost always still right, so — where the dialect
  // can return the columns from the data statement itself — plan with it and
  // check; only when they differ (or on the first run) is the source described up front.
  const inline = ctx.strategy === 'single' && ctx.session.dialect.columnsOf('src', COLUMNS_KEY) !== null;
  const optimistic = inline && ctx.previousSchema !== null && ctx.previousSchema.length > 0;
  let attempt = await attemptDataset(ds, optimistic ? ctx.previousSchema : null, ctx);
  if (attempt === 'stale') attempt = await attemptDataset(ds, null, ctx);
  if (attempt === 'stale') throw new Error('unreachable: a described attempt is never stale');
  return attempt;
}

async function attemptDataset(ds: DatasetDef, assumed: ColumnInfo[] | null, ctx: Context): Promise<Evaluated | 'stale'> {
  const { session, guard } = ctx;
  const dialect = session.dialect;
  let columns: ColumnInfo[];
  if (assumed) {
    columns = assumed;
  } else {
    try {
      columns = await guard(() => session.describe());
    } catch (err) {
      const message = err instanceof Stopped ? err.message : errorMessage(err);
      return { results: allError(ds, message, ctx.now()), schema: null, error: message };
    }
  }

  const relation = session.relation;
  const plan = makePlanContext(ds, columns, relation, dialect, ctx.now());
  const plans = new Map<CheckDef, CheckPlan>();
  const failed = new Map<CheckDef, string>();
  for (const check of ds.checks) {
    try {
      plans.set(check, ctx.plan(check, plan, ctx.history));
    } catch (err) {
      failed.set(check, errorMessage(err));
    }
  }
  // A check that cannot be planned against the assumed schema may plan against the real one.
  if (assumed && failed.size > 0) return 'stale';

  const values = new Map<string, unknown>();
  const provenance = new Map<string, string>();
  const needErrors = new Map<string, string>();
  const allNeeds = [...plans.values()].flatMap((p) => p.needs);
  let described: ColumnInfo[] | null = null;

  const runCompiled = async (needs: Need[], describe: boolean, materialize: boolean) => {
    const compiled = compileDataset({ dialect, relation, ...(ds.filter ? { filter: ds.filter } : {}), needs, strategy: ctx.strategy, describe, materialize });
    const failedQueries: Need[][] = [];
    for (const q of compiled) {
      try {
        const rows = await guard<Row[] | unknown[][]>(() => (q.positional ? session.queryArrays(q.label, q.sql) : session.query(q.label, q.sql)));
        for (const [k, v] of q.read(rows)) {
          if (k === COLUMNS_KEY) described = ((v as Array<{ name: unknown; type: unknown }> | null) ?? []).map((c) => ({ name: String(c.name), type: String(c.type) }));
          else values.set(k, v);
        }
      } catch (err) {
        if (err instanceof Stopped) throw err;
        for (const n of q.needs) needErrors.set(needKey(n), errorMessage(err));
        failedQueries.push(q.needs);
      }
    }
    return failedQueries;
  };

  let fatal: string | null = null;
  try {
    // What the source's metadata answers (file times, Parquet footers) leaves the data statements.
    const answers: Map<string, Answer> = await guard(() => session.answer(allNeeds, columns));
    for (const [k, a] of answers) {
      values.set(k, a.value);
      if (a.from) provenance.set(k, a.from);
    }
    const dataNeeds = allNeeds.filter((n) => n.type !== 'mtime' && !values.has(needKey(n)));
    const materialize = ctx.strategy === 'single' && await guard(() => session.materialize(dataNeeds));
    const failedGroups = await runCompiled(dataNeeds, assumed !== null, materialize);
    if (assumed) {
      // The real columns came back with the data: if they are not the ones we
      // planned with, or the statement failed (perhaps on a column that has
      // gone), start again from a fresh description.
      if (failedGroups.length > 0 || !sameColumns(described, assumed)) return 'stale';
    }
    // A failed shared query is re-run per check, so one bad `where` errors one check, not all.
    const shared = failedGroups.filter((g) => g.length > 1);
    if (shared.length) {
      try {
        await guard(() => session.query('probe', probeSql(relation, ds.filter)));
        for (const [check, p] of plans) {
          const mine = p.needs.filter((n) => shared.some((g) => g.some((x) => needKey(x) === needKey(n))));
          if (!mine.length) continue;
          for (const n of mine) needErrors.delete(needKey(n));
          await runCompiled(mine, false, false);
          const bad = mine.find((n) => needErrors.has(needKey(n)));
          if (bad) failed.set(check, `query failed${check.where ? ` (where: ${check.where})` : ''}: ${needErrors.get(needKey(bad)) as string}`);
        }
      } catch (err) {
        if (err instanceof Stopped) throw err;
        fatal = ds.filter ? `query failed (filter: ${ds.filter}): ${errorMessage(err)}` : session.unreadable(err);
      }
    }
  } catch (err) {
    fatal = err instanceof Stopped ? err.message : session.unreadable(err);
  }

  const results = ds.checks.map((check) => {
    const now = ctx.now();
    const pre = failed.get(check);
    if (pre) return result(check, 'error', pre, now);
    if (fatal) return result(check, 'error', fatal, now);
    const p = plans.get(check) as CheckPlan;
    const bad = p.needs.find((n) => needErrors.has(needKey(n)));
    if (bad) {
      const where = check.where ? ` (where: ${check.where})` : '';
      return result(check, 'error', `query failed${where}: ${needErrors.get(needKey(bad))}`, now);
    }
    try {
      const o = p.evaluate({ now, dataset: ds, columns, previousSchema: ctx.previousSchema, value: (n) => values.get(needKey(n)) ?? null });
      // An answer from metadata (Parquet footers) read no data page: the result says so, as data
      // pages that are corrupt would pass it. File times are freshness's own source and say so there.
      const from = [...new Set(p.needs.map((n) => provenance.get(needKey(n))).filter((f): f is string => f !== undefined && answersForData(f)))];
      const details = from.length ? { ...o.details, answered_from: from.join(', ') } : o.details;
      return result(check, o.status, o.message, now, { value: o.value, unit: o.unit, thresholds: o.thresholds, details });
    } catch (err) {
      return result(check, 'error', errorMessage(err), now);
    }
  });
  return { results, schema: columns, error: fatal };
}
