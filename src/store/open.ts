// Opens the results store named by vigil.yaml's `store:` — the one place that
// turns a location into a Store, so every command and the daemon agree on it.

import { VigilError } from '../util/errors.js';
import { DuckDBStore } from './duckdb-store.js';
import type { Store } from './store.js';

/** `location` is an absolute DuckDB file path, or a URL (scheme://…). */
export async function openStore(location: string): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return DuckDBStore.open(location);
  throw new VigilError('CONFIG_INVALID', `store: ${scheme}:// is not a store this version can open — use a DuckDB file path`);
}
