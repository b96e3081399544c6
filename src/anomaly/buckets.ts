// Time buckets of a timestamp_column, aligned in the dataset's timezone: 1h is
// the hour, 1d local midnight to midnight, 1w Monday 00:00 to Monday 00:00 —
// so a DST day has 23 or 25 hours and the fall-back hour is two buckets.
// Day and week buckets are named by their local start ("naive" ms: the wall
// clock read as if it were UTC), hour buckets by their start instant.

import type { BucketSize } from './config.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time minus UTC at `instant`, in ms (+1h for Europe/Berlin in winter). */
export function offsetAt(instant: number, timezone: string): number {
  if (timezone === 'UTC') return 0;
  let f = offsetFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    offsetFormatters.set(timezone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, (p.hour ?? 0) % 24, p.minute ?? 0, p.second ?? 0);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The wall clock of `instant` in `timezone`, as naive ms. */
export function toNaive(instant: number, timezone: string): number {
  return instant + offsetAt(instant, timezone);
}

/**
 * The instant a wall-clock time names. In the fall-back hour (it names two) the earlier;
 * in the spring-forward gap (it names none) the instant the clocks jumped to.
 */
export function toInstant(naive: number, timezone: string): number {
  const before = naive - offsetAt(naive - DAY / 2, timezone);
  const after = naive - offsetAt(naive + DAY / 2, timezone);
  // Each candidate is right when its offset is the one in force at it.
  const candidates = [before, after].filter((t) => toNaive(t, timezone) === naive).sort((x, y) => x - y);
  if (candidates.length) return candidates[0] as number;
  // A gap: the wall clock jumps from the offset before to the one after.
  return Math.max(before, after);
}

export interface Bucket {
  /** How the data statement names the bucket: naive start ms (day, week) or start instant (hour). */
  key: number;
  start: number;
  end: number;
}

function floorNaive(naive: number, size: BucketSize): number {
  const day = Math.floor(naive / DAY);
  if (size === '1d') return day * DAY;
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is the days since Monday.
  return (day - (((day + 3) % 7) + 7) % 7) * DAY;
}

/** The key of the bucket holding `instant`. */
export function bucketKeyOf(instant: number, size: BucketSize, timezone: string): number {
  if (size === '1h') {
    const naive = toNaive(instant, timezone);
    return instant - (((naive % HOUR) + HOUR) % HOUR);
  }
  return floorNaive(toNaive(instant, timezone), size);
}

const STEP: Record<BucketSize, number> = { '1h': HOUR, '1d': DAY, '1w': 7 * DAY };

/** The bucket `n` buckets after the one with `key` (n may be negative). */
export function shiftKey(key: number, n: number, size: BucketSize): number {
  return key + n * STEP[size];
}

export function bucketOf(key: number, size: BucketSize, timezone: string): Bucket {
  if (size === '1h') return { key, start: key, end: key + HOUR };
  return { key, start: toInstant(key, timezone), end: toInstant(key + STEP[size], timezone) };
}

/**
 * The judged bucket at `now` (the latest complete one, [b − bucket, b) with b = now floored
 * to the bucket) and the `count` buckets before it, oldest first.
 */
export function bucketWindow(now: number, size: BucketSize, count: number, timezone: string): { judged: Bucket; training: Bucket[] } {
  const b = bucketKeyOf(now, size, timezone);
  const judgedKey = shiftKey(b, -1, size);
  const training: Bucket[] = [];
  for (let i = count; i >= 1; i--) training.push(bucketOf(shiftKey(judgedKey, -i, size), size, timezone));
  return { judged: bucketOf(judgedKey, size, timezone), training };
}

/** How many buckets a training period spans (28d of 1d buckets: 28). */
export function bucketsIn(trainingSeconds: number, size: BucketSize): number {
  return Math.max(1, Math.round((trainingSeconds * 1000) / STEP[size]));
}

/** "on 2026-03-09", "on 2026-03-09 14:00", "in the week of 2026-03-09": a bucket as a message names it, in local time. */
export function describeBucket(bucket: Bucket, size: BucketSize, timezone: string): string {
  const naive = new Date(toNaive(bucket.start, timezone)).toISOString();
  const date = naive.slice(0, 10);
  if (size === '1h') return `on ${date} ${naive.slice(11, 16)}`;
  if (size === '1w') return `in the week of ${date}`;
  return `on ${date}`;
}
