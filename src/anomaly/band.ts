// The expected band of a result, read back from its details.anomaly: what the
// run table, alert messages, /metrics and the dashboard show. No imports.

export interface Band {
  expected: number;
  lower: number;
  upper: number;
  anomalous: boolean;
}

/** The band in a result's details, or null (no anomaly, or still learning). */
export function bandOf(details: unknown): Band | null {
  const a = (details as { anomaly?: Record<string, unknown> } | null | undefined)?.anomaly;
  if (!a || typeof a !== 'object') return null;
  const { expected, lower, upper } = a;
  if (typeof expected !== 'number' || typeof lower !== 'number' || typeof upper !== 'number') return null;
  return { expected, lower, upper, anomalous: a.anomalous === true };
}
