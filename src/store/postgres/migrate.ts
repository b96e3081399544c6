// Brings a PostgreSQL store's schema to this vigil's: the migrations it has
// not applied, in order, in one transaction under an advisory lock, so
// replicas starting together migrate once; a newer store is refused.

import { VigilError } from '../../util/errors.js';
import { SCHEMA_VERSION } from '../migrations.js';
import { PG_MIGRATIONS } from './migrations.js';
import type { PgSession } from './session.js';

/** pg_advisory_xact_lock key of migrations (any constant; "vigil" in ASCII). */
const MIGRATE_LOCK = 0x76_69_67_69_6c;

export async function migrate(db: PgSession): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATE_LOCK]);
    await tx.run('CREATE TABLE IF NOT EXISTS vigil_meta (key text PRIMARY KEY, value text NOT NULL)');
    await tx.run('CREATE TABLE IF NOT EXISTS vigil_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
    const [meta] = await tx.rows(`SELECT value FROM vigil_meta WHERE key = 'schema_version'`);
    const current = meta ? Number(meta.value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new VigilError('STORE_FAILED', `the store ${db.location} (schema ${db.schema}) has schema version ${current}, newer than this vigil knows (${SCHEMA_VERSION}) — upgrade vigil`);
    }
    const applied = new Set((await tx.rows('SELECT version FROM vigil_migrations')).map((r) => Number(r.version)));
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const stmt of m.sql) await tx.run(stmt);
      await m.run?.(tx);
      await tx.run('INSERT INTO vigil_migrations VALUES (?, now())', [m.version]);
    }
    await tx.run(`INSERT INTO vigil_meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(Math.max(current, SCHEMA_VERSION))]);
  });
}
