// Durations as users write them in check files ("90s", "2h", "1h30m") and as
// vigil prints them back ("2h 10m").

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION_RE = /^(\d+[smhdw])+$/;

export const DURATION_HINT = 'write an integer and a unit (s, m, h, d, w), e.g. 90s, 15m, 2h, 1d, 1w or 1h30m';

/** Seconds in a duration string, or undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(part[1]) * (UNIT_SECONDS[part[2] as string] ?? 0);
  }
  return total;
}

// The printed form is the one every output shares (src/util/format.ts).
export { formatDuration } from '../util/format.js';
