// The results store in a DuckDB file (default .vigil/vigil.duckdb): the Store
// over the parts in duckdb/ — connections (session), migrations, the write
// path (write, read-models, incidents) and the reads (reads, history). One
// process at a time has the file open.

import { migrate } from './duckdb/migrate.js';
import { DuckDBHistory } from './duckdb/history.js';
import { DuckDBIncidents } from './duckdb/incidents.js';
import { DuckDBReads } from './duckdb/reads.js';
import { DuckDBSession } from './duckdb/session.js';
import { DuckDBWriter } from './duckdb/write.js';
import { PartsStore } from './parts-store.js';
import { Revisions } from './revisions.js';
import type { DatasetRun, IncidentPlanner, StoreRevision } from './store.js';

export class DuckDBStore extends PartsStore {
  private readonly writer: DuckDBWriter;

  private constructor(private readonly db: DuckDBSession, private readonly revisions: Revisions) {
    super({ runs: new DuckDBReads(db), history: new DuckDBHistory(db), incidents: new DuckDBIncidents(db) });
    this.writer = new DuckDBWriter(db, revisions);
  }

  get file(): string {
    return this.db.file;
  }

  static async open(file: string): Promise<DuckDBStore> {
    const db = await DuckDBSession.open(file);
    try {
      await migrate(db);
      // Nobody else has the file open: what is read now stays true until this process writes.
      const revisions = new Revisions();
      for (const r of await db.rows('SELECT scope, revision FROM vigil_revisions')) revisions.see(String(r.scope), Number(r.revision));
      return new DuckDBStore(db, revisions);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  recordDataset(runId: string, run: DatasetRun, planner?: IncidentPlanner): Promise<void> {
    return this.writer.recordDataset(runId, run, planner);
  }

  revision(): Promise<StoreRevision> {
    return Promise.resolve(this.revisions.snapshot());
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
