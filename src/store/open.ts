// Opens the results store named by vigil.yaml's `store:` — the one place that
// turns a location into a Store, so every command and the daemon agree on it.

import { parseDuration } from '../config/duration.js';
import type { Project } from '../config/model.js';
import { VigilError } from '../util/errors.js';
import { DuckDBStore } from './duckdb-store.js';
import { PostgresStore } from './postgres-store.js';
import { redactUrl } from './postgres/url.js';
import type { StoreOptions } from './parts-store.js';
import type { Store } from './store.js';

/** `location` is an absolute DuckDB file path, or a URL (postgres://…, postgresql://…). */
export async function openStore(location: string, opts: StoreOptions = {}): Promise<Store> {
  const scheme = storeScheme(location);
  if (scheme === 'file') return DuckDBStore.open(location, opts);
  if (scheme === 'postgres') return PostgresStore.open(location, opts);
  throw new VigilError('CONFIG_INVALID', `store: ${redactUrl(location)} is not a store this version can open — use a DuckDB file path or postgres://user:password@host/database`);
}

/** Which kind of store a location names: a DuckDB file, PostgreSQL, or something else (null). */
export function storeScheme(location: string): 'file' | 'postgres' | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'file';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  return null;
}

/** The location as shown in messages and logs (a URL's password replaced by ***). */
export const storeLabel = (location: string): string => (storeScheme(location) === 'file' ? location : redactUrl(location));

/** Whether the store may hold something: a DuckDB file that exists, or any URL (the server says). */
export const storeMayExist = (location: string, exists: (file: string) => boolean): boolean => storeScheme(location) !== 'file' || exists(location);

/** The project's store, opened with its replicas.lease: what every command and the daemon use. */
export function openProjectStore(project: Pick<Project, 'storePath' | 'config'>): Promise<Store> {
  return openStore(project.storePath, { leaseMs: (parseDuration(project.config.replicas.lease) ?? 60) * 1000 });
}
