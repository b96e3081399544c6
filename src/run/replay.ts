// Whether a run with a fixed clock (--now) is a replay: a clock earlier than
// results already recorded for one of its datasets. A replay evaluates as
// usual but records nothing, so a look at the past never rewrites incidents,
// alerts or the latest state that real runs made (issue 17).

import type { DatasetDef } from '../config/model.js';
import type { Store } from '../store/store.js';

export interface Replay {
  /** The run's clock. */
  now: string;
  /** The dataset with the newest recorded result after `now`, and that result's time. */
  dataset: string;
  newest_result_at: string;
}

/**
 * A replay when `now` is before the newest recorded result (its evaluated_at) of any of these datasets;
 * null otherwise. A clock at or after every recorded result (a test, a backfill moving forward) records.
 */
export async function replayOf(store: Store, datasets: readonly DatasetDef[], now: Date): Promise<Replay | null> {
  const names = new Set(datasets.map((d) => d.name));
  let newest: { dataset: string; at: number } | null = null;
  for (const r of await store.latestStates()) {
    if (!names.has(r.dataset)) continue;
    const at = Date.parse(r.evaluated_at);
    if (at > now.getTime() && (!newest || at > newest.at)) newest = { dataset: r.dataset, at };
  }
  return newest ? { now: now.toISOString(), dataset: newest.dataset, newest_result_at: new Date(newest.at).toISOString() } : null;
}

/** One line for people: what happened and why nothing was written. */
export function replayNotice(r: Replay): string {
  return `--now ${r.now} is before the newest recorded result of ${r.dataset} (${r.newest_result_at}): a replay — `
    + 'evaluated as usual, nothing recorded (no results, incidents, alerts or latest state)';
}
