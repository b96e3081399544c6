// The results store in a PostgreSQL database (`store: postgres://…`, tables
// in schema `vigil` or `?schema=`): the Store over the parts in postgres/.
// Many processes may share it (replicas, `vigil run` from a laptop): what
// they write is seen by all, and revisions come from the store itself.

import { DEFAULT_LEASE_MS, PartsStore, type StoreOptions } from './parts-store.js';
import { PgCoordination } from './postgres/coordination.js';
import { migrate } from './postgres/migrate.js';
import { PgHistory } from './postgres/history.js';
import { PgIncidents } from './postgres/incidents.js';
import { PgReads } from './postgres/reads.js';
import { PgSession } from './postgres/session.js';
import { parseStoreUrl } from './postgres/url.js';
import { recordDataset } from './postgres/write.js';
import { GLOBAL_SCOPE } from './revisions.js';
import type { DatasetRun, IncidentPlanner, StoreRevision } from './store.js';

export class PostgresStore extends PartsStore {
  private constructor(readonly db: PgSession, readonly coordination: PgCoordination) {
    super({ runs: new PgReads(db, coordination.replica), history: new PgHistory(db), incidents: new PgIncidents(db, coordination) });
  }

  /** Where the store is, as shown to users (no password). */
  get location(): string {
    return this.db.location;
  }

  static async open(location: string, opts: StoreOptions = {}): Promise<PostgresStore> {
    const { url, schema } = parseStoreUrl(location);
    const db = await PgSession.open(url, schema);
    try {
      await migrate(db);
      const coordination = new PgCoordination(db, opts.leaseMs ?? DEFAULT_LEASE_MS);
      await coordination.register();
      return new PostgresStore(db, coordination);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  async recordDataset(runId: string, run: DatasetRun, planner?: IncidentPlanner): Promise<void> {
    await recordDataset(this.db, runId, run, planner);
  }

  /** Read from the store each time: another process may have written since. */
  private revisionRead: Promise<StoreRevision> | null = null;
  private revisionNext: Promise<StoreRevision> | null = null;

  /**
   * Read from the store each time, but calls that arrive while a read is in flight share the next
   * read (which starts after it, so it still sees every write committed before they were made):
   * 20 dashboard requests at once cost two queries, not twenty.
   */
  revision(): Promise<StoreRevision> {
    if (!this.revisionRead) {
      this.revisionRead = this.readRevision().finally(() => { this.revisionRead = null; });
      return this.revisionRead;
    }
    this.revisionNext ??= this.revisionRead.catch(() => undefined).then(() => { this.revisionNext = null; return this.revision(); });
    return this.revisionNext;
  }

  private async readRevision(): Promise<StoreRevision> {
    const rows = await this.db.rows('SELECT scope, revision FROM vigil_revisions');
    let all = 0;
    const datasets = new Map<string, number>();
    for (const r of rows) {
      const n = Number(r.revision);
      all = Math.max(all, n);
      if (r.scope !== GLOBAL_SCOPE) datasets.set(String(r.scope), n);
    }
    return { all, datasets };
  }

  async close(): Promise<void> {
    await this.coordination.close();
    await this.db.close();
  }
}
