// Problems found in vigil.yaml, check files and alert files. Every problem is
// collected (never thrown one at a time) and printed as file:line:col: message.

import type { DatasetDef, Project } from './model.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: Severity;
  /** Key path inside the file, used to decide which commands need the value. */
  path?: ReadonlyArray<string | number>;
  /** Set for unset ${VAR} references: whether a command needs it depends on `path`. */
  envVar?: string;
}

export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const file = relativeFile(d.file, cwd);
  const tag = d.severity === 'warning' ? 'warning: ' : '';
  return `${file}:${d.line}:${d.col}: ${tag}${d.message}`;
}

function relativeFile(file: string, cwd: string): string {
  if (file.startsWith(cwd + '/')) return file.slice(cwd.length + 1);
  return file;
}

/** A problem as the API and `status --json` show it. */
export function problemJson(d: Diagnostic): { file: string; line: number; col: number; severity: Severity; message: string } {
  return { file: d.file, line: d.line, col: d.col, severity: d.severity, message: d.message };
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** Levenshtein distance, for "did you mean …" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate within a sensible distance, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hit = closest(word, candidates);
  return hit ? ` — did you mean '${hit}'?` : '';
}

/**
 * Diagnostics that stop a command: every error for validate; for run, unset variables it does not need are let through.
 * Alert files (and the dashboard link alerts carry) matter to run only when it sends alerts (not with --no-alerts).
 */
export function blockingDiagnostics(list: Diagnostic[], command: 'validate' | 'run' | 'serve', project: Project, opts: { alerts?: boolean } = {}): Diagnostic[] {
  const alerts = opts.alerts ?? true;
  const alertFiles = new Set(project.alerts.files);
  return list.filter((d) => {
    if (d.severity !== 'error') return false;
    if (command === 'validate') return true;
    if (alertFiles.has(d.file)) return command !== 'run' || alerts;
    if (d.envVar === undefined) return true;
    if (d.file !== project.configFile) return true;
    const top = d.path?.[0];
    // The dashboard (its token above all) is serve's business, never run's — except the link alerts carry.
    if (top === 'dashboard') return command === 'serve' || (alerts && d.path?.[1] === 'public_url');
    if (top === 'connections') {
      const conn = String(d.path?.[1]);
      return project.datasets.some((ds) => ds.source.type === 'connection' && ds.source.connection === conn);
    }
    return true;
  });
}

/** What a command's blocking problems stop: everything, or only the datasets of the files they are in. */
export interface BlockedBy {
  /** Problems in vigil.yaml or in alert files: they concern every dataset, so nothing can run. */
  global: Diagnostic[];
  /** Problems in check files: each stops only its own file's datasets. */
  inCheckFiles: Diagnostic[];
  /** The datasets no blocking problem touches. */
  runnable: DatasetDef[];
  /** Names of the datasets that cannot run now (those of invalid files, where their dataset: could be read). */
  notRunnable: string[];
}

/**
 * Splits blocking problems (blockingDiagnostics) by what they stop: an invalid check file stops its
 * own datasets and nothing else (issue 17), vigil.yaml and alert files stop everything.
 */
export function blockedBy(blocking: Diagnostic[], project: Project, invalidDatasets: readonly string[]): BlockedBy {
  const alertFiles = new Set(project.alerts.files);
  const global = blocking.filter((d) => d.file === project.configFile || alertFiles.has(d.file));
  const inCheckFiles = blocking.filter((d) => !global.includes(d));
  const files = new Set(inCheckFiles.map((d) => d.file));
  const runnable = project.datasets.filter((d) => !files.has(d.file));
  const stopped = project.datasets.filter((d) => files.has(d.file)).map((d) => d.name);
  return { global, inCheckFiles, runnable, notRunnable: [...new Set([...invalidDatasets, ...stopped])] };
}
