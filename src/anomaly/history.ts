// Where a history-based anomaly check's points come from: its own recorded
// values within `training` before this run (so a --now run in the past learns
// only from what was recorded before that time).

import type { DatasetDef } from '../config/model.js';
import type { Store } from '../store/store.js';
import type { TrainingHistory } from './evaluate.js';
import type { AnomalyPoint } from './method.js';

/** The training points of every history-based anomaly check of `ds` at `now`; an Error when the store cannot be read. */
export async function readTraining(store: Pick<Store, 'checkValues'>, ds: DatasetDef, now: Date): Promise<TrainingHistory> {
  const windows = ds.checks.flatMap((c) => (c.anomaly && c.anomaly.timestampColumn === undefined
    ? [{ checkId: c.id, from: new Date(now.getTime() - c.anomaly.trainingSeconds * 1000), to: now }] : []));
  if (windows.length === 0) return new Map();
  try {
    const found = await store.checkValues(windows);
    return new Map([...found].map(([id, values]) => [id, values.map((v): AnomalyPoint => ({ at: Date.parse(v.at), value: v.value }))]));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
