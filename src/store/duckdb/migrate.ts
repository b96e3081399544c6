// Brings a DuckDB store file to this vigil's schema: each migration it has not
// applied, in order, one transaction each; a store newer than this vigil is
// refused rather than corrupted.

import { blobValue, type DuckDBValue } from '@duckdb/node-api';
import { VigilError } from '../../util/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type MigrationDb } from '../migrations.js';
import type { DuckDBSession } from './session.js';

export async function migrate(db: DuckDBSession): Promise<void> {
  if (await upToDate(db)) return;
  await db.run('CREATE TABLE IF NOT EXISTS vigil_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
  const rows = await db.rows(`SELECT value FROM vigil_meta WHERE key = 'schema_version'`);
  const current = rows[0] ? Number(rows[0].value) : 0;
  if (current > SCHEMA_VERSION) {
    throw new VigilError('STORE_FAILED', `the store ${db.file} has schema version ${current}, newer than this vigil knows (${SCHEMA_VERSION}) — upgrade vigil`);
  }
  // Each applied migration is recorded, so a lower-numbered one merged in later (versions are
  // reserved per branch) still runs. Stores from before this table applied every version up to theirs.
  const hadTable = (await db.rows(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'vigil_migrations'`)).length > 0;
  await db.run('CREATE TABLE IF NOT EXISTS vigil_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)');
  if (!hadTable) {
    for (const m of MIGRATIONS.filter((x) => x.version <= current)) await db.run(`INSERT INTO vigil_migrations VALUES (?, now())`, [m.version]);
  }
  const applied = new Set((await db.rows('SELECT version FROM vigil_migrations')).map((r) => Number(r.version)));
  const step: MigrationDb = {
    rows: (sql, values) => db.rows(sql, values as DuckDBValue[] | undefined),
    run: (sql, values) => db.run(sql, values as DuckDBValue[] | undefined),
    stream: async (sql, values, onRows) => {
      const result = await db.conn.stream(sql, values as DuckDBValue[]);
      for await (const rows of result.yieldRowObjectJs()) onRows(rows as Record<string, unknown>[]);
    },
    blob: (bytes) => blobValue(bytes),
  };
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await db.transaction(async () => {
      for (const stmt of m.sql) await db.run(stmt);
      await m.run?.(step);
      await db.run(`INSERT INTO vigil_migrations VALUES (?, now())`, [m.version]);
      // The highest version the store now has (a later one may have been applied before this one was merged in).
      await db.run(`INSERT OR REPLACE INTO vigil_meta VALUES ('schema_version', ?)`, [String(Math.max(current, m.version, ...applied))]);
    });
  }
}

/** The common case, in one statement instead of five: a store this vigil already migrated. */
async function upToDate(db: DuckDBSession): Promise<boolean> {
  try {
    const [row] = await db.rows(`SELECT (SELECT value FROM vigil_meta WHERE key = 'schema_version') AS version,
      (SELECT list(version) FROM vigil_migrations) AS applied`);
    const applied = new Set(((row?.applied as unknown[] | null) ?? []).map(Number));
    return Number(row?.version) === SCHEMA_VERSION && MIGRATIONS.every((m) => applied.has(m.version));
  } catch {
    return false; // a new or an old store: the full path below says which
  }
}
