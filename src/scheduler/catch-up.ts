// When a dataset is due at start-up: a scheduled fire time fell between its
// last completed run and now, i.e. at least one tick was missed. Asking for
// the previous fire time (not comparing ages with an interval) is right for
// uneven schedules too (09:00 and 17:00; weekdays only; monthly). Pure.

import { CronExpressionParser } from 'cron-parser';

/** The latest fire time of `schedule` at or before `now`, in `timezone`; null if none can be found. */
export function previousTick(schedule: string, timezone: string, now: Date): Date | null {
  try {
    const it = CronExpressionParser.parse(schedule, { currentDate: new Date(now.getTime() + 1), tz: timezone });
    return it.prev().toDate();
  } catch {
    return null;
  }
}

/** Catch up once when the dataset never ran, or when a tick fired after its last run. */
export function needsCatchUp(lastRunAt: Date | null, prevTick: Date | null): boolean {
  if (prevTick === null) return false;
  if (lastRunAt === null) return true;
  return prevTick.getTime() > lastRunAt.getTime();
}
