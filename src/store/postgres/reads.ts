// The PostgreSQL store's plain reads and run bookkeeping: runs, latest
// results, schemas, dataset run summaries, skipped ticks (the DuckDB store's
// duckdb/reads.ts in PostgreSQL's dialect).

import type { ColumnInfo, Status } from '../../checks/kind.js';
import { columnsFromRow, iso, lastTicksFromRows, latestFromRow, notPassingByRun, runFromRow, snapshotFromRow, summaryFromRow, type NotPassing } from '../rows.js';
import type { BeginRun, DatasetRunSummary, LatestResult, RunRecord, RunStatus } from '../store.js';
import { placeholders } from '../duckdb/session.js';
import type { PgRows, PgSession } from './session.js';

/** The last recorded schema of these datasets (default: every dataset). */
export async function lastSchemas(rows: PgRows, datasets?: string[]): Promise<Map<string, ColumnInfo[]>> {
  const found = await rows(`SELECT DISTINCT ON (dataset) dataset, columns FROM schema_snapshots
    ${datasets ? `WHERE dataset IN (${placeholders(datasets.length, '?')})` : ''}
    ORDER BY dataset, recorded_at DESC, seq DESC`, datasets);
  return new Map(found.map((r) => [String(r.dataset), columnsFromRow(r.columns)]));
}

export class PgReads {
  constructor(private readonly db: PgSession, private readonly replica: string) {}

  async beginRun(run: BeginRun): Promise<void> {
    await this.db.run(`INSERT INTO runs (run_id, started_at, status, trigger, selectors, datasets, scheduled_for, replica) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)`,
      [run.runId, run.startedAt, run.trigger, JSON.stringify(run.selectors), JSON.stringify(run.datasets ?? []), run.scheduledFor ?? null, this.replica]);
  }

  async finishRun(runId: string, finishedAt: string, summary: Record<Status, number>, status: RunStatus): Promise<void> {
    await this.db.run(`UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?`, [finishedAt, status, JSON.stringify(summary), runId]);
  }

  async runs(limit: number): Promise<RunRecord[]> {
    return (await this.db.rows(`SELECT * FROM runs ORDER BY started_at DESC, run_id COLLATE "C" LIMIT ?`, [limit])).map(runFromRow);
  }

  async abortRunning(at: string): Promise<number> {
    // Other processes share the store: only runs whose process is gone (not heard from within its lease) are dead.
    return (await this.db.rows(`UPDATE runs SET status = 'aborted', finished_at = ? WHERE status = 'running'
      AND NOT EXISTS (SELECT 1 FROM vigil_replicas p WHERE p.id = runs.replica AND p.last_seen > ?::timestamptz - p.lease_ms * interval '1 millisecond')
      RETURNING run_id`, [at, at])).length;
  }

  async lastDatasetRuns(): Promise<Map<string, Date>> {
    const rows = await this.db.rows(`SELECT dataset, max(finished_at) AS last_at FROM dataset_runs GROUP BY dataset`);
    return new Map(rows.map((r) => [String(r.dataset), new Date(iso(r.last_at))]));
  }

  async lastTicks(): Promise<Map<string, Date>> {
    const [runs, skipped] = await Promise.all([
      this.db.rows(`SELECT datasets::text AS datasets, max(scheduled_for) AS at FROM runs WHERE scheduled_for IS NOT NULL GROUP BY 1`),
      this.db.rows(`SELECT dataset, max(skipped_at) AS at FROM skipped_ticks GROUP BY dataset`),
    ]);
    return lastTicksFromRows(runs, skipped);
  }

  async recordSkippedTick(dataset: string, at: string, reason: string): Promise<void> {
    await this.db.run(`INSERT INTO skipped_ticks VALUES (?, ?, ?)`, [dataset, at, reason]);
  }

  async skippedTicks(): Promise<Map<string, { count: number; last: string }>> {
    const rows = await this.db.rows(`SELECT dataset, count(*) AS n, max(skipped_at) AS last FROM skipped_ticks GROUP BY dataset`);
    return new Map(rows.map((r) => [String(r.dataset), { count: Number(r.n), last: iso(r.last) }]));
  }

  async lastSchema(dataset: string): Promise<ColumnInfo[] | null> {
    return (await lastSchemas(this.db.rows, [dataset])).get(dataset) ?? null;
  }

  lastSchemas(): Promise<Map<string, ColumnInfo[]>> {
    return lastSchemas(this.db.rows);
  }

  async latestStates(): Promise<LatestResult[]> {
    return (await this.db.rows(`SELECT * FROM latest_results ORDER BY dataset COLLATE "C", check_id COLLATE "C"`)).map(latestFromRow);
  }

  async latestState(checkId: string): Promise<LatestResult | null> {
    const row = (await this.db.rows(`SELECT * FROM latest_results WHERE check_id = ?`, [checkId]))[0];
    return row ? latestFromRow(row) : null;
  }

  async recentDatasetRuns(dataset: string, limit: number): Promise<DatasetRunSummary[]> {
    return (await this.db.rows(`SELECT * FROM dataset_run_summaries WHERE dataset = ? ORDER BY started_at DESC LIMIT ?`, [dataset, limit])).map(summaryFromRow);
  }

  async notPassingChecks(dataset: string, runIds: string[]): Promise<Map<string, NotPassing[]>> {
    if (runIds.length === 0) return new Map();
    return notPassingByRun(await this.db.rows(
      `SELECT run_id, check_id, name, status FROM check_results WHERE dataset = ? AND status <> 'pass' AND run_id IN (${placeholders(runIds.length, '?')})
        ORDER BY run_id COLLATE "C", check_id COLLATE "C"`,
      [dataset, ...runIds],
    ));
  }

  async schemaSnapshots(dataset: string): Promise<Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>> {
    return (await this.db.rows(`SELECT run_id, recorded_at, columns FROM schema_snapshots WHERE dataset = ? ORDER BY recorded_at, seq`, [dataset])).map(snapshotFromRow);
  }
}
