// What makes vigil serve degraded, for /healthz, /api/status, vigil status and the dashboard's
// banner: alert channels whose notifications fail for good (read from the store, so every replica
// and `vigil status` agree) and a store that refuses this process's writes. Each clears by itself:
// a later notification delivered on that channel, a later write that works.

import type { Project } from '../config/model.js';
import type { StoreProblem } from '../scheduler/scheduler.js';
import type { DeliveryProblem, Store } from '../store/store.js';
import { errorMessage } from '../util/errors.js';

export interface HealthProblem {
  kind: 'alerts' | 'store';
  /** What is wrong and what to do, in one line. */
  message: string;
  since: string;
  /** kind alerts: the channel. */
  channel?: string;
}

export function deliveryProblemText(p: DeliveryProblem): string {
  const n = p.failed === 1 ? '1 notification' : `${p.failed} notifications`;
  return `alert channel ${p.channel} fails for good: ${n} not delivered since ${p.since} (last: ${p.lastError.split('\n')[0] ?? ''}) — fix the channel, then vigil alerts test; this clears with the next notification delivered on it`;
}

/** The channels' problems, for the channels configured now (a removed channel is nobody's problem). */
export async function alertProblems(store: Store, project: Project): Promise<HealthProblem[]> {
  const configured = new Set(project.alerts.channels.map((c) => c.name));
  return (await store.deliveryProblems())
    .filter((p) => configured.has(p.channel))
    .map((p) => ({ kind: 'alerts', channel: p.channel, since: p.since, message: deliveryProblemText(p) }));
}

export async function healthProblems(store: Store, project: Project, storeProblem: StoreProblem | null): Promise<HealthProblem[]> {
  const problems: HealthProblem[] = [];
  if (storeProblem) {
    problems.push({ kind: 'store', since: storeProblem.since, message: `the results store cannot be written since ${storeProblem.since}: ${storeProblem.error.split('\n')[0] ?? ''} — results are not recorded; free disk space or fix the store's permissions (this clears with the next write that works)` });
  }
  try {
    problems.push(...await alertProblems(store, project));
  } catch (err) {
    problems.push({ kind: 'store', since: new Date().toISOString(), message: `the results store cannot be read: ${errorMessage(err).split('\n')[0] ?? ''}` });
  }
  return problems;
}
