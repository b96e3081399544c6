// What the rest of vigil needs from the results store. DuckDB file now;
// a postgres:// store later implements the same interface.

import type { ColumnInfo, Status } from '../checks/kind.js';

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
}

export interface Store {
  beginRun(run: { runId: string; startedAt: string; trigger: string; selectors: string[] }): Promise<void>;
  /** Records one dataset's results and schema in one transaction: all or nothing. */
  recordDataset(runId: string, run: DatasetRun): Promise<void>;
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
  recordSkippedTick(dataset: string, at: string, reason: string): Promise<void>;
  /** Skipped ticks per dataset: how many and the latest. */
  skippedTicks(): Promise<Map<string, { count: number; last: string }>>;
  close(): Promise<void>;
}
