// What the CLI says about the processes sharing a store: the replicas and what
// each runs, and — loudly, on stderr — when nobody has been scheduling.

import { parseDuration } from '../config/duration.js';
import type { Project } from '../config/model.js';
import { stalledMessage, watchSchedule, type ScheduleWatch } from '../scheduler/watch.js';
import type { ReplicaInfo, Store } from '../store/store.js';
import { formatDuration } from '../util/format.js';
import { colors } from './output.js';
import pc from 'picocolors';

const errColors = pc.createColors(Boolean(process.stderr.isTTY) && !('NO_COLOR' in process.env));

/** Whether anybody is scheduling this project's datasets, from the ticks the store says were taken. */
export async function readScheduleWatch(store: Store, project: Project, now = new Date()): Promise<ScheduleWatch> {
  return watchSchedule({
    datasets: project.datasets, timezone: project.config.timezone, lastTicks: await store.lastTicks(), now,
    leaseMs: (parseDuration(project.config.replicas.lease) ?? 60) * 1000,
  });
}

/** The schedulers sharing the store (a command's own registration is not one). */
export async function readReplicas(store: Store): Promise<ReplicaInfo[]> {
  return (await store.coordination.replicas()).filter((r) => r.id !== store.coordination.replica);
}

/** On stderr, so it is seen even with --json or a pipe. */
export function sayIfStalled(watch: ScheduleWatch | null | undefined): void {
  if (watch?.stalled) process.stderr.write(`${errColors.bold(errColors.red(stalledMessage(watch)))}\n`);
}

/** "replicas: 2 alive, 1 dead" and a line per replica: host, pid, since when, last seen, what it runs. */
export function replicasText(replicas: ReplicaInfo[], now = new Date()): string {
  if (replicas.length === 0) return '';
  const alive = replicas.filter((r) => r.alive).length;
  const dead = replicas.length - alive;
  const ago = (at: string) => formatDuration(Math.max(0, (now.getTime() - Date.parse(at)) / 1000));
  const lines = replicas.map((r) => {
    const head = `  ${r.id.slice(0, 8)}  ${r.host} pid ${r.pid}`;
    if (!r.alive) return `${head}  ${colors.red('dead')}: last seen ${ago(r.last_seen)} ago`;
    return `${head}  up ${ago(r.started_at)}, seen ${ago(r.last_seen)} ago  ${r.running.length ? `running: ${r.running.join(', ')}` : 'idle'}`;
  });
  return `replicas: ${alive} alive${dead ? `, ${colors.red(`${dead} dead`)}` : ''}\n${lines.join('\n')}\n`;
}
