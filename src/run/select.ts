// Selectors of `vigil run`: a dataset name, tag:NAME or owner:NAME; several are OR-ed.

import type { DatasetDef } from '../config/model.js';

export function matchesSelector(ds: DatasetDef, selector: string): boolean {
  if (selector.startsWith('tag:')) {
    const tag = selector.slice(4);
    return ds.tags.includes(tag) || ds.checks.some((c) => c.tags.includes(tag));
  }
  if (selector.startsWith('owner:')) {
    const owner = selector.slice(6);
    return ds.owner === owner || ds.checks.some((c) => c.owner === owner);
  }
  return ds.name === selector;
}

export function selectDatasets(datasets: DatasetDef[], selectors: string[]): { selected: DatasetDef[]; unmatched: string[] } {
  if (selectors.length === 0) return { selected: datasets, unmatched: [] };
  const unmatched = selectors.filter((s) => !datasets.some((d) => matchesSelector(d, s)));
  return { selected: datasets.filter((d) => selectors.some((s) => matchesSelector(d, s))), unmatched };
}
