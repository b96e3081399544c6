// Terminal output: colour only on a TTY, tables that line up, values in
// units people read (durations, row counts).

import pc from 'picocolors';
import type { Status } from '../checks/kind.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../config/diagnostics.js';
import { formatBand, formatValue } from '../util/format.js';
import { bandOf } from '../anomaly/band.js';
import type { CheckResult } from '../store/store.js';

export const colors = pc.createColors(Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env));
const errColors = pc.createColors(Boolean(process.stderr.isTTY) && !('NO_COLOR' in process.env));

const STATUS_STYLE: Record<Status, (s: string) => string> = {
  pass: colors.green, warn: colors.yellow, fail: colors.red, error: (s) => colors.bold(colors.magenta(s)),
};

export function statusLabel(status: Status): string {
  return STATUS_STYLE[status](status.toUpperCase().padEnd(5));
}

export function formatResultValue(r: Pick<CheckResult, 'value' | 'unit'>): string {
  return formatValue(r.value, r.unit);
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function table(rows: string[][], maxLast = 0): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell)); });
  const width = process.stdout.columns ?? 0;
  return rows.map((row) => row.map((cell, i) => {
    if (i === row.length - 1) {
      const used = widths.reduce((a, b) => a + b + 2, 0);
      const room = maxLast || (width > used + 20 ? width - used : 0);
      return room && cell.length > room ? `${cell.slice(0, room - 1)}…` : cell;
    }
    return cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell));
  }).join('  ')).join('\n');
}

export function resultsTable(results: CheckResult[]): string {
  // The expected band of anomaly checks gets its own column, only when a result has one.
  const bands = results.map((r) => bandOf(r.details));
  const withBand = bands.some((b) => b !== null);
  const header = ['STATUS', 'CHECK', 'VALUE', ...(withBand ? ['EXPECTED'] : []), 'MESSAGE'].map((h) => colors.dim(h));
  return table([header, ...results.map((r, i) => {
    const b = bands[i];
    const band = withBand ? [b ? formatBand(b.lower, b.upper, r.unit) : ''] : [];
    return [statusLabel(r.status), r.check, formatResultValue(r), ...band, r.message];
  })]);
}

export function summaryLine(summary: Record<Status, number>): string {
  const total = summary.pass + summary.warn + summary.fail + summary.error;
  const parts = (['pass', 'warn', 'fail', 'error'] as const).map((s) => {
    const text = `${summary[s]} ${s}`;
    return summary[s] > 0 ? STATUS_STYLE[s](text) : text;
  });
  return `${total} check${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function printDiagnostics(list: Diagnostic[]): void {
  for (const d of sortDiagnostics(list)) {
    const line = formatDiagnostic(d);
    process.stderr.write(`${d.severity === 'error' ? errColors.red(line) : errColors.yellow(line)}\n`);
  }
}

export function diagnosticsJson(list: Diagnostic[]): { errors: Array<{ file: string; line: number; col: number; message: string }> } {
  return {
    errors: sortDiagnostics(list).filter((d) => d.severity === 'error')
      .map((d) => ({ file: d.file, line: d.line, col: d.col, message: d.message })),
  };
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
