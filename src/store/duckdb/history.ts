// The DuckDB store's history reads: a check's points (from its recent hours'
// one row, else the rollups or the raw results), and the run counts SLOs sum.
// Chart reads that arrive together are batched into one query.

import { STATUS_RANK_SQL } from '../migrations.js';
import { HistoryPoints } from '../history-points.js';
import { historyFrom, type HistoryWindow } from '../history-window.js';
import { iso, numOrNull } from '../rows.js';
import type { BucketCount, CountWindow, History, HistoryRow, RecordedBand, RecordedValue, ValueWindow, WindowCount } from '../store.js';
import { asBuffer, placeholders, DuckDBSession } from './session.js';

/** Most checks whose windows one query reads (each a row of up to ~37 kB). */
const WINDOW_BATCH = 32;

interface Waiting {
  checkId: string;
  resolve: (window: { window: HistoryWindow; version: string } | null) => void;
  reject: (err: unknown) => void;
}

export class DuckDBHistory {
  /** Window reads waiting for a batch, and how many batches are being read (at most one per reader connection). */
  private waiting: Waiting[] = [];
  private batches = 0;

  constructor(private readonly db: DuckDBSession) {}

  checkHistory(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<History> {
    return historyFrom(() => this.window(checkId), () => this.rowsOf(checkId, from, to, resolution), from, to, resolution);
  }

  checkValues(windows: ValueWindow[]): Promise<Map<string, RecordedValue[]>> {
    const out = new Map<string, RecordedValue[]>(windows.map((w) => [w.checkId, []]));
    if (windows.length === 0) return Promise.resolve(out);
    return this.db.reading(async (rows) => {
      for (const w of windows) {
        const found = await rows(`SELECT evaluated_at AS at, value FROM check_results
          WHERE check_id = ? AND evaluated_at >= ?::TIMESTAMPTZ AND evaluated_at < ?::TIMESTAMPTZ AND status <> 'error' AND value IS NOT NULL AND isfinite(value)
          ORDER BY evaluated_at, rowid`, [w.checkId, w.from.toISOString(), w.to.toISOString()]);
        out.get(w.checkId)?.push(...found.map((r) => ({ at: iso(r.at), value: Number(r.value) })));
      }
      return out;
    });
  }

  checkBands(checkId: string, from: Date, to: Date): Promise<RecordedBand[]> {
    return this.db.reading(async (rows) => {
      const found = await rows(`SELECT evaluated_at AS at, value, CAST(json_extract(details, '$.anomaly.expected') AS DOUBLE) AS expected,
          CAST(json_extract(details, '$.anomaly.lower') AS DOUBLE) AS lower, CAST(json_extract(details, '$.anomaly.upper') AS DOUBLE) AS upper,
          coalesce(CAST(json_extract(details, '$.anomaly.anomalous') AS BOOLEAN), false) AS anomalous
        FROM check_results
        WHERE check_id = ? AND evaluated_at >= ?::TIMESTAMPTZ AND evaluated_at <= ?::TIMESTAMPTZ AND json_type(details, '$.anomaly.lower') IN ('DOUBLE', 'UBIGINT', 'BIGINT')
        ORDER BY evaluated_at, rowid`, [checkId, from.toISOString(), to.toISOString()]);
      return found.map((r) => ({ at: iso(r.at), value: numOrNull(r.value), expected: Number(r.expected), lower: Number(r.lower), upper: Number(r.upper), anomalous: r.anomalous === true }));
    });
  }

  private rowsOf(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<HistoryRow[]> {
    return this.db.reading(async (rows) => {
      if (resolution === 'run') {
        // check_results is appended in time order, so the evaluated_at range prunes all but its newest row groups.
        const found = await rows(`SELECT evaluated_at AS at, value, ${STATUS_RANK_SQL} AS worst FROM check_results
          WHERE check_id = ? AND evaluated_at >= ?::TIMESTAMPTZ AND evaluated_at <= ?::TIMESTAMPTZ ORDER BY evaluated_at, rowid`,
        [checkId, from.toISOString(), to.toISOString()]);
        return found.map((r) => {
          const v = numOrNull(r.value);
          return { at: iso(r.at), value: v, min: v, max: v, worst: Number(r.worst), runs: 1, failing: Number(r.worst) >= 2 ? 1 : 0 };
        });
      }
      const table = resolution === 'hour' ? 'check_rollups_hour' : 'check_rollups_day';
      const found = await rows(`SELECT bucket, last_value, min_value, max_value, worst, runs, failing_runs FROM ${table}
        WHERE check_id = ? AND bucket >= date_trunc('${resolution}', ?::TIMESTAMPTZ AT TIME ZONE 'UTC') AND bucket <= ?::TIMESTAMPTZ AT TIME ZONE 'UTC'
        ORDER BY bucket`, [checkId, from.toISOString(), to.toISOString()]);
      return found.map((r) => ({
        at: iso(r.bucket), value: numOrNull(r.last_value), min: numOrNull(r.min_value), max: numOrNull(r.max_value),
        worst: Number(r.worst), runs: Number(r.runs), failing: Number(r.failing_runs),
      }));
    });
  }

  /**
   * A check's row of check_history_window (null: none). Reads made in the same turn of the event loop
   * (a page's charts), or while the reader connections are busy, are served together: one query for up
   * to WINDOW_BATCH checks (IN (…), through the index), because each query costs DuckDB ~0.2 ms of CPU
   * besides what it reads; what waits is shared out over the free connections.
   */
  private window(checkId: string): Promise<{ window: HistoryWindow; version: string } | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ checkId, resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => this.readBatches());
    });
  }

  private readBatches(): void {
    const free = DuckDBSession.READERS - this.batches;
    const size = Math.min(WINDOW_BATCH, Math.ceil(this.waiting.length / Math.max(1, free)));
    for (let i = 0; i < free && this.waiting.length > 0; i++) this.readBatch(size);
  }

  private readBatch(most = WINDOW_BATCH): void {
    const batch = this.waiting.splice(0, most);
    if (batch.length === 0) return;
    this.batches++;
    const ids = [...new Set(batch.map((w) => w.checkId))];
    // Padded to a power of two with the last id (IN ignores repeats): a handful of prepared statements serves every batch size.
    let size = 1;
    while (size < ids.length) size *= 2;
    const bound = Array.from({ length: size }, (_, i) => ids[Math.min(i, ids.length - 1)] as string);
    this.db.reading(async (_rows, hot) => hot(`SELECT check_id, newest_day, earlier, latest, version
      FROM check_history_window WHERE check_id IN (${placeholders(size, '?')})`, bound))
      .then((rows) => {
        const byCheck = new Map<string, { window: HistoryWindow; version: string }>();
        for (const [check, newest, earlier, latest, version] of rows) {
          byCheck.set(String(check), {
            window: { newestDay: Number(newest), earlier: new HistoryPoints(asBuffer(earlier ?? null)), latest: new HistoryPoints(asBuffer(latest ?? null)) },
            version: String(version),
          });
        }
        for (const w of batch) w.resolve(byCheck.get(w.checkId) ?? null);
      }, (err: unknown) => { for (const w of batch) w.reject(err); })
      .finally(() => {
        this.batches--;
        this.readBatch();
      });
  }

  windowCounts(windows: CountWindow[]): Promise<Map<string, WindowCount>> {
    return this.db.reading(async (rows) => {
      const out = new Map(windows.map((w) => [w.checkId, { runs: 0, failing: 0 }]));
      if (windows.length === 0) return out;
      // Summed by DuckDB: a 28-day SLO window of 400 checks is 270,000 hour buckets, which as rows
      // took ~0.9 s to hand to JavaScript. The first condition lets the time-ordered rollups skip older row groups.
      const earliest = new Date(Math.min(...windows.map((w) => w.after.getTime())));
      const found = await rows(`SELECT v.check_id, sum(r.runs)::DOUBLE AS runs, sum(r.failing_runs)::DOUBLE AS failing
        FROM check_rollups_hour r JOIN (VALUES ${placeholders(windows.length, '(?, ?::TIMESTAMPTZ AT TIME ZONE \'UTC\', ?::TIMESTAMPTZ AT TIME ZONE \'UTC\')')}) AS v(check_id, after, upto)
          ON r.check_id = v.check_id AND r.bucket > v.after AND r.bucket <= v.upto
        WHERE r.bucket >= ?::TIMESTAMPTZ AT TIME ZONE 'UTC'
        GROUP BY v.check_id`, [...windows.flatMap((w) => [w.checkId, w.after.toISOString(), w.upto.toISOString()]), earliest.toISOString()]);
      for (const r of found) out.set(String(r.check_id), { runs: Number(r.runs), failing: Number(r.failing) });
      return out;
    });
  }

  hourlyCounts(checkIds: string[], from: Date): Promise<Map<string, BucketCount[]>> {
    return this.db.reading(async (rows) => {
      const out = new Map<string, BucketCount[]>(checkIds.map((c) => [c, []]));
      if (checkIds.length === 0) return out;
      const found = await rows(`SELECT check_id, bucket, runs, failing_runs FROM check_rollups_hour
        WHERE bucket >= date_trunc('hour', ?::TIMESTAMPTZ AT TIME ZONE 'UTC') AND check_id IN (${placeholders(checkIds.length, '?')})
        ORDER BY check_id, bucket`, [from.toISOString(), ...checkIds]);
      for (const r of found) out.get(String(r.check_id))?.push({ at: iso(r.bucket), runs: Number(r.runs), failing: Number(r.failing_runs) });
      return out;
    });
  }
}
