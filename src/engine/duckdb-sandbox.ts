// What a dataset's DuckDB may touch: only the folders its source reads. Check SQL runs in a
// database of its own whose configuration is locked with external access off and those folders
// allowed, so a sql check cannot read /etc/passwd, write files with COPY, ATTACH the results store
// or install an extension — it gets DuckDB's permission error instead (docs/security.md).

import { statSync } from 'node:fs';
import path from 'node:path';
import type { DatasetDef } from '../config/model.js';
import { duckdbDialect } from '../sql/duckdb.js';

const GLOB_CHARS = /[*?[{]/;

/** A file path written in SQL: not empty, not a URL. */
const isPath = (s: string) => s !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s);

const LITERAL = /'((?:[^']|'')*)'/g;
/** String literals where DuckDB reads a file: the first argument (or list) of read_*, parquet_*, glob, sniff_csv, and FROM/JOIN 'file'. */
const FILE_ARGS = /(\b(?:read_[a-z_]+|parquet_[a-z_]+|glob|sniff_csv)\s*\(\s*)(\[[^\]]*\]|'(?:[^']|'')*')|(\b(?:FROM|JOIN)\s+)('(?:[^']|'')*')/gi;

/** The file path literals of a statement (unquoted), in the places DuckDB reads files from. */
export function filePathsIn(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(FILE_ARGS)) {
    for (const lit of (m[2] ?? m[4] ?? '').matchAll(LITERAL)) {
      const value = (lit[1] ?? '').replaceAll("''", "'");
      if (isPath(value)) out.push(value);
    }
  }
  return out;
}

/**
 * Relative file paths in those places made absolute from `base` (the check file's folder, where
 * SPEC resolves every relative path): DuckDB's allowed folders are compared with the path as
 * written, before file_search_path would resolve it.
 */
export function absolutePaths(sql: string, base: string): string {
  return sql.replace(FILE_ARGS, (whole, call: string | undefined, arg: string | undefined, from: string | undefined, lit: string | undefined) => {
    const head = call ?? from ?? '';
    const body = (arg ?? lit ?? '').replace(LITERAL, (q, raw: string) => {
      const value = raw.replaceAll("''", "'");
      return isPath(value) && !path.isAbsolute(value) ? duckdbDialect.quoteLiteral(path.resolve(base, value)) : q;
    });
    return whole.startsWith(head) ? head + body : whole;
  });
}

/** The folder a path or glob reads: a glob's fixed part, a folder itself, else the file's folder. */
function folderOf(p: string): string {
  const glob = p.search(GLOB_CHARS);
  if (glob >= 0) {
    const fixed = p.slice(0, glob);
    return fixed.endsWith('/') ? fixed.slice(0, -1) || '/' : path.dirname(fixed);
  }
  try {
    if (statSync(p).isDirectory()) return p;
  } catch { /* not there (yet): its folder */ }
  return path.dirname(p);
}

export interface Sandbox {
  /** Folders (with a trailing slash) everything under which may be read. */
  directories: string[];
  /** Single files that may be read (in a folder that also holds something to protect). */
  paths: string[];
  /** A source folder held something to protect, so it was not allowed whole. */
  partial: boolean;
}

/**
 * The folders a dataset's source reads; a folder that holds one of `protect` (the results store)
 * is not allowed whole — only the source's own files in it (`files`: a glob's snapshot).
 */
export function sandboxFor(ds: DatasetDef, protect: readonly string[], files?: readonly string[]): Sandbox {
  const src = ds.source;
  const base = path.dirname(ds.file);
  const named = src.type === 'file' ? [src.path] : src.type === 'sql' ? filePathsIn(absolutePaths(src.sql, base)) : [];
  const directories = new Set<string>();
  const paths = new Set<string>();
  let partial = false;
  for (const p of named) {
    const dir = folderOf(p);
    const inside = (f: string) => f === dir || f.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
    if (protect.some(inside)) {
      partial = true;
      if (src.type === 'file' && files) for (const f of files) paths.add(f);
      else if (!GLOB_CHARS.test(p)) paths.add(p);
      continue;
    }
    directories.add(dir.endsWith('/') ? dir : `${dir}/`);
  }
  return { directories: [...directories].sort(), paths: [...paths].sort(), partial };
}

/** The statements that lock a fresh database down to the sandbox (the last one forbids changing any of it). */
export function sandboxStatements(sb: Sandbox, searchPath: string): string[] {
  const list = (xs: string[]) => `[${xs.map((x) => duckdbDialect.quoteLiteral(x)).join(', ')}]`;
  return [
    `SET allowed_directories = ${list(sb.directories)}`,
    `SET allowed_paths = ${list(sb.paths)}`,
    `SET file_search_path = ${duckdbDialect.quoteLiteral(searchPath)}`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

/** DuckDB's permission error, said in vigil's terms. */
export function sandboxMessage(message: string, sb: Sandbox): string | null {
  if (!/file system operations are disabled by configuration|disabled by configuration/i.test(message)) return null;
  const allowed = [...sb.directories, ...sb.paths];
  return `${message} — check SQL may only read the dataset's own files (${allowed.length ? allowed.join(', ') : 'none'}); `
    + 'it cannot read other files, write files (COPY), ATTACH databases or load extensions. Read other data through its own dataset';
}
