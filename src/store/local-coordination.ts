// Coordination for a store only one process can open (the DuckDB file): this
// process is the only replica, so every tick is its own and nobody is reaped.

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Coordination, ReplicaInfo, TakenOver } from './store.js';

export class LocalCoordination implements Coordination {
  readonly replica = randomUUID();
  private readonly startedAt = new Date().toISOString();
  private lastSeen = this.startedAt;
  private running: string[] = [];
  private scheduler = false;
  private lastClaim: string | null = null;

  constructor(readonly leaseMs: number) {}

  claimTick(): Promise<'run'> {
    this.lastClaim = new Date().toISOString();
    return Promise.resolve('run');
  }

  tickDone(): Promise<void> {
    return Promise.resolve();
  }

  heartbeat(running: string[]): Promise<void> {
    this.scheduler = true;
    this.running = running;
    this.lastSeen = new Date().toISOString();
    return Promise.resolve();
  }

  reapDead(): Promise<TakenOver[]> {
    return Promise.resolve([]);
  }

  replicas(): Promise<ReplicaInfo[]> {
    if (!this.scheduler) return Promise.resolve([]);
    return Promise.resolve([{ id: this.replica, host: os.hostname(), pid: process.pid, started_at: this.startedAt, last_seen: this.lastSeen, alive: true, running: this.running }]);
  }

  lastScheduledAt(): Promise<string | null> {
    return Promise.resolve(this.lastClaim);
  }
}
