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

/** A compact human form: 0s, 45s, 12m, 2h 10m, 3d 4h. Two largest units at most. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const units: Array<[string, number]> = [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${name}`);
      rest -= n * size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join(' ');
}
