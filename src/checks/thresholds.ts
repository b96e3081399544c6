// Threshold semantics shared by every kind: N means "above N", "P%" means
// "above P percent of rows", { min, max } means "outside [min, max]".

import type { Threshold } from '../config/schema.js';

export type Level = 'pass' | 'warn' | 'fail';

export function percentOf(threshold: string): number {
  return Number(threshold.replace('%', '').trim());
}

export function isPercent(t: Threshold | undefined): t is string {
  return typeof t === 'string';
}

/** Whether `value` is at the threshold's level. `rows` is the divisor for percents (0 rows → 0%). */
export function breaches(t: Threshold, value: number, rows: number | null): boolean {
  if (typeof t === 'number') return value > t;
  if (typeof t === 'string') {
    const pct = rows && rows > 0 ? (value / rows) * 100 : 0;
    return pct > percentOf(t);
  }
  if (t.min !== undefined && value < t.min) return true;
  if (t.max !== undefined && value > t.max) return true;
  return false;
}

/** `fail` is checked before `warn`. */
export function levelFor(levels: { warn?: Threshold; fail?: Threshold }, value: number, rows: number | null): Level {
  if (levels.fail !== undefined && breaches(levels.fail, value, rows)) return 'fail';
  if (levels.warn !== undefined && breaches(levels.warn, value, rows)) return 'warn';
  return 'pass';
}

export function describeThreshold(t: Threshold): string {
  if (typeof t === 'number') return `above ${t}`;
  if (typeof t === 'string') return `above ${percentOf(t)}%`;
  if (t.min !== undefined && t.max !== undefined) return `outside [${t.min}, ${t.max}]`;
  if (t.min !== undefined) return `below ${t.min}`;
  return `above ${t.max}`;
}

/** "; fail above 0" for a failing check, "; warn above 1%, fail above 5%" for a passing one. */
export function thresholdSuffix(levels: { warn?: Threshold; fail?: Threshold }, level: Level): string {
  const shown = level === 'pass' ? (['warn', 'fail'] as const) : ([level] as const);
  const parts = shown.flatMap((l) => (levels[l] !== undefined ? [`${l} ${describeThreshold(levels[l])}`] : []));
  return parts.length ? `; ${parts.join(', ')}` : '';
}

export function formatPercent(value: number, rows: number | null): string {
  const pct = rows && rows > 0 ? (value / rows) * 100 : 0;
  if (pct === 0) return '0%';
  if (pct < 0.01) return '<0.01%';
  return `${Number(pct.toFixed(pct < 1 ? 2 : 1))}%`;
}

export function thresholdsRecord(levels: { warn?: Threshold; fail?: Threshold }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (levels.warn !== undefined) out.warn = levels.warn;
  if (levels.fail !== undefined) out.fail = levels.fail;
  return out;
}
