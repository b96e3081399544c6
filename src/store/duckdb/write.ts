// How a dataset's results reach the DuckDB file: group commit (datasets that
// finish while a write is in progress go together in the next transaction),
// all of a dataset or nothing, and a failed group retried one dataset at a time.

import type { DuckDBValue } from '@duckdb/node-api';
import type { Revisions } from '../revisions.js';
import { datasetRunValues, resultValues, type DatasetWrite } from '../write-rows.js';
import type { DatasetRun, IncidentPlanner } from '../store.js';
import { lastSchemas } from './reads.js';
import { recordIncidents } from './incidents.js';
import { recordReadModels } from './read-models.js';
import { placeholders, type DuckDBSession } from './session.js';

/** Most datasets written in one transaction (bounds the statements' parameter lists). */
const MAX_GROUP = 64;

export interface PendingWrite extends DatasetWrite {
  planner?: IncidentPlanner;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class DuckDBWriter {
  private pending: PendingWrite[] = [];

  constructor(private readonly db: DuckDBSession, private readonly revisions: Revisions) {}

  /**
   * Group commit: a transaction holds whole datasets only, so a run that dies midway still leaves
   * whole datasets or nothing; if a group fails, each of its datasets is retried on its own, so one
   * bad dataset never costs the others.
   */
  recordDataset(runId: string, run: DatasetRun, planner?: IncidentPlanner): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ runId, run, ...(planner ? { planner } : {}), resolve, reject });
      if (this.pending.length === 1) void this.db.exclusive(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      // A dataset appears once per group: its rows upsert the same keys.
      const group: PendingWrite[] = [];
      const seen = new Set<string>();
      const rest: PendingWrite[] = [];
      for (const w of this.pending) {
        if (group.length < MAX_GROUP && !seen.has(w.run.dataset)) { group.push(w); seen.add(w.run.dataset); } else rest.push(w);
      }
      this.pending = rest;
      try {
        await this.write(group);
      } catch (err) {
        if (group.length === 1) { group[0]?.reject(err); continue; }
        for (const w of group) {
          try { await this.write([w]); } catch (one) { w.reject(one); }
        }
      }
    }
  }

  /** One transaction for the group; its revisions are taken once it committed. */
  private async write(group: PendingWrite[]): Promise<void> {
    const revisions = group.map((w, i) => [w.run.dataset, this.revisions.highest + i + 1] as const);
    await this.db.transaction(async () => {
      await writeDatasets(this.db, group);
      await this.db.run(`INSERT OR REPLACE INTO vigil_revisions VALUES ${placeholders(revisions.length, '(?, ?)')}`, revisions.flat());
    });
    for (const [scope, revision] of revisions) this.revisions.see(scope, revision);
    for (const w of group) w.resolve();
  }
}

async function writeDatasets(db: DuckDBSession, group: PendingWrite[]): Promise<void> {
  const planned = group.filter((w) => w.planner);
  if (planned.length > 0) await recordIncidents(db, planned);
  await db.run(`INSERT INTO dataset_runs VALUES ${placeholders(group.length, '(?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE, ?, ?::JSON)')}`,
    group.flatMap(datasetRunValues) as DuckDBValue[]);
  const results = group.flatMap(({ runId, run }) => run.results.map((r) => resultValues(runId, r)));
  if (results.length > 0) {
    await db.run(`INSERT INTO check_results VALUES ${placeholders(results.length, '(?, ?, ?, ?, ?, ?, ?::DOUBLE, ?, ?, ?, ?, ?::JSON, ?::JSON, ?::JSON, ?::TIMESTAMPTZ, ?::DOUBLE)')}`,
      results.flat() as DuckDBValue[]);
  }
  const described = group.filter((w) => w.run.schema);
  if (described.length > 0) {
    const last = await lastSchemas(db.rows, described.map((w) => w.run.dataset));
    const changed = described.filter((w) => JSON.stringify(last.get(w.run.dataset)) !== JSON.stringify(w.run.schema));
    if (changed.length > 0) {
      await db.run(`INSERT INTO schema_snapshots VALUES ${placeholders(changed.length, '(?, ?, ?::TIMESTAMPTZ, ?::JSON)')}`,
        changed.flatMap(({ runId, run }) => [run.dataset, runId, run.finishedAt, JSON.stringify(run.schema)]));
    }
  }
  await recordReadModels(db, group);
}
