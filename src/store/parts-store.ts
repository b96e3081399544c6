// A Store made of its concerns: runs and plain reads, history, incidents and
// the outbox, each a part a store implements in its own dialect; the store
// itself adds how results are written, its revisions and closing.

import type { ColumnInfo, Status } from '../checks/kind.js';
import type {
  AckOutcome, Acknowledgement, BeginRun, BucketCount, Coordination, CheckResult, CountWindow, DatasetRun, DatasetRunSummary, DeliveryProblem, History, IncidentPlanner, IncidentWithHistory, LatestResult, OutboxPatch,
  IncidentRow, OutboxRow, OutboxState, RecordedBand, RecordedValue, RunRecord, RunStatus, Store, StoreRevision, StoredSilence, ValueWindow, WindowCount,
} from './store.js';

/** How a process opens a store: the lease its replica row holds (replicas.lease). */
export interface StoreOptions {
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 60_000;

export type RunsPart = Pick<Store, 'beginRun' | 'finishRun' | 'runs' | 'abortRunning' | 'lastDatasetRuns' | 'lastTicks' | 'recordSkippedTick' | 'skippedTicks'
  | 'recentDatasetRuns' | 'notPassingChecks' | 'schemaSnapshots' | 'latestStates' | 'latestState' | 'lastSchema' | 'lastSchemas'>;
export type HistoryPart = Pick<Store, 'checkHistory' | 'hourlyCounts' | 'windowCounts' | 'checkValues' | 'checkBands'>;
export type IncidentsPart = Pick<Store, 'incidents' | 'openIncidentCounts' | 'dueOutbox' | 'outbox' | 'updateOutbox'
  | 'recordSent' | 'deliveryProblems' | 'acknowledge' | 'addSilence' | 'silences' | 'expireSilence'>;

export abstract class PartsStore implements Store {
  constructor(protected readonly parts: { runs: RunsPart; history: HistoryPart; incidents: IncidentsPart }) {}

  abstract recordDataset(runId: string, run: DatasetRun, planner?: IncidentPlanner): Promise<void>;
  abstract revision(): Promise<StoreRevision>;
  abstract close(): Promise<void>;
  abstract readonly coordination: Coordination;

  beginRun(run: BeginRun): Promise<void> {
    return this.parts.runs.beginRun(run);
  }

  finishRun(runId: string, finishedAt: string, summary: Record<Status, number>, status: RunStatus): Promise<void> {
    return this.parts.runs.finishRun(runId, finishedAt, summary, status);
  }

  lastSchema(dataset: string): Promise<ColumnInfo[] | null> {
    return this.parts.runs.lastSchema(dataset);
  }

  lastSchemas(): Promise<Map<string, ColumnInfo[]>> {
    return this.parts.runs.lastSchemas();
  }

  async latestResults(): Promise<CheckResult[]> {
    return (await this.parts.runs.latestStates()).map(({ run_id: _r, recorded_at: _a, ...rest }) => rest);
  }

  latestStates(): Promise<LatestResult[]> {
    return this.parts.runs.latestStates();
  }

  latestState(checkId: string): Promise<LatestResult | null> {
    return this.parts.runs.latestState(checkId);
  }

  runs(limit: number): Promise<RunRecord[]> {
    return this.parts.runs.runs(limit);
  }

  abortRunning(at: string): Promise<number> {
    return this.parts.runs.abortRunning(at);
  }

  lastDatasetRuns(): Promise<Map<string, Date>> {
    return this.parts.runs.lastDatasetRuns();
  }

  lastTicks(): Promise<Map<string, Date>> {
    return this.parts.runs.lastTicks();
  }

  recordSkippedTick(dataset: string, at: string, reason: string): Promise<void> {
    return this.parts.runs.recordSkippedTick(dataset, at, reason);
  }

  skippedTicks(): Promise<Map<string, { count: number; last: string }>> {
    return this.parts.runs.skippedTicks();
  }

  recentDatasetRuns(dataset: string, limit: number): Promise<DatasetRunSummary[]> {
    return this.parts.runs.recentDatasetRuns(dataset, limit);
  }

  notPassingChecks(dataset: string, runIds: string[]): Promise<Map<string, Array<{ check: string; name: string; status: Status }>>> {
    return this.parts.runs.notPassingChecks(dataset, runIds);
  }

  schemaSnapshots(dataset: string): Promise<Array<{ run_id: string; recorded_at: string; columns: ColumnInfo[] }>> {
    return this.parts.runs.schemaSnapshots(dataset);
  }

  incidents(opts: { state?: 'open' | 'resolved' | 'all'; limit?: number; dataset?: string }): Promise<IncidentWithHistory[]> {
    return this.parts.incidents.incidents(opts);
  }

  openIncidentCounts(): Promise<Map<string, number>> {
    return this.parts.incidents.openIncidentCounts();
  }

  acknowledge(incidentId: string, ack: Acknowledgement, notify: (incident: IncidentRow) => OutboxRow[]): Promise<AckOutcome> {
    return this.parts.incidents.acknowledge(incidentId, ack, notify);
  }

  addSilence(silence: StoredSilence): Promise<void> {
    return this.parts.incidents.addSilence(silence);
  }

  silences(opts: { now: string; all?: boolean }): Promise<StoredSilence[]> {
    return this.parts.incidents.silences(opts);
  }

  expireSilence(id: string, at: string, by: string): Promise<StoredSilence | null> {
    return this.parts.incidents.expireSilence(id, at, by);
  }

  dueOutbox(now: string, limit: number): Promise<OutboxRow[]> {
    return this.parts.incidents.dueOutbox(now, limit);
  }

  outbox(opts?: { state?: OutboxState; limit?: number }): Promise<OutboxRow[]> {
    return this.parts.incidents.outbox(opts);
  }

  updateOutbox(key: string, patch: OutboxPatch): Promise<void> {
    return this.parts.incidents.updateOutbox(key, patch);
  }

  recordSent(incidentIds: string[], at: string): Promise<void> {
    return this.parts.incidents.recordSent(incidentIds, at);
  }

  deliveryProblems(): Promise<DeliveryProblem[]> {
    return this.parts.incidents.deliveryProblems();
  }

  checkHistory(checkId: string, from: Date, to: Date, resolution: 'run' | 'hour' | 'day'): Promise<History> {
    return this.parts.history.checkHistory(checkId, from, to, resolution);
  }

  hourlyCounts(checkIds: string[], from: Date): Promise<Map<string, BucketCount[]>> {
    return this.parts.history.hourlyCounts(checkIds, from);
  }

  windowCounts(windows: CountWindow[]): Promise<Map<string, WindowCount>> {
    return this.parts.history.windowCounts(windows);
  }

  checkValues(windows: ValueWindow[]): Promise<Map<string, RecordedValue[]>> {
    return this.parts.history.checkValues(windows);
  }

  checkBands(checkId: string, from: Date, to: Date): Promise<RecordedBand[]> {
    return this.parts.history.checkBands(checkId, from, to);
  }
}
