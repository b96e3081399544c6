// vigil lineage: the dataset graph from `upstream:` with each dataset's
// current status — as a table (text), a mermaid `graph LR`, or the JSON of
// GET /api/lineage. Statuses come from the running daemon when there is one
// (it holds the store), else from the store, else `unknown`.

import { existsSync } from 'node:fs';
import { blockingDiagnostics, loadProject } from '../config/loader.js';
import { lineageView } from '../lineage/view.js';
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
      n.external ? `${name} ${colors.dim('(external)')}` : name,
      STYLE[n.status](n.status.toUpperCase()),
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

const CLASS_DEF: Record<DatasetStatus, string> = {
  pass: 'fill:#dcfce7,stroke:#15803d,color:#14532d',
  warn: 'fill:#fef3c7,stroke:#b45309,color:#78350f',
  fail: 'fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
  error: 'fill:#f3e8ff,stroke:#7e22ce,color:#581c87',
  unknown: 'fill:#f3f4f6,stroke:#6b7280,color:#374151',
};

/** Mermaid flowchart, left to right; node ids are n0, n1, … (dataset names may hold dots and dashes). */
export function mermaid(graph: LineageResponse): string {
  const order = topological(graph);
  const id = new Map(order.map((name, i) => [name, `n${i}`]));
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const lines = ['graph LR'];
  for (const name of order) {
    const n = nodes.get(name);
    if (!n) continue;
    const label = `${name}${n.external ? ' (external)' : ''}<br/>${n.status}`.replace(/"/g, '#quot;');
    lines.push(`  ${id.get(name)}["${label}"]:::${n.status}`);
  }
  for (const e of graph.edges) lines.push(`  ${id.get(e.from)} --> ${id.get(e.to)}`);
  for (const [status, style] of Object.entries(CLASS_DEF)) lines.push(`  classDef ${status} ${style}`);
  const external = graph.nodes.filter((n) => n.external).map((n) => id.get(n.name));
  if (external.length) lines.push(`  style ${external.join(',')} stroke-dasharray: 5 5`);
  return lines.join('\n');
}
