// The lineage graph with each dataset's current status, as GET /api/lineage
// and `vigil lineage --format json` give it. Pure.

import type { DatasetDef } from '../config/model.js';
import type { LineageResponse } from '../server/api-types.js';
import type { DatasetStatus } from '../server/api-types.js';
import { buildLineage } from './graph.js';

export function lineageView(datasets: readonly Pick<DatasetDef, 'name' | 'upstream' | 'externalUpstream' | 'owner'>[], statusOf: (name: string) => DatasetStatus): LineageResponse {
  const graph = buildLineage(datasets);
  const owners = new Map(datasets.map((d) => [d.name, d.owner ?? null]));
  return {
    nodes: graph.nodes.map((n) => ({
      name: n.name,
      external: n.external,
      kind: n.kind,
      status: n.external ? 'unknown' : statusOf(n.name),
      owner: (n.external ? n.source?.owner : owners.get(n.name)) ?? null,
      description: n.source?.description ?? null,
      at_risk: graph.atRisk(n.name),
    })),
    edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
  };
}
