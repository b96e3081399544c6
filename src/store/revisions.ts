// A store's revisions as this process last saw them: per scope (a dataset, or
// '*' for what is not one dataset's) the count of writes kept in the store's
// vigil_revisions table. Only ever moves forward, whatever order news arrives in.

import type { StoreRevision } from './store.js';

/** The scope of writes that are not one dataset's results (incidents changed by hand, …). */
export const GLOBAL_SCOPE = '*';

export class Revisions {
  private readonly byScope = new Map<string, number>();
  private max = 0;
  private frozen: StoreRevision | null = null;

  /** Takes what the store says (a row of vigil_revisions, or a notification of one). */
  see(scope: string, revision: number): void {
    if (!Number.isFinite(revision) || revision <= (this.byScope.get(scope) ?? 0)) return;
    this.byScope.set(scope, revision);
    this.max = Math.max(this.max, revision);
    this.frozen = null;
  }

  /** The highest revision seen, for the next write to go past. */
  get highest(): number {
    return this.max;
  }

  snapshot(): StoreRevision {
    this.frozen ??= { all: this.max, datasets: new Map([...this.byScope].filter(([k]) => k !== GLOBAL_SCOPE)) };
    return this.frozen;
  }
}
