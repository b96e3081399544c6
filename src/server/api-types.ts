// The JSON the dashboard API answers with (SPEC section 6). One declaration
// shared by the server that builds it and the pages that read it; docs/api.md
// shows an example of each.

import type { Status } from '../checks/kind.js';
import type { LineageNodeKind } from '../lineage/graph.js';

/** `unknown`: configured but never run (or no result recorded yet). */
export type DatasetStatus = Status | 'unknown';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface FreshnessState {
  check: string;
  status: Status;
  /** Seconds between the check's evaluation and the newest timestamp; null when there was none. */
  age_seconds: number | null;
  warn_after_seconds: number | null;
  fail_after_seconds: number | null;
  evaluated_at: string;
}

export interface SloSummary {
  check: string;
  /** percent, e.g. 99.5 */
  target: number;
  window_seconds: number;
  /** percent of runs in the window where the check was not failing; null with no runs */
  attainment: number | null;
  /** percent of the error budget left (can go below 0 when overspent); null with no runs */
  budget_remaining: number | null;
  /**
   * `no_runs`, `too_few_runs` (fewer runs than `runs_needed`: the budget does not allow one
   * failing run yet, so budget figures say little) or `enough`.
   */
  data: 'no_runs' | 'too_few_runs' | 'enough';
  /** runs in the window before its budget allows one failing run (⌈1 / (1 − target)⌉); null for a 100% target */
  runs_needed: number | null;
  /** runs in the window */
  runs: number;
}

/** One row of the overview: GET /api/datasets → { generated_at, config_problems, datasets: DatasetSummary[] } */
export interface DatasetSummary {
  name: string;
  description: string | null;
  owner: string | null;
  tags: string[];
  runbook: string | null;
  /** Where the runbook link goes: an http(s) URL as written, or the dashboard page of a local Markdown runbook (/datasets/NAME/runbook). */
  runbook_url: string | null;
  /** check file, relative to the project root */
  file: string;
  schedule: string;
  status: DatasetStatus;
  counts: Record<Status, number>;
  last_run_at: string | null;
  freshness: FreshnessState | null;
  slos: SloSummary[];
  upstream: string[];
  downstream: string[];
  /** open incidents of this dataset's checks */
  open_incidents: number;
}

export interface DatasetsResponse {
  generated_at: string;
  config_problems: ConfigProblem[];
  datasets: DatasetSummary[];
}

export interface CheckState {
  id: string;
  name: string;
  kind: string;
  /** the check's `description:` from its check file */
  description: string | null;
  status: DatasetStatus;
  value: number | null;
  unit: string | null;
  message: string | null;
  thresholds: Record<string, unknown>;
  details: Record<string, unknown>;
  runbook: string | null;
  /** As DatasetSummary.runbook_url (a local runbook: /datasets/NAME/runbook?check=ID). */
  runbook_url: string | null;
  evaluated_at: string | null;
}

export interface SchemaChange {
  at: string;
  run_id: string;
  added: Array<{ name: string; type: string }>;
  removed: Array<{ name: string; type: string }>;
  retyped: Array<{ column: string; from: string; to: string }>;
}

export interface RunBrief {
  run_id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  status: DatasetStatus;
  error: string | null;
  /** The checks that did not pass in that run (check id, name, status), worst first. */
  not_passing: Array<{ check: string; name: string; status: Status }>;
}

/** GET /api/datasets/:name (404 { error } when unknown) */
export interface DatasetDetail extends DatasetSummary {
  source: string;
  checks: CheckState[];
  schema: Array<{ name: string; type: string }> | null;
  schema_changes: SchemaChange[];
  recent_runs: RunBrief[];
  /** `kind` as in GET /api/lineage: only a `dataset` has a page of its own. */
  upstream_status: Array<{ name: string; status: DatasetStatus; kind: LineageNodeKind }>;
  downstream_status: Array<{ name: string; status: DatasetStatus; kind: LineageNodeKind }>;
}

export interface HistoryPoint {
  /** bucket start (or the run's evaluation time when not downsampled) */
  at: string;
  /** last value in the bucket */
  value: number | null;
  min: number | null;
  max: number | null;
  /** worst status in the bucket */
  status: Status;
  runs: number;
}

/**
 * GET /api/checks/:id/history?days=30 (default 30, at most 400)
 * → { check, dataset, kind, unit, thresholds, resolution, band?, points }
 * resolution: 'run' (every result, short windows), 'hour' or 'day' (downsampled).
 * band (anomaly checks): the expected band of every run in the window that had one, at the run's time.
 */
export interface CheckHistory {
  check: string;
  dataset: string;
  kind: string;
  unit: string | null;
  thresholds: Record<string, unknown>;
  resolution: 'run' | 'hour' | 'day';
  from: string;
  to: string;
  band?: Array<{ at: string; value: number | null; expected: number; lower: number; upper: number; anomalous: boolean }>;
  points: HistoryPoint[];
}

/** GET /api/lineage → LineageResponse */
export interface LineageResponse {
  /**
   * `kind`: `dataset` (checked here), `external` (declared `{ name, external: true }`: a source
   * outside the project, no status of its own) or `undeclared` (named as an upstream, neither).
   * `description` is an external source's own; datasets' descriptions are in /api/datasets.
   */
  nodes: Array<{
    name: string; external: boolean; kind: LineageNodeKind; status: DatasetStatus; owner: string | null;
    description: string | null; at_risk: string[];
  }>;
  edges: Array<{ from: string; to: string }>;
}

export interface SloDetail extends SloSummary {
  dataset: string;
  /** check id */
  check_id: string;
  runs_in_window: number;
  failing_runs: number;
  /** failing runs the budget allows over the window at the current run rate */
  budget_runs: number | null;
  /** budget left as time, seconds (budget share × window) */
  budget_remaining_seconds: number | null;
  burn_rates: { '1h': number | null; '6h': number | null; '24h': number | null; '3d': number | null };
  /** error budget remaining (percent) over the window, for the burn-down chart */
  burndown: Array<{ at: string; budget_remaining: number }>;
  /** target 100%: there is no error budget; budget_remaining is 100 until a failing run, then null, and a failing window's burn rate is null (infinite) */
  zero_budget: boolean;
  /** the budget is used up (remaining ≤ 0, or a zero budget with a failing run) */
  budget_exhausted: boolean;
  /** what the pages show: budget left clamped to −100…100 %, budget left as time not below 0 */
  shown: { budget_remaining: number | null; budget_remaining_seconds: number | null };
  /** each burn rate in words ("3 of 24 runs failed in the last 24 hours: the budget burns 12.5× as fast as …") */
  burn_words: { '1h': string; '6h': string; '24h': string; '3d': string };
}

/** GET /api/slos → { slos: SloDetail[] } */
export interface SlosResponse {
  slos: SloDetail[];
}

export interface IncidentJson {
  id: string;
  check: string;
  dataset: string;
  kind: string;
  /** current (or last, when resolved) status of the check */
  status: Status;
  state: 'open' | 'resolved';
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  duration_seconds: number;
  /** When a notification of it last reached a channel (null: none has — queued, retrying or failed). */
  last_notification_at: string | null;
  /** When one was last queued: the clock of reminders. */
  last_notification_queued_at: string | null;
  last_event: 'opened' | 'escalated' | 'reminder' | 'acknowledged' | 'resolved' | null;
  /** The silence muting it now (an alert file's, or one kept in the store with its id and who added it), or null. */
  silenced: { reason: string; until: string; id?: string; by?: string } | null;
  /** This incident's page (/incidents/ID). */
  url: string;
  /** Who took it (vigil ack, the page, the API): it then sends no reminders, but still escalates and resolves. */
  acknowledged: { by: string; at: string; reason: string | null } | null;
  runbook: string | null;
  runbook_url: string | null;
  owner: string | null;
  message: string;
  history: Array<{ at: string; status: Status; event: string | null }>;
  /** The failing upstream incident that explains this one (docs/oncall.md), or null. */
  root: { id: string; check: string; dataset: string; state: 'open' | 'resolved' } | null;
  /** Open, explained by an open root and nobody told: its notifications are held back. */
  held: boolean;
  /** Ids of the incidents this one is the root cause of. */
  downstream: string[];
}

/** GET /api/incidents?state=open|resolved|all (default all, newest first, limit 200) → { incidents } */
export interface IncidentsResponse {
  incidents: IncidentJson[];
}
