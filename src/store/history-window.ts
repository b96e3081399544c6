// A check's recent hours, as both stores keep them (one row per check): the
// hourly rollups of the RECENT_HOURLY_DAYS days ending at the check's newest
// day, split into that newest day's points and those of the days before it,
// so the usual write (an hour of the newest day) replaces the small part only.
// Pure: what a write does to a window, and a window rebuilt from rollups.

import { randomUUID } from 'node:crypto';
import { HistoryPoints, POINT_BYTES } from './history-points.js';
import type { HistoryRow } from './store.js';

/**
 * Days of hourly buckets kept per check: the RECENT_HOURLY_DAYS days ending at the check's newest
 * bucket's day. A 30-day history (and the SLO windows up to 28 days) then reads one row per check,
 * however long the history is.
 */
export const RECENT_HOURLY_DAYS = 35;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface HistoryWindow {
  /** The newest bucket's UTC day (days since 1970-01-01). */
  newestDay: number;
  /** The points of the days before newestDay, inside the horizon. */
  earlier: HistoryPoints;
  /** The points of newestDay. */
  latest: HistoryPoints;
}

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** What writing one hourly bucket (its rollup row as it is after the write) does to a check's window. */
export type WindowChange =
  /** The bucket is older than the horizon: it lives in the rollups only. */
  | { kind: 'none' }
  /** On the newest day: only `latest` changes. */
  | { kind: 'latest'; latest: HistoryPoints }
  /** A new day, a day back in time inside the horizon, or a first bucket: the row is written whole. */
  | { kind: 'whole'; window: HistoryWindow };

export function windowAfter(current: HistoryWindow | null, bucket: HistoryRow): WindowChange {
  const day = dayOf(Date.parse(bucket.at));
  if (current === null) return { kind: 'whole', window: { newestDay: day, earlier: HistoryPoints.EMPTY, latest: HistoryPoints.from([bucket]) } };
  const { newestDay, earlier, latest } = current;
  if (day === newestDay) return { kind: 'latest', latest: latest.with(bucket) };
  if (day > newestDay) {
    // The old newest day joins the earlier days; the days that fell out of the horizon go.
    const kept = earlier.concat(latest);
    const from = (day - RECENT_HOURLY_DAYS + 1) * DAY_MS;
    return { kind: 'whole', window: { newestDay: day, earlier: kept.between(from, Infinity), latest: HistoryPoints.from([bucket]) } };
  }
  if (day > newestDay - RECENT_HOURLY_DAYS) return { kind: 'whole', window: { newestDay, earlier: earlier.with(bucket), latest } };
  return { kind: 'none' };
}

/** The window of a check's hourly rollups (in bucket order; at least the horizon's); null without any. */
export function windowOf(rollups: ReadonlyArray<HistoryRow>): HistoryWindow | null {
  const last = rollups[rollups.length - 1];
  if (!last) return null;
  const newestDay = dayOf(Date.parse(last.at));
  const all = HistoryPoints.from(rollups).between((newestDay - RECENT_HOURLY_DAYS + 1) * DAY_MS, Infinity);
  const split = all.firstAtOrAfter(newestDay * DAY_MS);
  return {
    newestDay,
    earlier: new HistoryPoints(all.bytes.subarray(0, split * POINT_BYTES)),
    latest: new HistoryPoints(all.bytes.subarray(split * POINT_BYTES)),
  };
}

/**
 * The window's points in [from's hour, to], or null when the window does not hold all of them
 * (from's day is before the horizon: the rollups answer).
 */
export function windowPoints(window: HistoryWindow | null, from: Date, to: Date): HistoryPoints | null {
  if (window === null) return HistoryPoints.EMPTY; // no rollups either
  const fromBucket = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS;
  if (dayOf(fromBucket) <= window.newestDay - RECENT_HOURLY_DAYS) return null;
  return window.earlier.between(fromBucket, to.getTime()).concat(window.latest.between(fromBucket, to.getTime()));
}

/** What a store holds of a check's window before deciding a write: the newest day and its points (the earlier days only when needed). */
export interface WindowHead {
  newestDay: number;
  latest: HistoryPoints;
}

/** The checks whose earlier days a write must read too (a new day, or one back in time). */
export function needsEarlier(buckets: ReadonlyMap<string, HistoryRow>, heads: ReadonlyMap<string, WindowHead>): string[] {
  return [...buckets].filter(([check, b]) => {
    const head = heads.get(check);
    return head !== undefined && dayOf(Date.parse(b.at)) !== head.newestDay;
  }).map(([check]) => check);
}

/** The rows a write of these buckets leaves: the newest day alone, or whole; each with a new version. */
export function windowWrites(buckets: ReadonlyMap<string, HistoryRow>, heads: ReadonlyMap<string, WindowHead>, earlier: ReadonlyMap<string, HistoryPoints>): {
  latest: Array<{ check: string; latest: HistoryPoints; version: string }>;
  whole: Array<{ check: string; window: HistoryWindow; version: string }>;
} {
  const out: ReturnType<typeof windowWrites> = { latest: [], whole: [] };
  for (const [check, bucket] of buckets) {
    const head = heads.get(check);
    const change = windowAfter(head ? { ...head, earlier: earlier.get(check) ?? HistoryPoints.EMPTY } : null, bucket);
    if (change.kind === 'latest') out.latest.push({ check, latest: change.latest, version: randomUUID() });
    else if (change.kind === 'whole') out.whole.push({ check, window: change.window, version: randomUUID() });
  }
  return out;
}
