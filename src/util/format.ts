// How vigil writes durations, counts and values for people — one module for
// check messages, the CLI's tables, alert messages and the dashboard (which
// loads this very file, compiled, as /assets/format.js), so a duration or a
// count reads the same wherever it is shown. No imports: it runs in browsers too.

const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];

/**
 * "45s", "12m", "2h 10m", "3d 4h", "2436d 21h": the largest unit and the next one when it
 * is not zero, days at most (a week or a year of seconds stays in days, so two figures
 * never disagree on the unit). Rounded to the second; negative as "-5m".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const total = Math.round(Math.abs(seconds));
  const sign = seconds < 0 && total > 0 ? '-' : '';
  if (total < 60) return `${sign}${total}s`;
  const i = DURATION_UNITS.findIndex(([, size]) => total >= size);
  const [unit, size] = DURATION_UNITS[i] as readonly [string, number];
  const head = Math.floor(total / size);
  const next = DURATION_UNITS[i + 1];
  const tail = next ? Math.floor((total - head * size) / next[1]) : 0;
  return `${sign}${head}${unit}${next && tail > 0 ? ` ${tail}${next[0]}` : ''}`;
}

/** "50,036", "0.25", "1,234.57": integers in full with separators, fractions to `digits` places. */
export function formatNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** "1 row", "0 rows", "2 columns": a count and its noun, singular for exactly one. Numbers as given (no separators). */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** A unit's noun for one of it: "rows" → "row", "columns" → "column"; other units as they are. */
export function singularUnit(unit: string): string {
  return unit.endsWith('s') && unit !== 'seconds' ? unit.slice(0, -1) : unit;
}

/**
 * A check's value with its unit, as tables, alerts and the dashboard show it: seconds as a
 * duration, counts with their noun ("50,036 rows", "1 row"), a bare `value` (sql checks) and
 * `%` as numbers.
 */
export function formatValue(value: number | null | undefined, unit: string | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (unit === 'seconds') return formatDuration(value);
  if (!unit || unit === 'value') return formatNumber(value, 6);
  if (unit === '%') return `${formatNumber(value, 2)}%`;
  return `${formatNumber(value, 6)} ${value === 1 ? singularUnit(unit) : unit}`;
}

/**
 * The unit a chart of durations is drawn in, so its axis reads in one unit whatever the
 * values: the largest of seconds, minutes, hours and days in which the largest value is at
 * least 2. `size` is that unit in seconds.
 */
export function durationAxisUnit(maxSeconds: number): { unit: 'seconds' | 'minutes' | 'hours' | 'days'; size: number } {
  const m = Math.abs(maxSeconds);
  if (m >= 2 * 86400) return { unit: 'days', size: 86400 };
  if (m >= 2 * 3600) return { unit: 'hours', size: 3600 };
  if (m >= 2 * 60) return { unit: 'minutes', size: 60 };
  return { unit: 'seconds', size: 1 };
}

/** `v` to three significant figures, down or up (a band shown rounded never looks narrower than it is). */
function roundFigures(v: number, up: boolean): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 2);
  const r = (up ? Math.ceil(v / step) : Math.floor(v / step)) * step;
  // Binary fractions: 0.1 * 3 is 0.30000000000000004.
  return Number(r.toPrecision(3));
}

/**
 * An expected range as messages and tables show it: "9,800–12,100", "1.2%–3.4%", "2h–6h 30m".
 * The ends are rounded outwards to three significant figures; seconds read as durations.
 */
export function formatBand(lower: number | null | undefined, upper: number | null | undefined, unit: string | null | undefined): string {
  if (lower === null || lower === undefined || upper === null || upper === undefined || !Number.isFinite(lower) || !Number.isFinite(upper)) return '—';
  if (unit === 'seconds') return `${formatDuration(lower)}–${formatDuration(upper)}`;
  const lo = formatNumber(roundFigures(lower, false), 6);
  const hi = formatNumber(roundFigures(upper, true), 6);
  return unit === '%' ? `${lo}%–${hi}%` : `${lo}–${hi}`;
}
