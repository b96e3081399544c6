// Which season a point belongs to: its weekday or its hour of day, taken in an
// IANA timezone (so a bucket starting at local midnight is that local day, DST included).

export type Seasonality = 'none' | 'day_of_week' | 'hour_of_day';

const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** One formatter per timezone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    // Throws a RangeError for a timezone the runtime does not know, which is what a caller should see.
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
    formatters.set(timezone, f);
  }
  return f;
}

/**
 * Every UTC offset in use is a whole number of quarter hours, so within one UTC quarter hour
 * the local weekday and hour are the same: a judgement reads hundreds of training points, and
 * asking Intl for each costs more than the rest of the maths. Bounded: emptied when full.
 */
const QUARTER = 900_000;
const MAX_CACHED = 100_000;
const cache = new Map<string, Map<number, number>>();

/** The local weekday (0 = Monday … 6 = Sunday) and hour (0–23) of `at` in `timezone`. */
export function localWeekdayHour(at: number, timezone: string): { weekday: number; hour: number } {
  let zone = cache.get(timezone);
  if (!zone) {
    zone = new Map();
    cache.set(timezone, zone);
  }
  const slot = Math.floor(at / QUARTER);
  let packed = zone.get(slot);
  if (packed === undefined) {
    const { weekday, hour } = readLocal(at, timezone);
    packed = weekday * 24 + hour;
    if (zone.size >= MAX_CACHED) zone.clear();
    zone.set(slot, packed);
  }
  return { weekday: Math.floor(packed / 24), hour: packed % 24 };
}

function readLocal(at: number, timezone: string): { weekday: number; hour: number } {
  let weekday = -1;
  let hour = -1;
  for (const part of formatter(timezone).formatToParts(at)) {
    if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? -1;
    else if (part.type === 'hour') hour = Number(part.value) % 24;
  }
  if (weekday < 0 || hour < 0) throw new RangeError(`cannot read the local weekday and hour of ${at} in ${timezone}`);
  return { weekday, hour };
}

/** A key that is equal for two points exactly when they are in the same season. */
export function seasonKey(at: number, seasonality: Seasonality, timezone: string): number {
  if (seasonality === 'none') return 0;
  const { weekday, hour } = localWeekdayHour(at, timezone);
  return seasonality === 'day_of_week' ? weekday : hour;
}
