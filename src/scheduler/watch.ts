// Watching the watcher: from the ticks the store says were taken, whether
// anybody is scheduling at all. Pure (the clock and the store's answers come in).
//
// A dataset is overdue when two of its ticks, each older than the lease, came
// after the last tick any replica took for it: one missed tick may be a replica
// dying mid-run (another takes it over within the lease); two are not. Nobody is
// scheduling when some dataset has two such ticks after the last tick taken for
// *any* dataset — for datasets on even schedules, when the store has been quiet
// for more than twice the shortest schedule interval plus the lease. Nothing is
// said about a store no scheduler ever used (vigil run from cron is a way to work).

import { CronExpressionParser } from 'cron-parser';
import { formatDuration } from '../util/format.js';

export interface WatchInput {
  datasets: Array<{ name: string; schedule: string }>;
  timezone: string;
  /** The store's newest tick taken per dataset (Store.lastTicks). */
  lastTicks: ReadonlyMap<string, Date>;
  now: Date;
  leaseMs: number;
}

export interface Overdue {
  dataset: string;
  /** The first tick nobody took. */
  due_since: string;
  overdue_seconds: number;
}

export interface ScheduleWatch {
  /** Nobody has scheduled anything for a while: every replica is gone, or its scheduler is stuck. */
  stalled: boolean;
  /** The newest tick any replica took (null: none ever). */
  last_tick_at: string | null;
  /** Seconds since then. */
  quiet_seconds: number | null;
  /** Datasets with two or more ticks nobody took, most overdue first. */
  overdue: Overdue[];
}

/** The second tick of `schedule` after `after`, when both are at or before `upto`; null otherwise (or for a schedule that cannot be read). */
function missedTwice(schedule: string, timezone: string, after: Date, upto: Date): Date | null {
  try {
    const it = CronExpressionParser.parse(schedule, { currentDate: after, tz: timezone });
    const first = it.next().toDate();
    const second = it.next().toDate();
    return second.getTime() <= upto.getTime() ? first : null;
  } catch {
    return null;
  }
}

export function watchSchedule(input: WatchInput): ScheduleWatch {
  const ticks = [...input.lastTicks.values()].map((d) => d.getTime());
  const last = ticks.length ? Math.max(...ticks) : null;
  if (last === null) return { stalled: false, last_tick_at: null, quiet_seconds: null, overdue: [] };
  const upto = new Date(input.now.getTime() - input.leaseMs);
  const overdue: Overdue[] = [];
  let stalled = false;
  for (const ds of input.datasets) {
    // A dataset nobody ever scheduled is measured from the last moment anybody scheduled anything.
    const own = input.lastTicks.get(ds.name)?.getTime() ?? last;
    const since = missedTwice(ds.schedule, input.timezone, new Date(own), upto);
    if (since) overdue.push({ dataset: ds.name, due_since: since.toISOString(), overdue_seconds: Math.round((input.now.getTime() - since.getTime()) / 1000) });
    if (!stalled && missedTwice(ds.schedule, input.timezone, new Date(last), upto)) stalled = true;
  }
  overdue.sort((a, b) => b.overdue_seconds - a.overdue_seconds || (a.dataset < b.dataset ? -1 : 1));
  return { stalled, last_tick_at: new Date(last).toISOString(), quiet_seconds: Math.round((input.now.getTime() - last) / 1000), overdue };
}

/** What a process starting on a stalled store says (one line, for stderr or a log record's msg). */
export function stalledMessage(w: ScheduleWatch): string {
  const shown = w.overdue.slice(0, 10).map((o) => `${o.dataset} (due ${formatDuration(o.overdue_seconds)} ago)`);
  const more = w.overdue.length > shown.length ? ` and ${w.overdue.length - shown.length} more` : '';
  return `NOBODY IS SCHEDULING: no replica has taken a tick for ${formatDuration(w.quiet_seconds ?? 0)} (the last at ${w.last_tick_at ?? '?'})`
    + `${shown.length ? `; overdue: ${shown.join(', ')}${more}` : ''} — is any vigil serve running on this store?`;
}
