// The DuckDB store's plain reads and run bookkeeping: runs, latest results,
// schemas, dataset run summaries, skipped ticks.

import type { ColumnInfo, Status } from '../../checks/kind.js';
import { columnsFromRow, iso, lastTicksFromRows, latestFromRow, notPassingByRun, runFromRow, snapshotFromRow, summaryFromRow, type NotPassing } from '../rows.js';
import type { BeginRun, DatasetRunSummary, LatestResult, RunRecord, RunStatus } from '../store.js';
import { placeholders, type DuckDBSession, type Rows } from './session.js';

/** The last recorded schema of these datasets (default: every dataset). */
export async function lastSchemas(rows: Rows, datasets?: string[]): Promise<Map<string, ColumnInfo[]>> {
  const found = await rows(`SELECT dataset, columns FROM schema_snapshots
    ${datasets ? `WHERE dataset IN (${placeholders(datasets.length, '?')})` : ''}
    QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY recorded_at DESC, rowid DESC) = 1`, datasets);
  return new Map(found.map((r) => [String(r.dataset), columnsFromRow(r.columns)]));
}

export class DuckDBReads {
  constructor(private readonly db: DuckDBSession, private readonly replica: string) {}

  beginRun(run: BeginRun): Promise<void> {
    return this.db.exclusive(() => this.db.run(`INSERT INTO runs (run_id, started_at, status, trigger, selectors, datasets, scheduled_for, replica)
      VALUES (?, ?::TIMESTAMPTZ, 'running', ?, ?::JSON, ?::JSON, ?::TIMESTAMPTZ, ?)`,
    [run.runId, run.startedAt, run.trigger, JSON.stringify(run.selectors), JSON.stringify(run.datasets ?? []), run.scheduledFor ?? null, this.replica]));
  }

  finishRun(runId: string, finishedAt: string, summary: Record<Status, number>, status: RunStatus): Promise<void> {
    return this.db.exclusive(() => this.db.run(`UPDATE runs SET finished_at = ?::TIMESTAMPTZ, status = ?, summary = ?::JSON WHERE run_id = ?`,
      [finishedAt, status, JSON.stringify(summary), runId]));
  }

  runs(limit: number): Promise<RunRecord[]> {
    return this.db.exclusive(async () => (await this.db.rows(`SELECT * FROM runs ORDER BY started_at DESC, run_id LIMIT ?`, [limit])).map(runFromRow));
  }

  abortRunning(at: string): Promise<number> {
    return this.db.exclusive(async () => (await this.db.rows(`UPDATE runs SET status = 'aborted', finished_at = ?::TIMESTAMPTZ WHERE status = 'running' RETURNING run_id`, [at])).length);
  }

  lastDatasetRuns(): Promise<Map<string, Date>> {
    return this.db.exclusive(async () => {
      const rows = await this.db.rows(`SELECT dataset, max(finished_at) AS last_at FROM dataset_runs GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), new Date(iso(r.last_at))]));
    });
  }

  lastTicks(): Promise<Map<string, Date>> {
    return this.db.exclusive(async () => lastTicksFromRows(
      await this.db.rows(`SELECT datasets::VARCHAR AS datasets, max(scheduled_for) AS at FROM runs WHERE scheduled_for IS NOT NULL GROUP BY 1`),
      await this.db.rows(`SELECT dataset, max(skipped_at) AS at FROM skipped_ticks GROUP BY dataset`),
    ));
  }

  recordSkippedTick(dataset: string, at: string, reason: string): Promise<void> {
    return this.db.exclusive(() => this.db.run(`INSERT INTO skipped_ticks VALUES (?, ?::TIMESTAMPTZ, ?)`, [dataset, at, reason]));
  }

  skippedTicks(): Promise<Map<string, { count: number; last: string }>> {
    return this.db.exclusive(async () => {
      const rows = await this.db.rows(`SELECT dataset, count(*) AS n, max(skipped_at) AS last FROM skipped_ticks GROUP BY dataset`);
      return new Map(rows.map((r) => [String(r.dataset), { count: Number(r.n), last: iso(r.last) }]));
    });
  }

  lastSchema(dataset: string): Promise<ColumnInfo[] | null> {
    return this.db.exclusive(async () => (await lastSchemas(this.db.rows, [dataset])).get(dataset) ?? null);
  }

  lastSchemas(): Promise<Map<string, ColumnInfo[]>> {
    return this.db.exclusive(() => lastSchemas(this.db.rows));
  }

  latestStates(): Promise<LatestResult[]> {
    return this.db.reading(async (rows) => (await rows(`SELECT * FROM latest_results ORDER BY dataset, check_id`)).map(latestFromRow));
  }

  latestState(checkId: string): Promise<LatestResult | null> {
    return this.db.reading(async (rows) => {
      const row = (await rows(`SELECT * FROM latest_results WHERE check_id = ?`, [checkId]))[0];
      return row ? latestFromRow(row) : null;
    });
  }

  recentDatasetRuns(dataset: string, limit: number): Promise<DatasetRunSummary[]> {
    return this.db.reading(async (rows) => {
      // Rows are appended in time order: the last week prunes to its newest row groups; older history only when needed.
      const recent = new Date(Date.now() - 7 * 86_400_000).toISOString();
      let found = await rows(`SELECT * FROM dataset_run_summaries WHERE dataset = ? AND started_at >= ?::TIMESTAMPTZ ORDER BY started_at DESC LIMIT ?`, [dataset, recent, limit]);
      if (found.length < limit) found = await rows(`SELECT * FROM dataset_run_summaries WHERE dataset = ? ORDER BY started_at DESC LIMIT ?`, [dataset, limit]);
      return found.map(summaryFromRow);
    });
  }

  notPassingChecks(dataset: string, runIds: string[]): Promise<Map<string, NotPassing[]>> {
    if (runIds.length === 0) return Promise.resolve(new Map());
    return this.db.reading(async (rows) => notPassingByRun(await rows(
      `SELECT run_id, check_id, name, status FROM check_results WHERE dataset = ? AND status <> 'pass' AND run_id IN (${placeholders(runIds.length, '?')}) ORDER BY run_id, check_id`,
      [dataset, ...runIds],
    )));
  }

  schemaSnapshots(dataset: string): Promise<Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>> {
    return this.db.reading(async (rows) => (await rows(`SELECT run_id, recorded_at, columns FROM schema_snapshots WHERE dataset = ? ORDER BY recorded_at, rowid`, [dataset]))
      .map(snapshotFromRow));
  }
}
