// What the rest of vigil needs from the results store: data in, data out.
// Pages, their JSON and their caches live above it (server/); a store says
// what it holds and what changed (revision()), for every process sharing it.

import type { ColumnInfo, Status } from '../checks/kind.js';
import type { HistoryPoints } from './history-points.js';

export interface CheckResult {
  check: string;
  dataset: string;
  kind: string;
  name: string;
  status: Status;
  value: number | null;
  unit: string;
  message: string;
  runbook: string | null;
  owner: string | null;
  tags: string[];
  thresholds: Record<string, unknown>;
  details: Record<string, unknown>;
  evaluated_at: string;
  duration_ms: number;
}

export interface QueryTiming {
  label: string;
  sql: string;
  ms: number;
  error?: string;
}

export interface DatasetRun {
  dataset: string;
  startedAt: string;
  finishedAt: string;
  results: CheckResult[];
  /** Columns as described this run; null when the source could not be read. */
  schema: ColumnInfo[] | null;
  error: string | null;
  queries: QueryTiming[];
}

export type RunStatus = 'running' | 'completed' | 'aborted';

export interface RunRecord {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  trigger: string;
  selectors: string[];
  summary: Record<Status, number>;
  /** The datasets the run ran. */
  datasets: string[];
  /** The tick a scheduled run was for; null otherwise. */
  scheduled_for: string | null;
  /** The process that ran it (Coordination.replica); null for runs recorded before replicas. */
  replica: string | null;
}

export interface BeginRun {
  runId: string;
  startedAt: string;
  trigger: string;
  selectors: string[];
  datasets?: string[];
  scheduledFor?: string | null;
}

/** A process sharing the store, as /healthz and vigil status show it. */
export interface ReplicaInfo {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  last_seen: string;
  alive: boolean;
  /** Datasets it is running now. */
  running: string[];
}

/** A tick of a dataset taken over from a replica that died while running it. */
export interface TakenOver {
  dataset: string;
  scheduledFor: string;
}

/**
 * How processes sharing a store divide the work (a store only one process can open answers for
 * itself alone). Every process that opens a store is one replica; `vigil serve` heartbeats it.
 */
export interface Coordination {
  /** This process's id, recorded on its runs. */
  readonly replica: string;
  /** How long a replica not heard from is still alive (replicas.lease). */
  readonly leaseMs: number;
  /**
   * Claims a dataset's tick: exactly one process per (dataset, tick) gets 'run' (to run it) or 'busy'
   * (to record it skipped: another replica still runs an earlier tick); every other gets 'taken'.
   */
  claimTick(dataset: string, scheduledFor: string): Promise<'run' | 'busy' | 'taken'>;
  /** The tick's run is recorded (completed or aborted by this process): nobody takes it over. */
  tickDone(dataset: string, scheduledFor: string): Promise<void>;
  /** Renews this process's lease, saying what it runs (a scheduler: it is then listed as a replica). */
  heartbeat(running: string[]): Promise<void>;
  /** Marks the runs of replicas whose lease ran out aborted, and takes over their unfinished ticks (each for one process). */
  reapDead(at: string): Promise<TakenOver[]>;
  /** Schedulers alive or recently seen, this one included. */
  replicas(): Promise<ReplicaInfo[]>;
  /** When any replica last claimed a tick (null: never). */
  lastScheduledAt(): Promise<string | null>;
}

/** acknowledged: someone took the incident (vigil ack, the page, the API); it then sends no reminders. */
export type IncidentEventName = 'opened' | 'escalated' | 'reminder' | 'acknowledged' | 'resolved';

/** One incident: a check's failing period (alerts/incidents.ts decides its transitions). */
export interface IncidentRow {
  id: string;
  checkId: string;
  dataset: string;
  kind: string;
  state: 'open' | 'resolved';
  /** Latest status seen (the last non-pass one once resolved). */
  status: Status;
  /** Status as of the last notification; null while nobody has been told. */
  notifiedStatus: Status | null;
  openedAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  /** When a notification was last decided (queued): the clock of reminders. */
  lastNotifiedAt: string | null;
  /** When a notification of it last reached a channel (null: none has, yet). Written by the deliverer only. */
  lastSentAt: string | null;
  lastEvent: IncidentEventName | null;
  silencedReason: string | null;
  silencedUntil: string | null;
  runbook: string | null;
  owner: string | null;
  message: string;
  /** Who acknowledged it (vigil ack, the page, the API), when and why; null while nobody has. Written only by acknowledge(). */
  acknowledgedBy?: string | null;
  acknowledgedAt?: string | null;
  ackReason?: string | null;
}

/** An acknowledgement: who took the incident, when, why (optional). */
export interface Acknowledgement {
  by: string;
  at: string;
  reason: string | null;
}

/** What acknowledge() did: the incident as it is now (null when there is no such incident). */
export type AckOutcome =
  | { outcome: 'acknowledged'; incident: IncidentRow }
  | { outcome: 'already'; incident: IncidentRow }
  | { outcome: 'resolved'; incident: IncidentRow }
  | { outcome: 'not_found'; incident: null };

/**
 * A silence kept in the store (vigil silence add, the page, the API): mutes the notifications of the
 * incidents its match selects from createdAt until endsAt, or until someone expires it.
 */
export interface StoredSilence {
  id: string;
  /** The same match as a file silence's (alerts/*.yaml), as JSON: { dataset?, owner?, tags?, status?, kind?, check? } of string lists. */
  match: Record<string, string[]>;
  /** How it was written (e.g. "orders kind:freshness"), for display. */
  selector: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  endsAt: string;
  /** Set when someone ended it before endsAt. */
  expiredAt: string | null;
  expiredBy: string | null;
}

export interface IncidentHistoryRow {
  incidentId: string;
  at: string;
  status: Status;
  event: IncidentEventName | null;
  runId: string;
}

/** pending: to send; delivered; failed: a permanent failure (not retried); silenced: muted, recorded only. */
export type OutboxState = 'pending' | 'delivered' | 'failed' | 'silenced';

export interface OutboxRow {
  key: string;
  channel: string;
  dataset: string;
  runId: string | null;
  payload: unknown;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** A delivery attempt's outcome, as recorded on its outbox row. */
export interface OutboxPatch {
  state: OutboxState;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** A channel whose latest notifications failed for good (not retried), since its last delivered one. */
export interface DeliveryProblem {
  channel: string;
  /** Notifications that failed for good since the channel's last delivery. */
  failed: number;
  /** When the first of them was queued. */
  since: string;
  /** The newest one's error (redacted) and dataset. */
  lastError: string;
  dataset: string;
}

export interface IncidentWrites {
  incidents: Array<{ row: IncidentRow; insert: boolean }>;
  history: IncidentHistoryRow[];
  outbox: OutboxRow[];
}

/**
 * Given the dataset's open incidents (by check id), read inside the results'
 * transaction, says what to write in that same transaction.
 */
export type IncidentPlanner = (open: Map<string, IncidentRow>) => IncidentWrites;

/** A check's latest result with the run it came from and when that dataset run was recorded. */
export interface LatestResult extends CheckResult {
  run_id: string;
  recorded_at: string;
}

/** An incident with its status history, oldest first. */
export interface IncidentWithHistory extends IncidentRow {
  history: Array<{ at: string; status: Status; event: IncidentEventName | null }>;
}

/** A check's history over a window, and what names it. */
export interface History {
  points: HistoryPoints;
  /**
   * Changes with every write to these points (random per write, kept in the store): with the window
   * asked for, it names them, so a response built from them need not be hashed for its ETag. '' when
   * the store cannot say (a reader then names the points by their content).
   */
  version: string;
}

/**
 * What the store holds, as a count of writes: every process sharing the store sees the same numbers
 * (they live in the store), so caches keyed on them are right whoever wrote.
 */
export interface StoreRevision {
  /** Changes with every recorded dataset (and anything else the dashboard shows). */
  all: number;
  /** Per dataset: changes with each write of that dataset's results. */
  datasets: ReadonlyMap<string, number>;
}

/** One point of a check's history: one result (resolution run) or one hour/day bucket of them. */
export interface HistoryRow {
  at: string;
  /** last value in the bucket */
  value: number | null;
  min: number | null;
  max: number | null;
  /** worst status as its rank (STATUS_RANK) */
  worst: number;
  runs: number;
  /** runs that were fail or error */
  failing: number;
}

/** Runs and failing runs of one check in one hour bucket (from the rollups; exact per bucket). */
export interface BucketCount {
  at: string;
  runs: number;
  failing: number;
}

/** Runs and failing runs of a check, summed over a window. */
export interface WindowCount {
  runs: number;
  failing: number;
}

/** A check's hour buckets whose start is after `after` and not after `upto`. */
export interface CountWindow {
  checkId: string;
  after: Date;
  upto: Date;
}

/** A check's results recorded with `evaluated_at` in [from, to). */
export interface ValueWindow {
  checkId: string;
  from: Date;
  to: Date;
}

/** One recorded value of a check. */
export interface RecordedValue {
  at: string;
  value: number;
}

/** An anomaly check's expected band at one recorded run (from its details.anomaly). */
export interface RecordedBand {
  at: string;
  value: number | null;
  expected: number;
  lower: number;
  upper: number;
  anomalous: boolean;
}

export interface DatasetRunSummary {
  run_id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  status: Status | 'unknown';
  error: string | null;
}

export interface Store {
  beginRun(run: BeginRun): Promise<void>;
  /** Records one dataset's results and schema (and, with a planner, its incidents and outbox rows) in one transaction: all or nothing. */
  recordDataset(runId: string, run: DatasetRun, incidents?: IncidentPlanner): Promise<void>;
  finishRun(runId: string, finishedAt: string, summary: Record<Status, number>, status: RunStatus): Promise<void>;
  lastSchema(dataset: string): Promise<ColumnInfo[] | null>;
  /** The last recorded schema of every dataset, in one read. */
  lastSchemas(): Promise<Map<string, ColumnInfo[]>>;
  latestResults(): Promise<CheckResult[]>;
  runs(limit: number): Promise<RunRecord[]>;
  /** Marks runs left `running` by a process that died as `aborted`; returns how many. */
  abortRunning(at: string): Promise<number>;
  /** When each dataset last finished a run. */
  lastDatasetRuns(): Promise<Map<string, Date>>;
  /**
   * Per dataset, the newest tick a scheduler took (a scheduled run's scheduled_for, or a tick it
   * recorded as skipped), whichever replica took it: what tells whether anybody is scheduling.
   */
  lastTicks(): Promise<Map<string, Date>>;
  recordSkippedTick(dataset: string, at: string, reason: string): Promise<void>;
  /** Skipped ticks per dataset: how many and the latest. */
  skippedTicks(): Promise<Map<string, { count: number; last: string }>>;
  /** Incidents, newest first (default: all states, 200), each with its history. */
  incidents(opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string }): Promise<IncidentWithHistory[]>;
  /** Open incidents per dataset. */
  openIncidentCounts(): Promise<Map<string, number>>;
  /**
   * Acknowledges an open incident, in one transaction: records who and why, an 'acknowledged' line in
   * its history, and the outbox rows `notify` gives for it (the 'acknowledged' notification, routed).
   */
  acknowledge(incidentId: string, ack: Acknowledgement, notify: (incident: IncidentRow) => OutboxRow[]): Promise<AckOutcome>;
  addSilence(silence: StoredSilence): Promise<void>;
  /** Stored silences, newest first: those not ended at `now` (expired by hand or past endsAt), or every one with `all`. */
  silences(opts: { now: string; all?: boolean }): Promise<StoredSilence[]>;
  /** Ends a silence now; null when there is no such silence. An ended one is returned as it is. */
  expireSilence(id: string, at: string, by: string): Promise<StoredSilence | null>;
  /** Pending outbox rows whose next attempt is due at `now`, oldest first — on a shared store, claimed for this process for a lease (no other process gets them until it runs out). */
  dueOutbox(now: string, limit: number): Promise<OutboxRow[]>;
  /** Outbox rows, oldest first (every state unless given). */
  outbox(opts?: { state?: OutboxState; limit?: number }): Promise<OutboxRow[]>;
  /** Records a delivery attempt's outcome. */
  updateOutbox(key: string, patch: OutboxPatch): Promise<void>;
  /** A notification about these incidents reached a channel at `at`: their lastSentAt (never moved back). */
  recordSent(incidentIds: string[], at: string): Promise<void>;
  /** Channels whose notifications fail for good: each one's failures since its last delivered notification. */
  deliveryProblems(): Promise<DeliveryProblem[]>;
  /** What the store holds now, as revisions (readers key caches on them). */
  revision(): Promise<StoreRevision>;
  /** The latest result of every check ever recorded, from the maintained latest_results table. */
  latestStates(): Promise<LatestResult[]>;
  /** One check's latest result (a key lookup). */
  latestState(checkId: string): Promise<LatestResult | null>;
  /**
   * A check's history from `from` (its hour or day bucket) to `to`: every result, or hourly / daily
   * rollups, in time order. An hourly window inside the check's recent hours reads those (one row).
   */
  checkHistory(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<History>;
  /** Hourly run / failing-run counts of these checks from the hour bucket holding `from` on. */
  hourlyCounts(checkIds: string[], from: Date): Promise<Map<string, BucketCount[]>>;
  /** Each window's runs and failing runs summed (every check asked for is in the map, with zeros when it has none). */
  windowCounts(windows: CountWindow[]): Promise<Map<string, WindowCount>>;
  /**
   * Each window's recorded values, oldest first, without results in `error` and null values:
   * the points a history-based anomaly check learns from (every check asked for is in the map).
   */
  checkValues(windows: ValueWindow[]): Promise<Map<string, RecordedValue[]>>;
  /** A check's recorded anomaly bands with `evaluated_at` in [from, to], oldest first (runs still learning have none). */
  checkBands(checkId: string, from: Date, to: Date): Promise<RecordedBand[]>;
  /** A dataset's newest runs, newest first. */
  recentDatasetRuns(dataset: string, limit: number): Promise<DatasetRunSummary[]>;
  /** The checks of a dataset that did not pass in each of these runs (run id → checks, in check id order). */
  notPassingChecks(dataset: string, runIds: string[]): Promise<Map<string, Array<{ check: string; name: string; status: Status }>>>;
  /** Every schema snapshot of a dataset (the baseline, then each change), oldest first. */
  schemaSnapshots(dataset: string): Promise<Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>>;
  /** How processes sharing this store divide the work. */
  readonly coordination: Coordination;
  close(): Promise<void>;
}
