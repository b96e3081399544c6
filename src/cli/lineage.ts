// vigil lineage: the dataset graph from `upstream:` with each dataset's
// current status — as a table (text), a mermaid `graph LR`, or the JSON of
// GET /api/lineage. Statuses come from the running daemon when there is one
// (it holds the store), else from the store, else `unknown`.

import { existsSync } from 'node:fs';
import { blockingDiagnostics, loadProject } from '../config/loader.js';
import { lineageView } from '../lineage/view.js';
import type { LineageNodeKind } from '../lineage/graph.js';
import type { DatasetStatus, LineageResponse } from '../server/api-types.js';
import { datasetStatus, latestById } from '../server/views.js';
import { openRuntime } from '../run/runtime.js';
import { createLogger } from '../util/log.js';
import { daemonRequest, findDaemon } from './daemon-client.js';
import { colors, diagnosticsJson, printDiagnostics, table, writeJson } from './output.js';

const FORMATS = ['text', 'mermaid', 'json'] as const;
type Format = (typeof FORMATS)[number];

export async function lineageCommand(opts: { config?: string; format?: string }): Promise<number> {
  const format = (opts.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    process.stderr.write(`vigil lineage: --format must be one of ${FORMATS.join(', ')} (got ${opts.format})\n`);
    return 3;
  }
  const { project, diagnostics } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const errors = blockingDiagnostics(diagnostics, 'run', project);
  if (errors.length) {
    if (format === 'json') writeJson(diagnosticsJson(errors));
    else printDiagnostics(errors);
    return 3;
  }
  let graph: LineageResponse;
  const daemon = await findDaemon(project);
  if (daemon) {
    const res = await daemonRequest<LineageResponse>(daemon, 'GET', '/api/lineage');
    if (res.status !== 200) throw new Error(`vigil serve answered ${res.status} to GET /api/lineage`);
    graph = res.body;
  } else {
    let latest = latestById([]);
    if (existsSync(project.storePath)) {
      const runtime = await openRuntime(project, { log: createLogger() });
      try { latest = latestById(await runtime.store.latestStates()); } finally { await runtime.close(); }
    }
    const byName = new Map(project.datasets.map((d) => [d.name, d]));
    graph = lineageView(project.datasets, (name) => {
      const d = byName.get(name);
      return d ? datasetStatus(d, latest) : 'unknown';
    });
  }
  if (format === 'json') writeJson(graph);
  else process.stdout.write(`${format === 'mermaid' ? mermaid(graph) : text(graph)}\n`);
  return 0;
}

const STYLE: Record<DatasetStatus, (s: string) => string> = {
  pass: colors.green, warn: colors.yellow, fail: colors.red, error: (s) => colors.bold(colors.magenta(s)), unknown: colors.dim,
};

/** Sources first (Kahn's order; the graph has no cycles — they are validation errors), then by name. */
function topological(graph: LineageResponse): string[] {
  const indegree = new Map(graph.nodes.map((n) => [n.name, 0]));
  for (const e of graph.edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const out: string[] = [];
  let ready = [...indegree].filter(([, d]) => d === 0).map(([n]) => n).sort();
  while (ready.length) {
    const n = ready.shift() as string;
    out.push(n);
    for (const e of graph.edges.filter((x) => x.from === n)) {
      const d = (indegree.get(e.to) ?? 0) - 1;
      indegree.set(e.to, d);
      if (d === 0) ready = [...ready, e.to].sort();
    }
  }
  for (const n of graph.nodes) if (!out.includes(n.name)) out.push(n.name);
  return out;
}

export function text(graph: LineageResponse): string {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const ups = (name: string) => graph.edges.filter((e) => e.to === name).map((e) => e.from).sort();
  const downs = (name: string) => graph.edges.filter((e) => e.from === name).map((e) => e.to).sort();
  const rows = [['DATASET', 'STATUS', 'OWNER', 'UPSTREAM', 'DOWNSTREAM'].map((h) => colors.dim(h))];
  for (const name of topological(graph)) {
    const n = nodes.get(name);
    if (!n) continue;
    rows.push([
      n.kind === 'dataset' ? name : `${name} ${colors.dim(KIND_NOTE[n.kind])}`,
      n.kind === 'dataset' ? STYLE[n.status](n.status.toUpperCase()) : colors.dim('—'),
      n.owner ?? '—',
      ups(name).join(', ') || '—',
      downs(name).join(', ') || '—',
    ]);
  }
  const lines = [table(rows, 200)];
  const risky = graph.nodes.filter((n) => (n.status === 'fail' || n.status === 'error') && n.at_risk.length > 0);
  if (risky.length) {
    lines.push('');
    for (const n of risky) lines.push(`${STYLE[n.status](`${n.name} is ${n.status}`)}: at risk downstream: ${n.at_risk.join(', ')}`);
  }
  if (graph.nodes.length === 0) return 'no datasets';
  return lines.join('\n');
}

const KIND_NOTE: Record<Exclude<LineageNodeKind, 'dataset'>, string> = {
  external: '(external source)',
  undeclared: '(not in this project)',
};

/** Mermaid classes: one per status of a dataset, one per kind of node that is not a dataset. */
const CLASS_DEF: Record<DatasetStatus | Exclude<LineageNodeKind, 'dataset'>, string> = {
  pass: 'fill:#dcfce7,stroke:#15803d,color:#14532d',
  warn: 'fill:#fef3c7,stroke:#b45309,color:#78350f',
  fail: 'fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
  error: 'fill:#f3e8ff,stroke:#7e22ce,color:#581c87',
  unknown: 'fill:#f3f4f6,stroke:#6b7280,color:#374151',
  external: 'fill:#f8fafc,stroke:#475569,color:#334155,stroke-dasharray:5 5',
  undeclared: 'fill:#ffffff,stroke:#9ca3af,color:#6b7280,stroke-dasharray:2 4',
};

/** Text inside a quoted Mermaid label: entity codes for what Mermaid or its HTML labels would read as syntax. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * Mermaid flowchart, left to right; node ids are n0, n1, … (names may hold dots, dashes, anything).
 * Datasets are boxes labelled with their status; external sources are cylinders. Classes are
 * assigned with `class id,id name` lines — `style a,b …` would name one node "a,b".
 */
export function mermaid(graph: LineageResponse): string {
  const order = topological(graph);
  const id = new Map(order.map((name, i) => [name, `n${i}`]));
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const lines = ['graph LR'];
  const members = new Map<string, string[]>();
  for (const name of order) {
    const n = nodes.get(name);
    const nodeId = id.get(name);
    if (!n || !nodeId) continue;
    const cls = n.kind === 'dataset' ? n.status : n.kind;
    (members.get(cls) ?? members.set(cls, []).get(cls)!).push(nodeId);
    if (n.kind === 'dataset') lines.push(`  ${nodeId}["${mermaidText(name)}<br/>${n.status}"]`);
    else if (n.kind === 'external') lines.push(`  ${nodeId}[("${mermaidText(name)}<br/>external source")]`);
    else lines.push(`  ${nodeId}["${mermaidText(name)}<br/>not in this project"]`);
  }
  for (const e of graph.edges) lines.push(`  ${id.get(e.from)} --> ${id.get(e.to)}`);
  for (const [cls, style] of Object.entries(CLASS_DEF)) {
    const ids = members.get(cls);
    if (!ids) continue;
    lines.push(`  classDef ${cls} ${style}`);
    lines.push(`  class ${ids.join(',')} ${cls}`);
  }
  return lines.join('\n');
}
