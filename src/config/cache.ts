// vigil run's project, kept from the last run while no file it came from has changed.
//
// Loading the project means importing zod and yaml and parsing every file: ~60 ms of a
// `vigil run` that otherwise waits on DuckDB. When the last load read the very same bytes —
// vigil.yaml, every file of the check and alert folders, the folders' listings — with the
// same build of vigil, its result is read back from <root>/.vigil/project-cache.json
// instead, and neither library is loaded. Not kept: a project with errors (they are
// reported afresh every time), one that uses ${ENV} (the environment is an input too),
// one whose files hold a secret literally (a channel URL, the dashboard token, a connection
// URL: it would be copied), and nothing once a silence it holds has ended (the loader's
// warnings depend on the time).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { channelSecrets } from '../alerts/redact.js';
import { MAX_YAML_BYTES, isDirectory, listYamlFiles } from './files.js';
import type { LoadOptions, LoadResult } from './loader.js';

/** Set by the bundler (scripts/bundle.ts) to a new value on every build; undefined elsewhere. */
declare const __VIGIL_BUILD__: string | undefined;

const FORMAT = 1;

interface Entry {
  format: number;
  build: string;
  /** Digest of every input's bytes (see digest()). */
  key: string;
  /** The folders the load listed, resolved. */
  folders: string[];
  /** When a silence of the alert files ends (ms since the epoch); the entry is stale from then on. */
  expiresAt: number | null;
  result: LoadResult;
}

export interface CacheOptions {
  /** Identity of the running code; default: the bundle's build id (none: no cache). */
  build?: string | null;
  now?: () => number;
}

export function projectCacheFile(configFile: string): string {
  return path.join(path.dirname(configFile), '.vigil', 'project-cache.json');
}

function configFileOf(options: LoadOptions): string {
  return path.resolve(options.cwd ?? process.cwd(), options.configPath ?? 'vigil.yaml');
}

interface Digest {
  key: string;
  /** Newest modification time among the inputs (ms). */
  newest: number;
}

/** A digest of the config file and of every YAML file (names and bytes) under the folders; null when one cannot be read. */
function digest(build: string, configFile: string, folders: string[]): Digest | null {
  try {
    return digestFiles(build, configFile, folders);
  } catch {
    return null; // a dangling link, a file gone meanwhile: no cache, the loader says what is wrong
  }
}

function digestFiles(build: string, configFile: string, folders: string[]): Digest {
  const h = createHash('sha256');
  let newest = 0;
  const add = (label: string, bytes: Buffer | null) => {
    h.update(`\0${label}\0${bytes === null ? 'missing' : bytes.length}\0`);
    if (bytes !== null) {
      h.update(bytes);
      newest = Math.max(newest, statSync(label).mtimeMs);
    }
  };
  // Node's own version too: its ICU decides which time zones validate.
  h.update(`${FORMAT}\0${build}\0${process.version}`);
  add(configFile, existsSync(configFile) ? readInput(configFile) : null);
  for (const dir of folders) {
    if (!isDirectory(dir)) {
      add(dir, null);
      continue;
    }
    h.update(`\0dir\0${dir}`);
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const file of listYamlFiles(dir)) add(file, readInput(file));
  }
  return { key: h.digest('hex'), newest };
}

/** An input's bytes; a file the loader would refuse (not a plain file, too big) throws: no cache, the loader says why. */
function readInput(file: string): Buffer {
  const st = statSync(file);
  if (!st.isFile() || st.size > MAX_YAML_BYTES) throw new Error(`${file}: not read for the cache`);
  return readFileSync(file);
}

/** Files this recent may have been saved while they were being loaded (and mtimes can be coarse). */
const SETTLE_MS = 2000;

function read(file: string): Entry | null {
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
    return entry.format === FORMAT ? entry : null;
  } catch {
    return null;
  }
}

/** The folders a load read: the check folders and the alert folders of its config, resolved from its root. */
function foldersOf(result: LoadResult): string[] {
  const { config, root } = result.project;
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  return [...list(config.checks), ...list(config.alerts)].map((f) => path.resolve(root, f));
}

/** When the first silence that is still running ends; null when none is. */
function expiry(result: LoadResult, now: number): number | null {
  const ends = result.project.alerts.silences.map((s) => Date.parse(s.until)).filter((t) => Number.isFinite(t) && t > now);
  return ends.length ? Math.min(...ends) : null;
}

/** A secret written literally in the files (a channel URL, the dashboard token, a connection URL) is not copied. */
function holdsSecrets(result: LoadResult): boolean {
  const { alerts, config } = result.project;
  return channelSecrets(alerts.channels).length > 0 || config.dashboard.token !== undefined || Object.keys(config.connections).length > 0;
}

function write(file: string, entry: Entry): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // A read-only project folder just means no cache.
  }
}

/**
 * loadProject(options), or the result of the last load when none of its inputs changed.
 * Only for the process's own environment (options.env unset).
 */
export async function loadProjectCached(options: LoadOptions = {}, cache: CacheOptions = {}): Promise<LoadResult & { cached: boolean }> {
  const build = cache.build !== undefined ? cache.build : typeof __VIGIL_BUILD__ === 'string' ? __VIGIL_BUILD__ : null;
  const now = (cache.now ?? Date.now)();
  const configFile = configFileOf(options);
  const file = projectCacheFile(configFile);
  const usable = build !== null && options.env === undefined;
  if (usable) {
    const entry = read(file);
    if (entry && entry.build === build && (entry.expiresAt === null || now < entry.expiresAt)
      && digest(build, configFile, entry.folders)?.key === entry.key) {
      return { ...entry.result, cached: true };
    }
  }
  const [{ loadProject }, { interpolationCount }] = await Promise.all([import('./loader.js'), import('./yaml-source.js')]);
  const before = interpolationCount();
  const loadStarted = Date.now();
  const result = loadProject(options);
  const readEnv = interpolationCount() > before;
  if (usable && !readEnv && result.diagnostics.every((d) => d.severity !== 'error') && !holdsSecrets(result)) {
    const folders = foldersOf(result);
    // The bytes are read again after the load: a file saved while loading would leave the old
    // project under the new bytes, so nothing is kept while an input is that fresh.
    const d = digest(build, configFile, folders);
    if (d !== null && d.newest < loadStarted - SETTLE_MS) {
      write(file, { format: FORMAT, build, key: d.key, folders, expiresAt: expiry(result, now), result });
    }
  }
  return { ...result, cached: false };
}
