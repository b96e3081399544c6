// When a dataset is due at start-up: its last completed run is older than one
// schedule interval (so at least one tick was missed). Pure, for testing.

export interface CronLike {
  /** The next `count` fire times after now. */
  getNextRuns(count: number): Date[];
}

/** Seconds between two consecutive ticks of the schedule (the next two). */
export function intervalSeconds(task: CronLike): number | null {
  const [a, b] = task.getNextRuns(2);
  if (!a || !b) return null;
  return (b.getTime() - a.getTime()) / 1000;
}

/** Catch up once when never run, or when the last run is older than one interval. */
export function needsCatchUp(lastRunAt: Date | null, now: Date, interval: number | null): boolean {
  if (interval === null) return false;
  if (lastRunAt === null) return true;
  return (now.getTime() - lastRunAt.getTime()) / 1000 > interval;
}
