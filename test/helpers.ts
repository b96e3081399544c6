// Shared test fixtures: temp projects on disk, data files written by a real
// DuckDB, the run path called in-process, and the real CLI spawned.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadProject } from '../src/config/loader.js';
import type { Strategy } from '../src/engine/compile.js';
import { runChecks, type RunReport } from '../src/run/run.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { silentLogger } from '../src/util/log.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VIGIL = path.join(REPO, 'bin', 'vigil');

const made: string[] = [];

/** A fresh temp folder with the given files (paths relative to it). Removed by cleanupProjects(). */
export function makeProject(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-test-'));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) writeFile(dir, rel, content);
  return dir;
}

export function writeFile(dir: string, rel: string, content: string): string {
  const full = path.join(dir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}

export function cleanupProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Writes the result of `selectSql` to `file` with a real DuckDB, as Parquet,
 * CSV or JSON by the file's extension. E.g.
 * writeData(dir, 'data/o.parquet', "select range as id from range(10)")
 */
export async function writeData(dir: string, rel: string, selectSql: string): Promise<string> {
  const full = path.join(dir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  const ext = path.extname(full).slice(1);
  const format = ext === 'parquet' ? '(FORMAT parquet)' : ext === 'csv' ? '(FORMAT csv, HEADER true)'
    : ext === 'tsv' ? "(FORMAT csv, HEADER true, DELIMITER '\t')" : '(FORMAT json)';
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    await conn.run(`COPY (${selectSql}) TO '${full.replaceAll("'", "''")}' ${format}`);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return full;
}

/** Reads a store file with a plain DuckDB (read-only unless `write`). BIGINTs come back as numbers. */
export async function queryDb(file: string, sql: string, opts: { write?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(file, opts.write ? {} : { access_mode: 'READ_ONLY' });
  const conn = await inst.connect();
  try {
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** One result of `vigil run --json`, as SPEC §4 promises it (declared here, not imported: tests check the contract). */
export interface SpecResult {
  check: string;
  dataset: string;
  kind: string;
  status: string;
  value: number | null;
  unit: string;
  message: string;
  runbook: string | null;
  details: Record<string, unknown>;
}

/** The whole `vigil run --json` document of SPEC §4. */
export interface SpecRun<R = SpecResult> {
  run_id: string;
  started_at: string;
  finished_at: string;
  summary: { pass: number; warn: number; fail: number; error: number };
  results: R[];
}

export interface InProcessRun {
  report: RunReport;
  /** Latest result per check id. */
  byId: Map<string, RunReport['results'][number]>;
}

/** Loads the project in `dir` (vigil.yaml optional) and runs it in-process, like `vigil run`. */
export async function runProject(dir: string, opts: { now?: Date; selectors?: string[]; strategy?: Strategy; env?: NodeJS.ProcessEnv; recordPast?: boolean } = {}): Promise<InProcessRun> {
  const { project, diagnostics } = loadProject({ cwd: dir, ...(opts.env ? { env: opts.env } : {}) });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`project invalid:\n${errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n')}`);
  const store = await DuckDBStore.open(project.storePath);
  try {
    const datasets = opts.selectors ? project.datasets.filter((d) => opts.selectors?.includes(d.name)) : project.datasets;
    const report = await runChecks({
      project, datasets, store, log: silentLogger,
      ...(opts.now ? { now: opts.now } : {}), ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(opts.recordPast ? { recordPast: true } : {}),
    });
    return { report, byId: new Map(report.results.map((r) => [r.check, r])) };
  } finally {
    await store.close();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the real bin/vigil (needs `npm run build`, which `npm test` does first). */
export function vigil(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`vigil ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}
