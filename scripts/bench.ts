// `npm run bench`: vigil against the fastest hand-written DuckDB, as whole processes.
//
// For each big extract (Parquet, CSV) it times, side by side and interleaved:
//   (a) bin/vigil run --config bench-data/<x>/vigil.yaml --no-alerts --json
//   (b) bench-baseline.js <strategy> <file> for strategy in combined | per-check | agg+groupby;
//       min(b) = the fastest of the three
//   (c) one statement per check, the way dbt runs tests: that is the per-check strategy of (b)
// and for 200 small data sets × 6 checks: one `vigil run` process against
// `bench-baseline.js many <dir> <strategy>` (all files in one process).
// Prints medians, ratios and peak RSS, and writes bench-data/results.json.
import { cpus, loadavg, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { version as duckdbVersion } from '@duckdb/node-api';
import pc from 'picocolors';
import { prepareBenchData, resetStores, type Extract, type ManySet } from './bench-data.js';
import { cleanupScratch, defaultRssMode, median, runNode, type ProcessRun, type RssMode } from './bench-measure.js';
import {
  BIG_NULL_COLUMNS,
  CSV_SHARE,
  DEFAULT_MANY_COUNT,
  DEFAULT_MANY_ROWS,
  DEFAULT_PARQUET_ROWS,
  KEY_COLUMNS,
  MANY_NULL_COLUMNS,
  STRATEGIES,
  TS_COLUMN,
  type BaselineResult,
  type Strategy,
} from './bench-shape.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATA_DIR = path.join(ROOT, 'bench-data');
const VIGIL_BIN = path.join(ROOT, 'bin', 'vigil');
const VIGIL_MAIN = path.join(ROOT, 'dist', 'bundle', 'main.js');
const BASELINE = fileURLToPath(new URL('./bench-baseline.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./bench-rss.js', import.meta.url));

const TARGET_A_OVER_B = 1.1;
const TARGET_C_OVER_A_CSV = 2.5;
const TARGET_MANY = 1.5;
const MANY_REFERENCE = 'combined-x2';
const MANY_REFERENCE_CONNECTIONS = 2;

const HELP = `usage: npm run bench -- [options]

  --rows N            Parquet rows (default ${DEFAULT_PARQUET_ROWS.toLocaleString('en-US')}); the CSV gets ${CSV_SHARE * 100}% of it
  --runs N            timed runs of every command (default 5); medians are reported
  --warmup N          untimed runs of every command first (default 1)
  --quick             --rows 200000 --runs 3 (a fast sanity run)
  --many N            number of small data sets (default ${DEFAULT_MANY_COUNT})
  --many-rows N       rows of each small data set (default ${DEFAULT_MANY_ROWS})
  --only LIST         comma list of parquet,csv,many,postgres (default all; postgres needs a
                      PostgreSQL server binary: pg_config --bindir or PG_BINDIR)
  --regen             regenerate the extracts even if bench-data/ has them
  --baselines-only    skip vigil (e.g. before the CLI is built)
  --rss time|preload  how peak RSS is read (default: /usr/bin/time -f %M when present)
  --timeout S         kill a measured process after S seconds (default 1800)
  --check-targets     exit 1 when a target is missed
`;

interface Options {
  parquetRows: number;
  csvRows: number;
  runs: number;
  warmup: number;
  manyCount: number;
  manyRows: number;
  only: Set<string>;
  regen: boolean;
  baselinesOnly: boolean;
  rssMode: RssMode;
  timeoutMs: number;
  checkTargets: boolean;
  quick: boolean;
}

function fail(msg: string): never {
  process.stderr.write(pc.red(`bench: ${msg}\n`));
  cleanupScratch();
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) fail(`--${name} wants a positive integer, got ${v}`);
  return n;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      many: { type: 'string' },
      'many-rows': { type: 'string' },
      only: { type: 'string' },
      regen: { type: 'boolean', default: false },
      'baselines-only': { type: 'boolean', default: false },
      rss: { type: 'string' },
      timeout: { type: 'string' },
      'check-targets': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick === true;
  const parquetRows = positiveInt('rows', values.rows, quick ? 200_000 : DEFAULT_PARQUET_ROWS);
  const only = new Set((values.only ?? 'parquet,csv,many,postgres').split(',').map((s) => s.trim()).filter((s) => s !== ''));
  for (const o of only) if (!['parquet', 'csv', 'many', 'postgres'].includes(o)) fail(`--only: unknown part ${o} (parquet, csv, many, postgres)`);
  const rss = values.rss ?? defaultRssMode();
  if (rss !== 'time' && rss !== 'preload') fail(`--rss wants time or preload, got ${rss}`);
  return {
    parquetRows,
    csvRows: Math.max(1, Math.round(parquetRows * CSV_SHARE)),
    runs: positiveInt('runs', values.runs, quick ? 3 : 5),
    warmup: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 1),
    manyCount: positiveInt('many', values.many, DEFAULT_MANY_COUNT),
    manyRows: positiveInt('many-rows', values['many-rows'], DEFAULT_MANY_ROWS),
    only,
    regen: values.regen === true,
    baselinesOnly: values['baselines-only'] === true,
    rssMode: rss,
    timeoutMs: positiveInt('timeout', values.timeout, 1800) * 1000,
    checkTargets: values['check-targets'] === true,
    quick,
  };
}

// ---------------------------------------------------------------------------------------------
// Subjects: one command line each, run `warmup + runs` times.

interface VigilJson {
  started_at?: string;
  summary?: Record<string, number>;
  results?: Array<{ check: string; dataset: string; kind: string; status: string; value: unknown; message?: string }>;
}

interface Subject {
  id: string;
  label: string;
  args: string[];
  /** Throws when the run means something broke; returns the parsed output. */
  accept(run: ProcessRun): unknown;
}

interface SubjectStats {
  label: string;
  command: string;
  wall_ms: number[];
  rss_kb: Array<number | null>;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  median_rss_mb: number | null;
  peak_rss_mb: number | null;
  exit_codes: Array<number | null>;
  /** Timings the child reported itself (baselines only): DuckDB open and query time. */
  internal?: { open_ms: number; query_ms: number };
}

function tail(s: string, lines = 25): string {
  return s.trimEnd().split('\n').slice(-lines).join('\n');
}

function vigilSubject(configPath: string, expectedResults: number): Subject {
  const rel = path.relative(ROOT, configPath);
  return {
    id: 'vigil',
    label: '(a) vigil run',
    args: [VIGIL_BIN, 'run', '--config', rel, '--no-alerts', '--json'],
    accept(run) {
      const what = `bin/vigil run --config ${rel} --no-alerts --json`;
      if (run.timedOut) throw new Error(`${what} timed out`);
      if (run.code === 2 || run.code === 3) {
        throw new Error(
          `${what} exited with ${run.code} (${run.code === 3 ? 'configuration invalid' : 'a check is in error'}):\n` +
            `--- stdout (tail) ---\n${tail(run.stdout, 40)}\n--- stderr (tail) ---\n${tail(run.stderr)}`,
        );
      }
      if (run.code !== 0 && run.code !== 1) {
        throw new Error(`${what} ended with code ${run.code} signal ${run.signal}:\n${tail(run.stderr)}`);
      }
      let parsed: VigilJson;
      try {
        parsed = JSON.parse(run.stdout) as VigilJson;
      } catch {
        throw new Error(`${what}: stdout is not one JSON object:\n${tail(run.stdout, 10)}\n--- stderr ---\n${tail(run.stderr)}`);
      }
      const n = parsed.results?.length ?? 0;
      if (n !== expectedResults) throw new Error(`${what}: expected ${expectedResults} results, got ${n}`);
      return parsed;
    },
  };
}

function baselineSubject(id: string, label: string, args: string[]): Subject {
  return {
    id,
    label,
    args: [BASELINE, ...args],
    accept(run) {
      const what = `bench-baseline.js ${args.map((a) => path.relative(ROOT, a) || a).join(' ')}`;
      if (run.timedOut) throw new Error(`${what} timed out`);
      if (run.code !== 0) throw new Error(`${what} exited with ${run.code} signal ${run.signal}:\n${tail(run.stderr)}`);
      try {
        return JSON.parse(run.stdout) as unknown;
      } catch {
        throw new Error(`${what}: stdout is not JSON:\n${tail(run.stdout, 10)}`);
      }
    },
  };
}

function strategyLabel(s: Strategy): string {
  return s === 'per-check' ? '(b) per-check = (c) dbt-style' : `(b) ${s}`;
}

interface Measured {
  stats: Map<string, SubjectStats>;
  /** Parsed output of each subject's first run. */
  outputs: Map<string, unknown>;
}

async function measure(name: string, subjects: Subject[], opts: Options): Promise<Measured> {
  const stats = new Map<string, SubjectStats>();
  const outputs = new Map<string, unknown>();
  const internal = new Map<string, Array<{ open_ms: number; query_ms: number }>>();
  for (const s of subjects) {
    stats.set(s.id, {
      label: s.label,
      command: ['node', ...s.args.map((a) => (path.isAbsolute(a) ? path.relative(ROOT, a) : a))].join(' '),
      wall_ms: [],
      rss_kb: [],
      median_ms: Number.NaN,
      min_ms: Number.NaN,
      max_ms: Number.NaN,
      median_rss_mb: null,
      peak_rss_mb: null,
      exit_codes: [],
    });
  }
  const runOpts = { cwd: ROOT, rssMode: opts.rssMode, preloadPath: PRELOAD, timeoutMs: opts.timeoutMs };
  const once = async (s: Subject): Promise<{ run: ProcessRun; parsed: unknown }> => {
    const run = await runNode(s.args, runOpts);
    try {
      return { run, parsed: s.accept(run) };
    } catch (err) {
      fail(`${name}: ${err instanceof Error ? err.message : String(err)}\nAborting: the figures would be meaningless.`);
    }
  };
  for (let w = 0; w < opts.warmup; w++) {
    for (const s of subjects) {
      const { run, parsed } = await once(s);
      if (!outputs.has(s.id)) outputs.set(s.id, parsed);
      log(`  ${name} warm-up: ${s.label} ${fmtMs(run.wallMs)}`);
    }
  }
  // Interleaved rounds, rotating the order, so drift of the machine hits every subject alike.
  for (let r = 0; r < opts.runs; r++) {
    const parts: string[] = [];
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[(i + r) % subjects.length] as Subject;
      const { run, parsed } = await once(s);
      if (!outputs.has(s.id)) outputs.set(s.id, parsed);
      const st = stats.get(s.id) as SubjectStats;
      st.wall_ms.push(round1(run.wallMs));
      st.rss_kb.push(run.rssKb);
      st.exit_codes.push(run.code);
      const t = (parsed as { timings?: { open_ms: number; query_ms: number } } | null)?.timings;
      if (t !== undefined) internal.set(s.id, [...(internal.get(s.id) ?? []), t]);
      parts.push(`${s.id} ${fmtMs(run.wallMs)}`);
    }
    log(`  ${name} run ${r + 1}/${opts.runs}: ${parts.join(', ')}`);
  }
  for (const [id, st] of stats) {
    st.median_ms = round1(median(st.wall_ms));
    st.min_ms = Math.min(...st.wall_ms);
    st.max_ms = Math.max(...st.wall_ms);
    const rss = st.rss_kb.filter((x): x is number => x !== null);
    st.median_rss_mb = rss.length > 0 ? round1(median(rss) / 1024) : null;
    st.peak_rss_mb = rss.length > 0 ? round1(Math.max(...rss) / 1024) : null;
    const its = internal.get(id);
    if (its !== undefined && its.length > 0) {
      st.internal = { open_ms: round1(median(its.map((t) => t.open_ms))), query_ms: round1(median(its.map((t) => t.query_ms))) };
    }
  }
  return { stats, outputs };
}

// ---------------------------------------------------------------------------------------------
// Do vigil's values agree with the hand-written ones? (A fast wrong answer is no answer.)

function agreement(vigil: VigilJson | undefined, baseline: BaselineResult[], datasetOf: (file: string) => string, nullCols: readonly string[]): string[] {
  if (vigil === undefined) return [];
  const problems: string[] = [];
  const byCheck = new Map((vigil.results ?? []).map((r) => [r.check, r]));
  const startedAt = vigil.started_at !== undefined ? Date.parse(vigil.started_at) : Number.NaN;
  const expectValue = (check: string, expected: number, tolerance = 0): void => {
    const r = byCheck.get(check);
    if (r === undefined) {
      problems.push(`${check}: no result`);
      return;
    }
    const v = r.value === null || r.value === undefined ? Number.NaN : Number(r.value);
    if (!(Math.abs(v - expected) <= tolerance)) problems.push(`${check}: vigil says ${String(r.value)} (${r.status}), hand-written SQL says ${expected}`);
  };
  for (const b of baseline) {
    const ds = datasetOf(b.file);
    expectValue(`${ds}.row_count`, b.row_count);
    for (const c of nullCols) expectValue(`${ds}.nulls.${c}`, b.nulls[c] ?? Number.NaN);
    expectValue(`${ds}.duplicates.${KEY_COLUMNS.join('+')}`, b.duplicate_rows);
    expectValue(`${ds}.schema`, 0);
    if (b.max_ts !== null && !Number.isNaN(startedAt)) {
      // vigil measures against its own clock: allow for the run's duration.
      const age = (startedAt - Date.parse(`${b.max_ts.replace(' ', 'T')}Z`)) / 1000;
      expectValue(`${ds}.freshness`, age, 120);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Reporting

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function fmtMb(mb: number | null): string {
  return mb === null ? '—' : `${Math.round(mb)} MB`;
}

function fmtBytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`;
}

function log(msg: string): void {
  process.stderr.write(pc.dim(msg) + '\n');
}

interface Target {
  name: string;
  value: number | null;
  op: '<=' | '>=';
  limit: number;
  met: boolean | null;
}

function target(name: string, value: number | null, op: '<=' | '>=', limit: number): Target {
  const met = value === null || !Number.isFinite(value) ? null : op === '<=' ? value <= limit : value >= limit;
  return { name, value: value === null || !Number.isFinite(value) ? null : round3(value), op, limit, met };
}

function verdict(t: Target): string {
  if (t.met === null) return pc.yellow('n/a');
  return t.met ? pc.green('met') : pc.red('MISSED');
}

function table(rows: string[][], align: Array<'l' | 'r'>): string {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => '  ' + r.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd())
    .join('\n');
}

function statsTable(stats: Map<string, SubjectStats>, best: string | undefined): string {
  const rows: string[][] = [['', 'median', 'min', 'max', 'peak RSS', 'in-process open+query']];
  for (const [id, s] of stats) {
    const internal = s.internal !== undefined ? `${fmtMs(s.internal.open_ms)} + ${fmtMs(s.internal.query_ms)}` : '';
    rows.push([
      s.label + (id === best ? ' ← min(b)' : ''),
      fmtMs(s.median_ms),
      fmtMs(s.min_ms),
      fmtMs(s.max_ms),
      fmtMb(s.peak_rss_mb),
      internal,
    ]);
  }
  return table(rows, ['l', 'r', 'r', 'r', 'r', 'r']);
}

function targetLines(ts: Target[]): string {
  return ts
    .map((t) => `  ${t.name.padEnd(28)} ${t.value === null ? '—' : t.value.toFixed(2).padStart(6)}   target ${t.op === '<=' ? '≤' : '≥'} ${t.limit.toFixed(2)}   ${verdict(t)}`)
    .join('\n');
}

function statsJson(stats: Map<string, SubjectStats>): Record<string, SubjectStats> {
  return Object.fromEntries(stats);
}

// ---------------------------------------------------------------------------------------------

async function benchExtract(x: Extract, opts: Options): Promise<{ json: unknown; targets: Target[] }> {
  const file = x.file;
  const subjects: Subject[] = [];
  const nullArg = ['--key', KEY_COLUMNS.join(','), '--ts', TS_COLUMN, '--nulls', BIG_NULL_COLUMNS.join(',')];
  if (!opts.baselinesOnly) subjects.push(vigilSubject(x.configPath, 4 + BIG_NULL_COLUMNS.length));
  for (const s of STRATEGIES) subjects.push(baselineSubject(s, strategyLabel(s), [s, file, ...nullArg]));
  const m = await measure(x.kind, subjects, opts);
  const medianOf = (id: string): number => m.stats.get(id)?.median_ms ?? Number.NaN;
  const best = [...STRATEGIES].sort((p, q) => medianOf(p) - medianOf(q))[0] as Strategy;
  const a = opts.baselinesOnly ? Number.NaN : medianOf('vigil');
  const minB = medianOf(best);
  const c = medianOf('per-check');
  const targets = [target(`${x.kind}: a / min(b)`, a / minB, '<=', TARGET_A_OVER_B)];
  const cOverA = target(`${x.kind}: c / a`, c / a, '>=', TARGET_C_OVER_A_CSV);
  if (x.kind === 'csv') targets.push(cOverA);
  const combinedOut = (m.outputs.get('combined') as { result?: BaselineResult } | undefined)?.result;
  const problems = agreement(m.outputs.get('vigil') as VigilJson | undefined, combinedOut ? [combinedOut] : [], () => x.dataset, BIG_NULL_COLUMNS);
  const vigilOut = m.outputs.get('vigil') as VigilJson | undefined;

  process.stdout.write(
    `\n${pc.bold(`${x.dataset}`)} — ${x.rows.toLocaleString('en-US')} rows, ${fmtBytes(x.bytes)} ${x.kind}` +
      ` (${opts.runs} timed runs after ${opts.warmup} warm-up; wall clock of the whole process)\n`,
  );
  process.stdout.write(statsTable(m.stats, best) + '\n');
  if (!opts.baselinesOnly) {
    process.stdout.write(targetLines(x.kind === 'csv' ? targets : [...targets, { ...cOverA, met: null, limit: TARGET_C_OVER_A_CSV }]) + '\n');
    if (x.kind !== 'csv') process.stdout.write(pc.dim('  (the c / a target applies to the CSV only)\n'));
    if (vigilOut?.summary) process.stdout.write(pc.dim(`  vigil summary: ${JSON.stringify(vigilOut.summary)}\n`));
    process.stdout.write(
      problems.length === 0
        ? pc.dim("  vigil's values agree with the hand-written SQL (row count, NULLs, duplicates, schema, freshness)\n")
        : pc.yellow(`  vigil's values DISAGREE with the hand-written SQL:\n${problems.map((p) => `    ${p}`).join('\n')}\n`),
    );
  }
  return {
    targets: opts.baselinesOnly ? [] : targets,
    json: {
      dataset: x.dataset,
      file: path.relative(ROOT, x.file),
      config: path.relative(ROOT, x.configPath),
      rows: x.rows,
      bytes: x.bytes,
      reused: x.reused,
      generate_ms: round1(x.generateMs),
      subjects: statsJson(m.stats),
      best_baseline: best,
      medians_ms: { a_vigil: a, min_b: minB, c_per_check: c },
      ratios: { a_over_min_b: round3(a / minB), c_over_a: round3(c / a) },
      targets: opts.baselinesOnly ? [] : x.kind === 'csv' ? targets : [...targets, { ...cOverA, met: null }],
      vigil_summary: vigilOut?.summary ?? null,
      disagreements: problems,
    },
  };
}

async function benchMany(set: ManySet, opts: Options): Promise<{ json: unknown; targets: Target[] }> {
  const subjects: Subject[] = [];
  const checksEach = 4 + MANY_NULL_COLUMNS.length;
  const nullArg = ['--key', KEY_COLUMNS.join(','), '--ts', TS_COLUMN, '--nulls', MANY_NULL_COLUMNS.join(',')];
  if (!opts.baselinesOnly) subjects.push(vigilSubject(set.configPath, set.count * checksEach));
  for (const s of STRATEGIES) subjects.push(baselineSubject(s, `(b) ${s}, one process`, ['many', set.dataDir, s, ...nullArg]));
  // Reference only (not in min(b)): vigil runs two data sets at a time; so can a hand-written loop.
  subjects.push(
    baselineSubject(MANY_REFERENCE, `(ref) combined, ${MANY_REFERENCE_CONNECTIONS} connections`, [
      'many',
      set.dataDir,
      'combined',
      ...nullArg,
      '--connections',
      String(MANY_REFERENCE_CONNECTIONS),
    ]),
  );
  const m = await measure('many', subjects, opts);
  const medianOf = (id: string): number => m.stats.get(id)?.median_ms ?? Number.NaN;
  const best = [...STRATEGIES].sort((p, q) => medianOf(p) - medianOf(q))[0] as Strategy;
  const a = opts.baselinesOnly ? Number.NaN : medianOf('vigil');
  const minB = medianOf(best);
  const ref = medianOf(MANY_REFERENCE);
  const targets = [target('many: vigil / min(b)', a / minB, '<=', TARGET_MANY)];
  const combinedOut = (m.outputs.get('combined') as { results?: BaselineResult[] } | undefined)?.results ?? [];
  const vigilOut = m.outputs.get('vigil') as VigilJson | undefined;
  const problems = agreement(vigilOut, combinedOut, (f) => path.basename(f).replace(/\./g, '_'), MANY_NULL_COLUMNS);

  process.stdout.write(
    `\n${pc.bold('many')} — ${set.count} data sets × ${checksEach} checks, ${set.rowsEach.toLocaleString('en-US')} rows each` +
      ` (half Parquet, half CSV; ${fmtBytes(set.bytes)} in all), one process each side\n`,
  );
  process.stdout.write(statsTable(m.stats, best) + '\n');
  if (!opts.baselinesOnly) {
    process.stdout.write(targetLines(targets) + '\n');
    process.stdout.write(
      pc.dim(`  (reference, no target: vigil / combined with ${MANY_REFERENCE_CONNECTIONS} connections = ${(a / ref).toFixed(2)}; vigil runs 2 data sets at a time)\n`),
    );
    if (vigilOut?.summary) process.stdout.write(pc.dim(`  vigil summary: ${JSON.stringify(vigilOut.summary)}\n`));
    process.stdout.write(
      problems.length === 0
        ? pc.dim("  vigil's values agree with the hand-written SQL on every data set\n")
        : pc.yellow(
            `  vigil's values DISAGREE with the hand-written SQL (${problems.length}):\n${problems
              .slice(0, 10)
              .map((p) => `    ${p}`)
              .join('\n')}${problems.length > 10 ? '\n    …' : ''}\n`,
          ),
    );
  }
  return {
    targets: opts.baselinesOnly ? [] : targets,
    json: {
      config: path.relative(ROOT, set.configPath),
      data_dir: path.relative(ROOT, set.dataDir),
      datasets: set.count,
      checks_per_dataset: checksEach,
      rows_each: set.rowsEach,
      bytes: set.bytes,
      reused: set.reused,
      generate_ms: round1(set.generateMs),
      subjects: statsJson(m.stats),
      best_baseline: best,
      medians_ms: { vigil: a, min_b: minB, reference_2_connections: ref },
      ratios: { vigil_over_min_b: round3(a / minB), vigil_over_reference_2_connections: round3(a / ref) },
      targets: opts.baselinesOnly ? [] : targets,
      vigil_summary: vigilOut?.summary ?? null,
      disagreements: problems,
    },
  };
}

/**
 * The PostgreSQL part: scripts/bench-postgres.ts in its own process (it starts its own server), with
 * the Parquet part's row count, so one `npm run bench` reports every engine's ratio.
 */
async function benchPostgres(opts: Options): Promise<{ json: unknown; targets: Target[] } | null> {
  if (!postgresAvailable()) {
    process.stdout.write(pc.yellow('\npostgres: skipped — no PostgreSQL server binary (install postgresql, or set PG_BINDIR)\n'));
    return null;
  }
  const script = fileURLToPath(new URL('./bench-postgres.js', import.meta.url));
  const child = spawnSync(process.execPath, [script, '--rows', String(opts.parquetRows), '--runs', String(opts.runs), '--warmup', String(opts.warmup)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 2 ** 20 });
  if (child.status !== 0) fail(`postgres part failed (exit ${child.status ?? child.signal})`);
  const summary = JSON.parse(child.stdout) as { median_ms: Record<string, number>; vigil_over_best: number };
  process.stdout.write(`\n${pc.bold(`PostgreSQL table, ${opts.parquetRows.toLocaleString('en-US')} rows`)}: ` +
    Object.entries(summary.median_ms).map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ') + '\n');
  return { json: summary, targets: [target(`PostgreSQL ${opts.parquetRows.toLocaleString('en-US')} rows: vigil / best hand-written pg`, summary.vigil_over_best, '<=', 1.1)] };
}

function postgresAvailable(): boolean {
  const dir = process.env.PG_BINDIR ?? spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' }).stdout?.trim();
  return !!dir && existsSync(path.join(dir, 'initdb'));
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const loadBefore = loadavg().map(round1);
  if (!opts.baselinesOnly && !existsSync(VIGIL_MAIN)) {
    fail(`${path.relative(ROOT, VIGIL_MAIN)} is missing: run \`npm run build\` first (or pass --baselines-only)`);
  }
  log(
    `bench: ${opts.parquetRows.toLocaleString('en-US')} Parquet rows, ${opts.csvRows.toLocaleString('en-US')} CSV rows, ` +
      `${opts.manyCount} × ${opts.manyRows.toLocaleString('en-US')}-row data sets; ${opts.runs} runs (+${opts.warmup} warm-up); ` +
      `peak RSS via ${opts.rssMode === 'time' ? '/usr/bin/time -f %M' : 'process.resourceUsage() preload'}`,
  );
  const data = await prepareBenchData(
    DATA_DIR,
    {
      parquetRows: opts.parquetRows,
      csvRows: opts.csvRows,
      manyCount: opts.manyCount,
      manyRows: opts.manyRows,
      force: opts.regen,
      wantParquet: opts.only.has('parquet'),
      wantCsv: opts.only.has('csv'),
      wantMany: opts.only.has('many'),
    },
    log,
  );
  resetStores([data.parquet?.projectDir, data.csv?.projectDir, data.many?.projectDir].filter((d): d is string => d !== undefined));

  const startup = await measure('startup', [baselineSubject('startup', 'node + DuckDB instance + SELECT 1', ['startup'])], {
    ...opts,
    warmup: 1,
  });
  const parts: Record<string, unknown> = {};
  const targets: Target[] = [];
  for (const x of [data.parquet, data.csv]) {
    if (x === undefined) continue;
    const r = await benchExtract(x, opts);
    parts[x.kind] = r.json;
    targets.push(...r.targets);
  }
  if (data.many !== undefined) {
    const r = await benchMany(data.many, opts);
    parts['many'] = r.json;
    targets.push(...r.targets);
  }
  if (opts.only.has('postgres') && !opts.baselinesOnly) {
    const r = await benchPostgres(opts);
    if (r) { parts['postgres'] = r.json; targets.push(...r.targets); }
  }
  const st = startup.stats.get('startup');
  process.stdout.write(pc.dim(`\nfixed cost of a process (node + DuckDB instance + SELECT 1): median ${fmtMs(st?.median_ms ?? Number.NaN)}, ${fmtMb(st?.peak_rss_mb ?? null)}\n`));
  const load = loadBefore[0] ?? 0;
  if (load > cpus().length * 0.5) {
    process.stdout.write(
      pc.yellow(`\nnote: the load average was ${load.toFixed(1)} on ${cpus().length} CPUs when the bench started: other work was running, the figures are noisy\n`),
    );
  }
  if (targets.length > 0) {
    process.stdout.write(`\n${pc.bold('targets')}\n${targetLines(targets)}\n`);
  }
  const allMet = targets.length > 0 && targets.every((t) => t.met === true);
  const results = {
    version: 1,
    generated_at: new Date().toISOString(),
    machine: {
      node: process.version,
      duckdb: duckdbVersion(),
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? null,
      total_mem_gb: round1(totalmem() / 2 ** 30),
      load_average_before: loadBefore,
      load_average_after: loadavg().map(round1),
      rss_source: opts.rssMode === 'time' ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS (preload)',
    },
    config: {
      parquet_rows: opts.parquetRows,
      csv_rows: opts.csvRows,
      runs: opts.runs,
      warmup: opts.warmup,
      many_datasets: opts.manyCount,
      many_rows: opts.manyRows,
      quick: opts.quick,
      baselines_only: opts.baselinesOnly,
    },
    startup: st ?? null,
    ...parts,
    targets,
    targets_met: targets.length > 0 ? allMet : null,
  };
  const out = path.join(DATA_DIR, 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(pc.dim(`\nwrote ${path.relative(process.cwd(), out) || out}\n`));
  cleanupScratch();
  if (opts.checkTargets && !allMet) process.exit(1);
}

main().catch((err: unknown) => {
  fail(err instanceof Error ? err.stack ?? err.message : String(err));
});
