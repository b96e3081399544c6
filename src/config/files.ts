// The YAML files of a folder, as check and alert folders are read (sub-folders
// included, dot-files skipped, in a stable name order), and small file-system facts
// the loader, the project cache and a run share.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listYamlFiles(full));
    else if (/\.ya?ml$/i.test(entry.name)) out.push(full);
  }
  return out;
}

/** Whether `p` is a folder (false when it does not exist or cannot be read). */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The largest vigil.yaml, check file or alert file vigil reads (a check file describes one dataset). */
export const MAX_YAML_BYTES = 1024 * 1024;

/** The suffix of a compressed extract (orders.csv.gz): DuckDB reads it, its size on disk is not its parsed size. */
export const COMPRESSED = /\.(gz|zst)$/i;
