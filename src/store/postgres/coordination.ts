// How processes sharing a PostgreSQL store divide the work, with leases in
// plain SQL: each process has a row in vigil_replicas renewed every third of
// its lease; a tick is run by whoever inserted its schedule_claims row; a
// replica whose lease ran out has its runs aborted and its unfinished ticks
// taken over by one other replica (an UPDATE … RETURNING wins each row once).

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { iso } from '../rows.js';
import type { Coordination, ReplicaInfo, TakenOver } from '../store.js';
import type { PgSession } from './session.js';

/** Dead replicas stay listed (alive: false) this many leases after their last heartbeat, then go. */
const LISTED_LEASES = 10;

export class PgCoordination implements Coordination {
  readonly replica = randomUUID();
  private running: string[] = [];
  private scheduler = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: PgSession, readonly leaseMs: number) {}

  /** Registers this process and keeps its lease while the store is open (a `vigil run` keeps its runs from being reaped). */
  async register(): Promise<void> {
    await this.db.run(`INSERT INTO vigil_replicas (id, host, pid, started_at, last_seen, lease_ms) VALUES (?, ?, ?, now(), now(), ?)`,
      [this.replica, os.hostname(), process.pid, this.leaseMs]);
    this.timer = setInterval(() => { void this.renew().catch(() => undefined); }, Math.max(250, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    await this.db.run(`UPDATE vigil_replicas SET last_seen = now(), scheduler = ?, running = ? WHERE id = ?`,
      [this.scheduler, JSON.stringify(this.running), this.replica]);
  }

  async claimTick(dataset: string, scheduledFor: string): Promise<'run' | 'busy' | 'taken'> {
    // The row is inserted once (its key); whoever inserted it decides the tick. Busy: a live replica
    // still runs an earlier tick of the dataset, so this one is skipped (recorded by the claimer).
    const won = await this.db.rows(`INSERT INTO schedule_claims (dataset, scheduled_for, replica, claimed_at, done)
      SELECT ?::text, ?::timestamptz, ?::text, now(), EXISTS (SELECT 1 FROM schedule_claims c JOIN vigil_replicas p ON p.id = c.replica
        WHERE c.dataset = ? AND NOT c.done AND c.scheduled_for <> ?::timestamptz AND p.last_seen >= now() - p.lease_ms * interval '1 millisecond')
      ON CONFLICT DO NOTHING RETURNING done`, [dataset, scheduledFor, this.replica, dataset, scheduledFor]);
    if (won.length === 0) return 'taken';
    return won[0]?.done === true ? 'busy' : 'run';
  }

  async tickDone(dataset: string, scheduledFor: string): Promise<void> {
    await this.db.run(`UPDATE schedule_claims SET done = true WHERE dataset = ? AND scheduled_for = ? AND replica = ?`, [dataset, scheduledFor, this.replica]);
  }

  async heartbeat(running: string[]): Promise<void> {
    this.scheduler = true;
    this.running = running;
    await this.renew();
  }

  async reapDead(at: string): Promise<TakenOver[]> {
    return this.db.transaction(async (tx) => {
      const dead = `SELECT id FROM vigil_replicas WHERE last_seen < ?::timestamptz - lease_ms * interval '1 millisecond'`;
      await tx.run(`UPDATE runs SET status = 'aborted', finished_at = ? WHERE status = 'running' AND replica IN (${dead})`, [at, at]);
      // SKIP LOCKED: two reapers never wait on each other; each unfinished tick goes to exactly one of them.
      const taken = await tx.rows(`UPDATE schedule_claims c SET replica = ?, claimed_at = now()
        WHERE (c.dataset, c.scheduled_for) IN (SELECT dataset, scheduled_for FROM schedule_claims
          WHERE NOT done AND replica IN (${dead}) FOR UPDATE SKIP LOCKED)
        RETURNING c.dataset, c.scheduled_for`, [this.replica, at]);
      await tx.run(`DELETE FROM vigil_replicas WHERE last_seen < ?::timestamptz - ? * lease_ms * interval '1 millisecond'`, [at, LISTED_LEASES]);
      return taken.map((r) => ({ dataset: String(r.dataset), scheduledFor: iso(r.scheduled_for) }));
    });
  }

  async replicas(): Promise<ReplicaInfo[]> {
    const rows = await this.db.rows(`SELECT id, host, pid, started_at, last_seen, running,
      last_seen >= now() - lease_ms * interval '1 millisecond' AS alive
      FROM vigil_replicas WHERE scheduler OR id = ? ORDER BY started_at, id`, [this.replica]);
    return rows.map((r) => ({
      id: String(r.id), host: String(r.host), pid: Number(r.pid), started_at: iso(r.started_at), last_seen: iso(r.last_seen),
      alive: r.alive === true, running: Array.isArray(r.running) ? (r.running as unknown[]).map(String) : [],
    }));
  }

  async lastScheduledAt(): Promise<string | null> {
    const [r] = await this.db.rows(`SELECT max(claimed_at) AS at FROM schedule_claims`);
    return r?.at ? iso(r.at) : null;
  }

  /** Stops the lease and removes this process's row: a clean exit is not a death. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.db.run(`DELETE FROM vigil_replicas WHERE id = ?`, [this.replica]).catch(() => undefined);
  }
}
