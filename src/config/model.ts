// The loaded project: what the loader hands to the planner. Plain data,
// resolved (absolute paths, defaults applied), with positions for messages.

import type { AlertsConfig } from '../alerts/schema.js';
import type { AnomalyConfig } from '../anomaly/config.js';
import type { CheckKindName, Config, SourceFormat, Threshold } from './schema.js';

export interface Position {
  file: string;
  line: number;
  col: number;
}

export type ResolvedSource =
  | { type: 'file'; path: string; format: SourceFormat; options: Record<string, unknown>; display: string }
  | { type: 'sql'; sql: string; display: string }
  /** A table (`table`) or a query (`sql`) on a warehouse connection of vigil.yaml. */
  | { type: 'connection'; connection: string; table?: string; sql?: string; display: string };

export interface CheckDef {
  /** `<dataset>.<name>` */
  id: string;
  name: string;
  kind: CheckKindName;
  dataset: string;
  /** The kind's own options as written (validated by its zod schema). */
  options: Record<string, unknown>;
  /** For checks expanded from `columns: [...]`, the one column this check covers. */
  column?: string;
  where?: string;
  runbook?: string;
  owner?: string;
  tags: string[];
  description?: string;
  warn?: Threshold;
  fail?: Threshold;
  /** `anomaly:` with its defaults (SPEC section 7). */
  anomaly?: AnomalyConfig;
  pos: Position;
  /** Where each column the check reads is written, for unknown-column messages. */
  columnPos: Record<string, Position>;
  /** Where `where:` and `query:` are written. */
  optionPos: Record<string, Position>;
}

export interface SloObjective {
  check: string;
  /** percent, e.g. 99.5 */
  target: number;
  /** burn_rate: multiwindow burn-rate alerts on this objective (src/slo/burn.ts). */
  alert?: 'burn_rate';
}

/** A source outside this project that datasets are built from: drawn in lineage, never checked. */
export interface ExternalSource {
  name: string;
  description?: string;
  owner?: string;
}

export interface DatasetDef {
  name: string;
  file: string;
  description?: string;
  source: ResolvedSource;
  owner?: string;
  tags: string[];
  runbook?: string;
  schedule: string;
  timezone: string;
  timeoutSeconds: number;
  filter?: string;
  filterPos?: Position;
  /** Names of every upstream, datasets and external sources alike, in the file's order. */
  upstream: string[];
  upstreamPos: Position[];
  /** Upstreams this file declares as sources outside the project (`{ name, external: true }`). */
  externalUpstream?: ExternalSource[];
  slo?: { windowSeconds: number; objectives: SloObjective[] };
  checks: CheckDef[];
  pos: Position;
}

export interface Project {
  configFile: string;
  /** Folder of vigil.yaml: every relative path in it is resolved from here. */
  root: string;
  config: Config;
  storePath: string;
  datasets: DatasetDef[];
  /** Channels, routes, policy and silences merged from every valid alert file. */
  alerts: AlertsConfig;
}
