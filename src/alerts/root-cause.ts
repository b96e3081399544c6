// Root causes: which failing upstream incident explains a downstream one (by
// `upstream:`), so the person paged sees the load that broke first and the
// downstream incidents are held back while it is open. Pure and table-tested
// (test/alerts-root-cause.test.ts); the rules are written out in docs/oncall.md.

import type { Status } from '../checks/kind.js';
import { ancestorsOf } from '../lineage/graph.js';

export { ancestorsOf };

/** What the rules look at of an incident (or of a check failing in this run, not yet an incident). */
export interface FailingIncident {
  id: string;
  dataset: string;
  status: Status;
  state: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
}

/** Default slack for a root detected after its downstream (runs on other schedules): 1 hour. */
export const DEFAULT_GROUP_WINDOW_SECONDS = 3600;

const ms = (iso: string) => Date.parse(iso);

/**
 * Does `r` explain `x`? Every rule must hold:
 *
 *  rule                                   why
 *  -------------------------------------  ------------------------------------------------------------
 *  r's dataset is upstream of x's         lineage from `upstream:`, transitively; never the same dataset
 *  r is fail or error                     a warning upstream breaks nothing downstream
 *  r opened no later than window after    runs on other schedules may see the downstream failure first
 *    x opened
 *  r was not resolved when x opened       a root that had recovered explains nothing new
 */
export function explains(r: FailingIncident, x: FailingIncident, ancestorsOfX: ReadonlySet<string>, windowSeconds: number): boolean {
  if (r.dataset === x.dataset || !ancestorsOfX.has(r.dataset)) return false;
  if (r.status !== 'fail' && r.status !== 'error') return false;
  if (ms(r.openedAt) > ms(x.openedAt) + windowSeconds * 1000) return false;
  if (r.resolvedAt !== null && ms(r.resolvedAt) <= ms(x.openedAt)) return false;
  return true;
}

/**
 * The root of each incident: follow explaining incidents upstream until one
 * has none. Among several explainers the most upstream wins (it has no
 * explainer of its own), then the earliest opened, then the smallest id, so
 * the answer does not depend on input order. An incident no one explains is
 * absent from the map (it is a root, or on its own).
 */
export function rootCauses(incidents: readonly FailingIncident[], upstreamOf: (dataset: string) => readonly string[], windowSeconds: number): Map<string, FailingIncident> {
  const ancestors = new Map<string, Set<string>>();
  const anc = (d: string) => ancestors.get(d) ?? ancestors.set(d, ancestorsOf(d, upstreamOf)).get(d) as Set<string>;
  const direct = new Map<string, FailingIncident>();
  for (const x of incidents) {
    const candidates = incidents.filter((r) => explains(r, x, anc(x.dataset), windowSeconds));
    if (!candidates.length) continue;
    // Most upstream first: a candidate that is itself explained by another candidate ranks lower.
    const unexplained = candidates.filter((c) => !candidates.some((o) => o !== c && explains(o, c, anc(c.dataset), windowSeconds)));
    const pool = unexplained.length ? unexplained : candidates;
    const best = [...pool].sort((a, b) => ms(a.openedAt) - ms(b.openedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0] as FailingIncident;
    direct.set(x.id, best);
  }
  const out = new Map<string, FailingIncident>();
  for (const x of incidents) {
    let r = direct.get(x.id);
    const seen = new Set([x.id]);
    while (r && direct.has(r.id) && !seen.has(r.id)) { seen.add(r.id); r = direct.get(r.id); }
    if (r && r.id !== x.id) out.set(x.id, r);
  }
  return out;
}

export type HoldDecision =
  | { hold: false }
  | { hold: true; root: FailingIncident };

/**
 * Whether a notification of incident `x` is held back: only the first telling
 * (`opened`) of an incident whose root is open now. Once told, an incident
 * lives its own life; held, it is asked again at its next run, so it is sent
 * as soon as its root resolves while it still fails, and resolves silently if
 * it recovers first.
 *
 *  x's event         root of x                 decision
 *  ----------------  ------------------------  ------------------------------------------------
 *  opened            open (fail/error)         hold: nobody told; the root's message names x's dataset
 *  opened            resolved, or none         send: not explained by a failing upstream
 *  escalated,        any                       send: x was told before its root failed
 *    reminder
 *  resolved          any                       send (x was told), as usual
 */
export function holdDecision(event: string | null, root: FailingIncident | undefined): HoldDecision {
  if (event !== 'opened' || !root || root.state !== 'open') return { hold: false };
  return { hold: true, root };
}
