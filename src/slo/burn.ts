// Multiwindow burn-rate alerting (the SRE workbook, "Alerting on SLOs"): an alert
// fires when the error budget burns at least `factor` times as fast as the target
// allows over both a long window (it matters) and a short one (it is still
// happening, so it stops soon after the failures do). Pure, table-tested.

import { burnRate } from './slo.js';

export type BurnSeverity = 'page' | 'ticket';

export interface BurnRule {
  severity: BurnSeverity;
  /** seconds */
  long: number;
  short: number;
  /** burn rate both windows must reach */
  factor: number;
}

/** The workbook's defaults: 2% of a 30-day budget in 1h, 5% in 6h (page); 10% in 3d (ticket). */
export const DEFAULT_BURN_RULES: readonly BurnRule[] = [
  { severity: 'page', long: 3600, short: 300, factor: 14.4 },
  { severity: 'page', long: 6 * 3600, short: 1800, factor: 6 },
  { severity: 'ticket', long: 3 * 86400, short: 6 * 3600, factor: 1 },
];

/** One run of the objective's check: when, and whether it was failing (fail or error). */
export interface BurnRun {
  at: number;
  failing: boolean;
}

export interface BurnWindowRate {
  seconds: number;
  runs: number;
  failing: number;
  /** null: no run in the window; Infinity: a failure against a zero budget (target 100%). */
  rate: number | null;
}

export interface BurnDecision {
  /** The most severe rule that fires, or null. */
  severity: BurnSeverity | null;
  rule: BurnRule | null;
  /** Every rule with its two windows, in the order given. */
  rules: Array<{ rule: BurnRule; long: BurnWindowRate; short: BurnWindowRate; fires: boolean }>;
}

function windowRate(runs: readonly BurnRun[], now: number, seconds: number, target: number): BurnWindowRate {
  let n = 0;
  let failing = 0;
  for (const r of runs) {
    if (r.at > now - seconds * 1000 && r.at <= now) { n++; if (r.failing) failing++; }
  }
  const rate = burnRate(n, failing, target);
  // burnRate says null for a zero budget with a failure: here that is a burn without bound.
  return { seconds, runs: n, failing, rate: n > 0 && rate === null ? Infinity : rate };
}

/**
 * Which burn-rate alert the runs ending at `now` raise for an objective of `target` percent.
 *
 *  long window burn   short window burn   → fires
 *  ----------------   -----------------   -------
 *  ≥ factor           ≥ factor              yes
 *  ≥ factor           < factor or no runs   no   (it has stopped: the short window resets it fast)
 *  < factor/no runs   anything              no   (a blip: too little of the budget to matter)
 *
 * A page outranks a ticket; among rules of one severity the first that fires is named.
 * Windows hold the runs after now − window, up to now.
 */
export function decideBurn(runs: readonly BurnRun[], target: number, now: number, rules: readonly BurnRule[] = DEFAULT_BURN_RULES): BurnDecision {
  const evaluated = rules.map((rule) => {
    const long = windowRate(runs, now, rule.long, target);
    const short = windowRate(runs, now, rule.short, target);
    const fires = long.rate !== null && short.rate !== null && long.rate >= rule.factor && short.rate >= rule.factor;
    return { rule, long, short, fires };
  });
  const pick = evaluated.find((e) => e.fires && e.rule.severity === 'page') ?? evaluated.find((e) => e.fires);
  return { severity: pick?.rule.severity ?? null, rule: pick?.rule ?? null, rules: evaluated };
}

/** The longest window the rules look at (how much history a decision needs). */
export function longestWindow(rules: readonly BurnRule[] = DEFAULT_BURN_RULES): number {
  return Math.max(...rules.map((r) => r.long));
}
