// The PostgreSQL store's history reads: a check's points (from its recent
// hours' one row, else the rollups or the raw results), and the run counts
// SLOs sum (the DuckDB store's duckdb/history.ts in PostgreSQL's dialect).

import { STATUS_RANK_SQL } from '../migrations.js';
import { HistoryPoints } from '../history-points.js';
import { historyFrom, type HistoryWindow } from '../history-window.js';
import { placeholders } from '../duckdb/session.js';
import { iso, numOrNull } from '../rows.js';
import type { BucketCount, CountWindow, History, HistoryRow, RecordedBand, RecordedValue, ValueWindow, WindowCount } from '../store.js';
import type { PgSession } from './session.js';

export const asPoints = (v: unknown): HistoryPoints => (Buffer.isBuffer(v) ? new HistoryPoints(v) : HistoryPoints.EMPTY);

export class PgHistory {
  constructor(private readonly db: PgSession) {}

  checkHistory(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<History> {
    return historyFrom(() => this.window(checkId), () => this.rowsOf(checkId, from, to, resolution), from, to, resolution);
  }

  private async window(checkId: string): Promise<{ window: HistoryWindow; version: string } | null> {
    const [r] = await this.db.rows(`SELECT newest_day, earlier, latest, version FROM check_history_window WHERE check_id = ?`, [checkId]);
    if (!r) return null;
    return { window: { newestDay: Number(r.newest_day), earlier: asPoints(r.earlier), latest: asPoints(r.latest) }, version: String(r.version) };
  }

  async checkValues(windows: ValueWindow[]): Promise<Map<string, RecordedValue[]>> {
    const out = new Map<string, RecordedValue[]>(windows.map((w) => [w.checkId, []]));
    if (windows.length === 0) return out;
    const found = await this.db.rows(`SELECT c.check_id, c.evaluated_at AS at, c.value FROM check_results c
      JOIN (VALUES ${placeholders(windows.length, '(?::text, ?::timestamptz, ?::timestamptz)')}) AS v(check_id, from_at, to_at)
        ON c.check_id = v.check_id AND c.evaluated_at >= v.from_at AND c.evaluated_at < v.to_at
      WHERE c.status <> 'error' AND c.value IS NOT NULL AND c.value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
      ORDER BY c.check_id, c.evaluated_at, c.seq`, windows.flatMap((w) => [w.checkId, w.from.toISOString(), w.to.toISOString()]));
    for (const r of found) out.get(String(r.check_id))?.push({ at: iso(r.at), value: Number(r.value) });
    return out;
  }

  async checkBands(checkId: string, from: Date, to: Date): Promise<RecordedBand[]> {
    const found = await this.db.rows(`SELECT evaluated_at AS at, value, (details->'anomaly'->>'expected')::float8 AS expected,
        (details->'anomaly'->>'lower')::float8 AS lower, (details->'anomaly'->>'upper')::float8 AS upper,
        coalesce(details->'anomaly'->>'anomalous' = 'true', false) AS anomalous
      FROM check_results
      WHERE check_id = ? AND evaluated_at >= ? AND evaluated_at <= ? AND json_typeof(details->'anomaly'->'lower') = 'number'
      ORDER BY evaluated_at, seq`, [checkId, from.toISOString(), to.toISOString()]);
    return found.map((r) => ({ at: iso(r.at), value: numOrNull(r.value), expected: Number(r.expected), lower: Number(r.lower), upper: Number(r.upper), anomalous: r.anomalous === true }));
  }

  private async rowsOf(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<HistoryRow[]> {
    if (resolution === 'run') {
      const found = await this.db.rows(`SELECT evaluated_at AS at, value, ${STATUS_RANK_SQL} AS worst FROM check_results
        WHERE check_id = ? AND evaluated_at >= ? AND evaluated_at <= ? ORDER BY evaluated_at, seq`, [checkId, from.toISOString(), to.toISOString()]);
      return found.map((r) => {
        const v = numOrNull(r.value);
        return { at: iso(r.at), value: v, min: v, max: v, worst: Number(r.worst), runs: 1, failing: Number(r.worst) >= 2 ? 1 : 0 };
      });
    }
    const table = resolution === 'hour' ? 'check_rollups_hour' : 'check_rollups_day';
    const found = await this.db.rows(`SELECT bucket, last_value, min_value, max_value, worst, runs, failing_runs FROM ${table}
      WHERE check_id = ? AND bucket >= date_trunc('${resolution}', ?::timestamptz, 'UTC') AND bucket <= ?::timestamptz ORDER BY bucket`,
    [checkId, from.toISOString(), to.toISOString()]);
    return found.map((r) => ({
      at: iso(r.bucket), value: numOrNull(r.last_value), min: numOrNull(r.min_value), max: numOrNull(r.max_value),
      worst: Number(r.worst), runs: Number(r.runs), failing: Number(r.failing_runs),
    }));
  }

  async windowCounts(windows: CountWindow[]): Promise<Map<string, WindowCount>> {
    const out = new Map(windows.map((w) => [w.checkId, { runs: 0, failing: 0 }]));
    if (windows.length === 0) return out;
    const found = await this.db.rows(`SELECT v.check_id, sum(r.runs)::float8 AS runs, sum(r.failing_runs)::float8 AS failing
      FROM check_rollups_hour r JOIN (VALUES ${placeholders(windows.length, '(?::text, ?::timestamptz, ?::timestamptz)')}) AS v(check_id, after, upto)
        ON r.check_id = v.check_id AND r.bucket > v.after AND r.bucket <= v.upto
      GROUP BY v.check_id`, windows.flatMap((w) => [w.checkId, w.after.toISOString(), w.upto.toISOString()]));
    for (const r of found) out.set(String(r.check_id), { runs: Number(r.runs), failing: Number(r.failing) });
    return out;
  }

  async hourlyCounts(checkIds: string[], from: Date): Promise<Map<string, BucketCount[]>> {
    const out = new Map<string, BucketCount[]>(checkIds.map((c) => [c, []]));
    if (checkIds.length === 0) return out;
    const found = await this.db.rows(`SELECT check_id, bucket, runs, failing_runs FROM check_rollups_hour
      WHERE bucket >= date_trunc('hour', ?::timestamptz, 'UTC') AND check_id = ANY(?::text[])
      ORDER BY check_id, bucket`, [from.toISOString(), checkIds]);
    for (const r of found) out.get(String(r.check_id))?.push({ at: iso(r.bucket), runs: Number(r.runs), failing: Number(r.failing_runs) });
    return out;
  }
}
