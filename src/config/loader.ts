// Loads vigil.yaml and every check file: parse with positions, interpolate
// ${ENV}, validate with the zod schemas, resolve paths from each file's folder,
// and cross-check (duplicate datasets and check ids, SLO names). Collects
// every problem rather than stopping at the first.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { COMPRESSED, isDirectory, listYamlFiles } from './files.js';
import cron from 'node-cron';
import { z } from 'zod';
import { KINDS } from '../checks/registry.js';
import { closest, didYouMean, type Diagnostic } from './diagnostics.js';
import { parseDuration } from './duration.js';
import type { CheckDef, DatasetDef, Position, Project, ResolvedSource, SloObjective } from './model.js';
import {
  CHECK_KINDS, checkKindSchemas, type AnomalySpec, configSchema, datasetFileSchema, type CheckKindName, type Config, type DatasetFile, type SourceFormat, type Threshold,
} from './schema.js';
import { buildLineage } from '../lineage/graph.js';
import { loadAlerts } from '../alerts/load.js';
import { emptyAlerts } from '../alerts/schema.js';
import { zodIssuesToDiagnostics } from './zod-issues.js';
import { anomalyProblems, resolveAnomaly } from '../anomaly/config.js';
import { findScalar, locate, readYamlFile, type KeyPath, type YamlSource } from './yaml-source.js';

export interface LoadOptions {
  /** Path of vigil.yaml (--config); default: ./vigil.yaml if present. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadResult {
  project: Project;
  diagnostics: Diagnostic[];
  /** Check files that failed to load, so a caller can report or keep an older version. */
  invalidFiles: string[];
  /** Dataset names those files declare (where `dataset:` could be read): still a dataset of the project, not runnable now. */
  invalidDatasets: string[];
  /**
   * Datasets of invalid files, with the source and the checks that did parse: never run, but `vigil
   * validate` checks their columns and queries too, so one round shows every problem.
   */
  partialDatasets: DatasetDef[];
}

const datasetHeadSchema = datasetFileSchema.extend({ checks: z.array(z.unknown()).min(1, { error: 'checks must list at least one check' }) });

export function loadProject(options: LoadOptions = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const diagnostics: Diagnostic[] = [];

  const explicit = options.configPath !== undefined;
  const configFile = path.resolve(cwd, options.configPath ?? 'vigil.yaml');
  const root = path.dirname(configFile);
  let config: Config = configSchema.parse({});
  let configSrc: YamlSource | undefined;

  if (explicit || existsSync(configFile)) {
    configSrc = readYamlFile(configFile, env);
    diagnostics.push(...configSrc.diagnostics);
    if (configSrc.diagnostics.every((d) => d.envVar !== undefined)) {
      const raw = configSrc.value ?? {};
      const parsed = configSchema.safeParse(raw);
      if (parsed.success) config = parsed.data;
      else {
        diagnostics.push(...zodIssuesToDiagnostics(configSrc, configSchema, parsed.error.issues));
        config = salvageConfig(raw);
      }
      diagnostics.push(...checkConfigValues(configSrc, raw as Record<string, unknown>));
    }
  }

  const storePath = config.store.includes('://') ? config.store : path.resolve(root, config.store);
  const project: Project = { configFile, root, config, storePath, datasets: [], alerts: emptyAlerts() };

  const folders = Array.isArray(config.checks) ? config.checks : [config.checks];
  const files: string[] = [];
  folders.forEach((folder, i) => {
    const dir = path.resolve(root, folder);
    if (!isDirectory(dir)) {
      const pos = configSrc ? locate(configSrc, Array.isArray(config.checks) ? ['checks', i] : ['checks']) : { line: 1, col: 1 };
      diagnostics.push({
        file: configFile, ...pos, severity: 'error',
        message: `checks folder ${folder} not found (looked in ${dir}) — create it, or set checks: in vigil.yaml (vigil init scaffolds one)`,
      });
      return;
    }
    files.push(...listYamlFiles(dir));
  });

  const invalidFiles: string[] = [];
  const invalidDatasets: string[] = [];
  const partialDatasets: DatasetDef[] = [];
  const seen = new Map<string, DatasetDef>();
  const claimed = new Set<string>();
  for (const file of files) {
    const before = diagnostics.length;
    const ds = loadCheckFile(file, config, env, diagnostics, invalidDatasets, partialDatasets);
    if (ds) {
      const other = seen.get(ds.name);
      if (other) {
        diagnostics.push({
          ...ds.pos, severity: 'error', path: ['dataset'],
          message: `dataset ${ds.name} is already defined in ${path.relative(root, other.file)}:${other.pos.line} — dataset names must be unique`,
        });
        // Which of the two is the typo cannot be known here: neither file's dataset is taken, so
        // vigil serve keeps the last valid version of both rather than running one file's checks
        // under the other's name.
        if (!claimed.has(other.file)) {
          claimed.add(other.file);
          project.datasets = project.datasets.filter((d) => d !== other);
          invalidFiles.push(other.file);
          invalidDatasets.push(other.name);
          partialDatasets.push(other);
        }
        partialDatasets.push(ds);
      } else {
        seen.set(ds.name, ds);
        project.datasets.push(ds);
      }
    }
    if (diagnostics.slice(before).some((d) => d.severity === 'error')) invalidFiles.push(file);
  }

  // An upstream that is neither a dataset nor declared external (anywhere in the project) is a
  // warning: most often a typo. Declaring it `{ name, external: true }` once says it is meant.
  const declaredExternal = new Set(project.datasets.flatMap((d) => (d.externalUpstream ?? []).map((e) => e.name)));
  for (const ds of project.datasets) {
    const external = new Set((ds.externalUpstream ?? []).map((e) => e.name));
    ds.upstream.forEach((up, i) => {
      const at = { ...(ds.upstreamPos[i] ?? ds.pos), path: ['upstream', i] };
      if (seen.has(up) && external.has(up)) {
        diagnostics.push({ ...at, severity: 'warning', message: `upstream ${up} of ${ds.name} is declared external, but it is a dataset of this project — drop external: true` });
      } else if (!seen.has(up) && !declaredExternal.has(up)) {
        const hint = didYouMean(up, seen.keys());
        diagnostics.push({
          ...at, severity: 'warning',
          message: `upstream ${up} of ${ds.name} is not a dataset in this project${hint}${hint ? ' If' : ' — if'} it is a source outside this project, write { name: ${up}, external: true }`,
        });
      }
    });
  }
  // A cycle is an error on every dataset along it: lineage (and "at risk") would have no order.
  const byName = new Map(project.datasets.map((d) => [d.name, d]));
  for (const cycle of buildLineage(project.datasets).cycles()) {
    for (let i = 0; i < cycle.length - 1; i++) {
      const ds = byName.get(cycle[i] as string);
      if (!ds) continue;
      const k = ds.upstream.indexOf(cycle[i - 1 < 0 ? cycle.length - 2 : i - 1] as string);
      diagnostics.push({
        ...(ds.upstreamPos[k] ?? ds.pos), severity: 'error', path: ['upstream', Math.max(k, 0)],
        message: `lineage cycle: ${cycle.join(' → ')} — a dataset cannot be (indirectly) upstream of itself; remove one of these upstream: entries`,
      });
    }
  }
  const rawConfig = configSrc?.value;
  const alertsExplicit = configSrc && rawConfig && typeof rawConfig === 'object' && 'alerts' in rawConfig
    ? { file: configFile, pos: locate(configSrc, ['alerts']) } : null;
  project.alerts = loadAlerts(root, config, alertsExplicit, env, diagnostics).alerts;
  return { project, diagnostics, invalidFiles, invalidDatasets: [...new Set(invalidDatasets)], partialDatasets };
}

/**
 * The keys of a partly invalid vigil.yaml that are valid on their own, with
 * defaults for the rest: one typo must not silently send the checks folder
 * or the store elsewhere while its error is being reported.
 */
function salvageConfig(raw: unknown): Config {
  const shape = configSchema.shape as Record<string, z.ZodType>;
  const kept: Record<string, unknown> = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (Object.hasOwn(shape, key) && shape[key]?.safeParse(value).success) kept[key] = value;
    }
  }
  const parsed = configSchema.safeParse(kept);
  return parsed.success ? parsed.data : configSchema.parse({});
}

function validTimezone(tz: string): boolean {
  // The first Intl time-zone lookup loads ICU's zone data (~15 ms of a run's start-up); UTC needs none.
  if (tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validSchedule(expr: string): boolean {
  const fields = expr.trim().split(/\s+/).length;
  return (fields === 5 || fields === 6) && cron.validate(expr);
}

const SCHEDULE_HINT = 'use cron with 5 fields (minute hour day month weekday, e.g. "*/15 * * * *") or 6 with seconds first';
const TIMEZONE_HINT = 'use an IANA name such as UTC, Europe/Berlin or America/New_York';

function checkConfigValues(src: YamlSource, raw: Record<string, unknown>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const unset = new Set(src.diagnostics.filter((d) => d.envVar).map((d) => String(d.path?.[0])));
  if (typeof raw.timezone === 'string' && !unset.has('timezone') && !validTimezone(raw.timezone)) {
    out.push({ file: src.file, ...locate(src, ['timezone']), severity: 'error', message: `unknown timezone '${raw.timezone}': ${TIMEZONE_HINT}` });
  }
  if (typeof raw.store === 'string' && raw.store.includes('://') && !unset.has('store')) {
    const problem = storeUrlProblem(raw.store);
    if (problem) out.push({ file: src.file, ...locate(src, ['store']), severity: 'error', message: problem });
  }
  if (typeof raw.schedule === 'string' && !unset.has('schedule') && !validSchedule(raw.schedule)) {
    out.push({ file: src.file, ...locate(src, ['schedule']), severity: 'error', message: `bad schedule '${raw.schedule}': ${SCHEDULE_HINT}` });
  }
  return out;
}

/** What is wrong with a store URL (null: nothing): the store stage opens it, this says so before a run starts. */
function storeUrlProblem(url: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    return `store: ${scheme ?? 'this'}:// is not a store vigil can use — use a DuckDB file path such as .vigil/vigil.duckdb, or postgres://user:password@host:5432/database`;
  }
  let schema: string | null;
  try {
    schema = new URL(url).searchParams.get('schema');
  } catch {
    return 'store: not a valid URL — write it as postgres://user:password@host:5432/database?schema=vigil (percent-encode special characters in the password)';
  }
  if (schema !== null && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema)) return `store: schema "${schema}" is not a plain PostgreSQL name — use letters, digits and _ (e.g. ?schema=vigil)`;
  return null;
}

function formatFromPath(p: string): SourceFormat | undefined {
  const base = path.basename(p).toLowerCase().replace(COMPRESSED, '');
  const ext = path.extname(base).slice(1);
  const known: Record<string, SourceFormat> = { parquet: 'parquet', csv: 'csv', tsv: 'tsv', json: 'json', jsonl: 'jsonl', ndjson: 'ndjson' };
  return known[ext];
}

/**
 * The top-level keys of a check file that are valid on their own (checks: as written): with a typo
 * in one key, the source, filter and checks can still be checked against the data.
 */
function salvageHead(raw: Record<string, unknown>): Partial<DatasetFile> & { checks?: unknown } {
  const shape = datasetFileSchema.shape as Record<string, z.ZodType>;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'checks') kept[key] = value;
    else {
      // Own keys only: a key such as toString must not find Object.prototype's.
      const parsed = Object.hasOwn(shape, key) ? shape[key]?.safeParse(value) : undefined;
      if (parsed?.success) kept[key] = parsed.data;
    }
  }
  return kept as Partial<DatasetFile> & { checks?: unknown };
}

function loadCheckFile(
  file: string, config: Config, env: NodeJS.ProcessEnv, diagnostics: Diagnostic[], invalidNames: string[], partials: DatasetDef[],
): DatasetDef | undefined {
  const src = readYamlFile(file, env);
  diagnostics.push(...src.diagnostics);
  if (src.value === undefined) return undefined;
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    diagnostics.push({ file, line: 1, col: 1, severity: 'error', message: 'a check file must be a mapping with dataset:, source: and checks:' });
    return undefined;
  }
  const at = (p: KeyPath, key = false): Position => ({ file, ...locate(src, p, key) });
  const problems: Diagnostic[] = [];
  const err = (p: KeyPath, message: string, key = false) => problems.push({ ...at(p, key), severity: 'error', path: p, message });

  const head = datasetHeadSchema.safeParse(src.value);
  if (!head.success) {
    // Report head problems but keep validating the checks, so one run of validate shows everything.
    problems.push(...zodIssuesToDiagnostics(src, datasetFileSchema, head.error.issues.filter((i) => i.path[0] !== 'checks' || i.path.length === 1)));
  }
  const raw = src.value as Record<string, unknown>;
  const data = (head.success ? head.data : salvageHead(raw)) as Partial<DatasetFile> & { checks?: unknown };
  const name = typeof data.dataset === 'string' ? data.dataset : '(unnamed)';
  const dir = path.dirname(file);

  const timezone = typeof data.timezone === 'string' ? data.timezone : config.timezone;
  if (typeof data.timezone === 'string' && !validTimezone(data.timezone)) err(['timezone'], `unknown timezone '${data.timezone}': ${TIMEZONE_HINT}`);
  const schedule = typeof data.schedule === 'string' ? data.schedule : config.schedule;
  if (typeof data.schedule === 'string' && !validSchedule(data.schedule)) err(['schedule'], `bad schedule '${data.schedule}': ${SCHEDULE_HINT}`);

  // Source
  let source: ResolvedSource | undefined;
  if (data.source !== undefined) {
    const s = data.source;
    if (typeof s === 'string' || 'path' in s) {
      const p = typeof s === 'string' ? s : s.path;
      const format = (typeof s === 'string' ? undefined : s.format) ?? formatFromPath(p);
      if (!format) {
        err(['source'], `cannot tell the format of '${p}' from its extension — write source: { path: "${p}", format: csv } (parquet, csv, tsv, json, jsonl or ndjson)`);
      } else {
        source = {
          type: 'file', path: path.resolve(dir, p), format,
          options: typeof s === 'string' ? {} : (s.options ?? {}), display: p,
        };
      }
    } else if (!('connection' in s)) {
      source = { type: 'sql', sql: s.sql, display: 'sql source' };
    } else {
      if (!(s.connection in config.connections)) {
        const names = Object.keys(config.connections);
        err(['source', 'connection'], `unknown connection '${s.connection}'${didYouMean(s.connection, names) || (names.length ? ` — vigil.yaml defines: ${names.join(', ')}` : ' — define it under connections: in vigil.yaml')}`);
      }
      source = 'table' in s
        ? { type: 'connection', connection: s.connection, table: s.table, display: `${s.connection}:${s.table}` }
        : { type: 'connection', connection: s.connection, sql: s.sql, display: `${s.connection}: sql source` };
    }
  }

  // Checks
  const checks: CheckDef[] = [];
  const ids = new Map<string, Position>();
  const declaredNames = new Set<string>();
  const entries = Array.isArray(data.checks) ? data.checks : [];
  entries.forEach((entry, i) => {
    const entryPath: KeyPath = ['checks', i];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      err(entryPath, `each check is a mapping with one kind key (${CHECK_KINDS.join(', ')}), e.g. - row_count: { fail: { min: 1 } }`);
      return;
    }
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      err(entryPath, `a check entry needs exactly one kind key, found ${keys.length ? keys.join(', ') : 'none'} — start a new list item (-) for each check`);
      return;
    }
    const kindKey = keys[0] as string;
    if (!(CHECK_KINDS as string[]).includes(kindKey)) {
      err([...entryPath, kindKey], `unknown check kind '${kindKey}'${didYouMean(kindKey, CHECK_KINDS) || ` — kinds are ${CHECK_KINDS.join(', ')}`}`, true);
      return;
    }
    const kind = KINDS[kindKey as CheckKindName];
    const optionsPath: KeyPath = [...entryPath, kindKey];
    const rawOptions = (entry as Record<string, unknown>)[kindKey] ?? {};
    // Names a broken entry would have, so an SLO naming it is not a second error.
    try {
      const rawName = (rawOptions as { name?: unknown }).name;
      if (typeof rawName === 'string') declaredNames.add(rawName);
      else for (const e of kind.expand(rawOptions as Record<string, unknown>)) declaredNames.add(e.name);
    } catch { /* options too broken to name */ }
    const kindSchema = checkKindSchemas[kindKey as CheckKindName];
    const parsed = kindSchema.safeParse(rawOptions);
    if (!parsed.success) {
      problems.push(...zodIssuesToDiagnostics(src, kindSchema, parsed.error.issues, optionsPath));
      return;
    }
    const options = parsed.data as Record<string, unknown> & {
      name?: string; where?: string; runbook?: string; owner?: string; tags?: string[]; description?: string; warn?: Threshold; fail?: Threshold; anomaly?: AnomalySpec;
    };
    const before = problems.length;
    for (const p of kind.validate?.(options) ?? []) err([...optionsPath, ...p.path], p.message, p.path.length > 0);
    for (const p of anomalyProblems(kind.kind, options)) {
      if (p.warning) diagnostics.push({ ...at([...optionsPath, ...p.path], true), severity: 'warning', path: [...optionsPath, ...p.path], message: p.message });
      else err([...optionsPath, ...p.path], p.message, true);
    }
    if (kind.kind !== 'schema' && kind.kind !== 'freshness' && options.warn === undefined && options.fail === undefined && options.anomaly === undefined) {
      err(optionsPath, `${kindKey} needs a threshold: warn, fail or both (e.g. fail: 0), or anomaly: {} to learn what is normal`, true);
    }
    if (kind.kind === 'freshness' && options.column === undefined && source?.type === 'connection') {
      err(optionsPath, `freshness without column reads file modification times, and ${source.display} is on a connection — name a timestamp or date column, e.g. column: updated_at`, true);
    }
    if (problems.length > before) return;
    const pos = at(optionsPath, true);
    for (const exp of kind.expand(options)) {
      const checkName = options.name ?? exp.name;
      const id = `${name}.${checkName}`;
      const dup = ids.get(id);
      if (dup) {
        // name: cannot go on an entry of columns: [...] (one check per column): say what can be done there.
        const hint = Array.isArray(options.columns)
          ? `take it out of this columns: list, or give the check at line ${dup.line} a distinct name:`
          : `give this one a distinct name, e.g. name: ${checkName}_2 (or merge the two: one check takes both warn and fail)`;
        err(optionsPath, `duplicate check id ${id} (also at line ${dup.line}) — ${hint}`, true);
        continue;
      }
      ids.set(id, pos);
      const def: CheckDef = {
        id, name: checkName, kind: kind.kind, dataset: name, options, pos, columnPos: {},
        optionPos: Object.fromEntries(['where', 'query'].filter((k) => k in options).map((k) => [k, at([...optionsPath, k])])),
        tags: [...new Set([...(data.tags ?? []), ...(options.tags ?? [])])],
      };
      if (exp.column !== undefined) def.column = exp.column;
      if (options.where !== undefined) def.where = options.where;
      const runbook = options.runbook ?? data.runbook;
      if (runbook !== undefined) def.runbook = runbook;
      const owner = options.owner ?? data.owner;
      if (owner !== undefined) def.owner = owner;
      if (options.description !== undefined) def.description = options.description;
      if (options.warn !== undefined) def.warn = options.warn;
      if (options.fail !== undefined) def.fail = options.fail;
      if (options.anomaly !== undefined) def.anomaly = resolveAnomaly(options.anomaly as AnomalySpec);
      for (const c of kind.columns(def)) {
        const p = findScalar(src, optionsPath, c);
        if (p) def.columnPos[c] = { file, ...p };
      }
      const ts = def.anomaly?.timestampColumn;
      if (ts !== undefined && def.columnPos[ts] === undefined) def.columnPos[ts] = at([...optionsPath, 'anomaly', 'timestamp_column']);
      checks.push(def);
    }
  });

  // SLOs name checks of this file.
  let slo: DatasetDef['slo'];
  const rawSlo = raw.slo as { window?: unknown; objectives?: unknown } | undefined;
  if (rawSlo && typeof rawSlo === 'object' && Array.isArray(rawSlo.objectives)) {
    const names = [...declaredNames];
    const objectives: SloObjective[] = [];
    (rawSlo.objectives as Array<{ check?: unknown; target?: unknown; alert?: unknown }>).forEach((o, i) => {
      if (o === null || typeof o !== 'object') return;
      if (typeof o.check === 'string' && !names.includes(o.check)) {
        const hint = closest(o.check, names);
        err(['slo', 'objectives', i, 'check'], `SLO names check '${o.check}', which is not in this file${hint ? ` — did you mean '${hint}'?` : ` — checks are: ${names.join(', ')}`}`);
      }
      const target = typeof o.target === 'number' ? o.target : typeof o.target === 'string' ? Number(o.target.replace('%', '')) : Number.NaN;
      if (typeof o.target === 'number' || (typeof o.target === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(o.target))) {
        if (!(target > 0 && target <= 100)) err(['slo', 'objectives', i, 'target'], `target ${String(o.target)} must be above 0% and at most 100%`);
      }
      if (typeof o.check === 'string') objectives.push({ check: o.check, target, ...(o.alert === 'burn_rate' ? { alert: 'burn_rate' as const } : {}) });
    });
    const windowSeconds = typeof rawSlo.window === 'string' ? parseDuration(rawSlo.window) : undefined;
    slo = { windowSeconds: windowSeconds ?? 28 * 86400, objectives };
  }

  diagnostics.push(...problems);
  if (!head.success || !source || problems.some((p) => p.severity === 'error')) {
    if (typeof data.dataset === 'string') invalidNames.push(data.dataset);
    // What did parse is still checked against the data by validate (a source on a connection
    // vigil.yaml does not define cannot be reached: that is its error already).
    const reachable = source && (source.type !== 'connection' || source.connection in config.connections);
    if (source && reachable && checks.length > 0) {
      partials.push(datasetDef({ ...data, dataset: name }, file, source, checks, config, at,
        validTimezone(timezone) ? timezone : config.timezone, schedule, slo));
    }
    return undefined;
  }
  return datasetDef(head.data, file, source, checks, config, at, timezone, schedule, slo);
}

function datasetDef(
  d: Partial<DatasetFile> & { dataset: string }, file: string, source: ResolvedSource, checks: CheckDef[], config: Config,
  at: (p: KeyPath, key?: boolean) => Position, timezone: string, schedule: string, slo: DatasetDef['slo'],
): DatasetDef {
  const ds: DatasetDef = {
    name: d.dataset, file, source, tags: d.tags ?? [], schedule, timezone,
    timeoutSeconds: parseDuration(d.timeout ?? config.timeout) ?? 300,
    upstream: (d.upstream ?? []).map((u) => (typeof u === 'string' ? u : u.name)), checks, pos: at(['dataset']),
    upstreamPos: (d.upstream ?? []).map((_, i) => at(['upstream', i])),
  };
  const external = (d.upstream ?? []).flatMap((u) => (typeof u === 'object' && u.external ? [{
    name: u.name, ...(u.description !== undefined ? { description: u.description } : {}), ...(u.owner !== undefined ? { owner: u.owner } : {}),
  }] : []));
  if (external.length) ds.externalUpstream = external;
  if (d.description !== undefined) ds.description = d.description;
  if (d.owner !== undefined) ds.owner = d.owner;
  if (d.runbook !== undefined) ds.runbook = d.runbook;
  if (d.filter !== undefined) {
    ds.filter = d.filter;
    ds.filterPos = at(['filter']);
  }
  if (slo) ds.slo = slo;
  return ds;
}

// Lives with the diagnostics (no zod, no yaml): vigil run decides with it on a cached project too.
export { blockingDiagnostics } from './diagnostics.js';
