// The dataset graph from `upstream:` declarations: edges point from an
// upstream to the dataset built from it. Pure; used by validation (cycles),
// alerts (datasets at risk), `vigil lineage` and the dashboard.

import type { ExternalSource } from '../config/model.js';

export interface LineageInput {
  name: string;
  upstream: readonly string[];
  /** Upstreams declared as sources outside the project. */
  externalUpstream?: readonly ExternalSource[] | undefined;
}

/**
 * What a node is: a dataset of this project; an external source declared with
 * `{ name, external: true }`; or a name used as an upstream that is neither (a
 * typo, or a source nobody declared — a validation warning).
 */
export type LineageNodeKind = 'dataset' | 'external' | 'undeclared';

export interface LineageNode {
  name: string;
  /** Not a dataset of this project (kind external or undeclared). */
  external: boolean;
  kind: LineageNodeKind;
  /** An external source's description and owner, from its first declaration. */
  source?: ExternalSource;
}

export interface LineageEdge {
  from: string;
  to: string;
}

export interface LineageGraph {
  /** Every dataset, plus upstreams named but not defined in this project (`external`). */
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** Direct upstreams of a dataset. */
  upstreamOf(name: string): string[];
  /** Direct downstreams of a dataset. */
  downstreamOf(name: string): string[];
  /** Everything downstream, transitively, sorted: what a failure of `name` puts at risk. */
  atRisk(name: string): string[];
  /** Each cycle once, as the list of datasets along it (first one repeated at the end). */
  cycles(): string[][];
}

export function buildLineage(datasets: readonly LineageInput[]): LineageGraph {
  const known = new Set(datasets.map((d) => d.name));
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  const edges: LineageEdge[] = [];
  const external = new Set<string>();
  for (const d of datasets) {
    for (const u of new Set(d.upstream)) {
      if (!known.has(u)) external.add(u);
      edges.push({ from: u, to: d.name });
      (up.get(d.name) ?? up.set(d.name, []).get(d.name)!).push(u);
      (down.get(u) ?? down.set(u, []).get(u)!).push(d.name);
    }
  }
  const declared = new Map<string, ExternalSource>();
  for (const d of datasets) for (const e of d.externalUpstream ?? []) if (!declared.has(e.name)) declared.set(e.name, e);
  const nodes: LineageNode[] = [
    ...datasets.map((d) => ({ name: d.name, external: false, kind: 'dataset' as const })),
    ...[...external].sort().map((name): LineageNode => {
      const source = declared.get(name);
      return source ? { name, external: true, kind: 'external', source } : { name, external: true, kind: 'undeclared' };
    }),
  ];

  const atRisk = (name: string): string[] => {
    const seen = new Set<string>();
    const stack = [...(down.get(name) ?? [])];
    while (stack.length) {
      const n = stack.pop() as string;
      if (seen.has(n) || n === name) continue;
      seen.add(n);
      stack.push(...(down.get(n) ?? []));
    }
    return [...seen].sort();
  };

  const cycles = (): string[][] => {
    // Tarjan's strongly connected components: each component with more than one
    // node (or a self-loop) holds a cycle; report one path through it.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const found: string[][] = [];
    const all = nodes.map((n) => n.name);
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index);
      index++;
      stack.push(v);
      onStack.add(v);
      for (const w of down.get(v) ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        }
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        const selfLoop = comp.length === 1 && (down.get(v) ?? []).includes(v);
        if (comp.length > 1 || selfLoop) found.push(cyclePath(comp, down));
      }
    };
    for (const n of all) if (!idx.has(n)) visit(n);
    return found;
  };

  return {
    nodes,
    edges,
    upstreamOf: (name) => [...(up.get(name) ?? [])],
    downstreamOf: (name) => [...(down.get(name) ?? [])],
    atRisk,
    cycles,
  };
}

/** A path around a cycle inside one strongly connected component, starting at its smallest name. */
function cyclePath(component: string[], down: Map<string, string[]>): string[] {
  const inComp = new Set(component);
  const start = [...component].sort()[0] as string;
  // Breadth-first from start back to start through the component: the shortest cycle through it.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift() as string;
    for (const w of down.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let n = v; n !== start; n = prev.get(n) as string) path.splice(1, 0, n);
        path.push(start);
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Every dataset upstream of `name`, transitively (not `name` itself). */
export function ancestorsOf(name: string, upstreamOf: (dataset: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...upstreamOf(name)];
  while (stack.length) {
    const n = stack.pop() as string;
    if (seen.has(n) || n === name) continue;
    seen.add(n);
    stack.push(...upstreamOf(n));
  }
  return seen;
}
