import { describe, expect, it } from 'vitest';
import { buildLineage } from '../src/lineage/graph.js';

describe('lineage graph', () => {
  const g = buildLineage([
    { name: 'raw_orders', upstream: [] },
    { name: 'orders', upstream: ['raw_orders', 'customers'] },
    { name: 'customers', upstream: ['crm_export', 'stripe'], externalUpstream: [{ name: 'stripe', owner: 'payments' }] },
    { name: 'revenue', upstream: ['orders'] },
    { name: 'finance_mart', upstream: ['revenue', 'customers'] },
  ]);

  it('marks upstreams that are not datasets as external: declared sources apart from names nobody declared', () => {
    expect(g.nodes.filter((n) => n.external).map((n) => [n.name, n.kind, n.source])).toEqual([
      ['crm_export', 'undeclared', undefined], ['stripe', 'external', { name: 'stripe', owner: 'payments' }],
    ]);
    expect(g.nodes.find((n) => n.name === 'orders')?.kind).toBe('dataset');
    expect(g.edges).toContainEqual({ from: 'raw_orders', to: 'orders' });
  });

  it('puts everything downstream at risk, transitively', () => {
    expect(g.atRisk('raw_orders')).toEqual(['finance_mart', 'orders', 'revenue']);
    expect(g.atRisk('customers')).toEqual(['finance_mart', 'orders', 'revenue']);
    expect(g.atRisk('stripe')).toEqual(['customers', 'finance_mart', 'orders', 'revenue']);
    expect(g.atRisk('finance_mart')).toEqual([]);
    expect(g.downstreamOf('customers').sort()).toEqual(['finance_mart', 'orders']);
    expect(g.upstreamOf('orders')).toEqual(['raw_orders', 'customers']);
  });

  it('finds no cycle in a DAG, and each cycle once otherwise', () => {
    expect(g.cycles()).toEqual([]);
    const c = buildLineage([
      { name: 'a', upstream: ['c'] },
      { name: 'b', upstream: ['a'] },
      { name: 'c', upstream: ['b'] },
      { name: 'd', upstream: ['d'] },
      { name: 'e', upstream: ['a'] },
    ]);
    const cycles = c.cycles().map((x) => x.join('>')).sort();
    expect(cycles).toEqual(['a>b>c>a', 'd>d']);
    // A cycle does not make atRisk loop forever.
    expect(c.atRisk('a')).toEqual(['b', 'c', 'e']);
  });
});
