// vigil backtest CHECK_ID: the check's anomaly detection replayed over the last
// --days, each point with its band and whether it would have alerted.

import { blockingDiagnostics, loadProject } from '../config/loader.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { backtest, type Backtest } from '../anomaly/backtest.js';
import type { AnomalyConfig } from '../anomaly/config.js';
import { createEngines } from '../run/runtime.js';
import { openProjectStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { formatBand, formatValue } from '../util/format.js';
import { createLogger } from '../util/log.js';
import { colors, table, writeJson } from './output.js';
import { parseNow } from './run.js';

export interface BacktestOptions {
  config?: string;
  days?: string;
  now?: string;
  json?: boolean;
}

function usage(json: boolean | undefined, message: string): number {
  if (json) writeJson({ errors: [{ file: '', line: 0, col: 0, message }] });
  else process.stderr.write(`vigil backtest: ${message}\n`);
  return 3;
}

export async function backtestCommand(checkId: string, opts: BacktestOptions): Promise<number> {
  const days = opts.days === undefined ? 30 : Number(opts.days);
  if (!Number.isInteger(days) || days < 1 || days > 400) return usage(opts.json, `--days must be a whole number from 1 to 400, got ${opts.days}`);
  const nowText = opts.now ?? process.env.VIGIL_NOW;
  const now = nowText ? parseNow(nowText) : new Date();
  if (!now) return usage(opts.json, `--now ${nowText} is not an ISO-8601 time, e.g. 2026-01-01T00:00:00Z`);
  const { project, diagnostics } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const blocking = blockingDiagnostics(diagnostics, 'run', project, { alerts: false });
  const dataset = project.datasets.find((d) => d.checks.some((c) => c.id === checkId));
  const check = dataset?.checks.find((c) => c.id === checkId);
  if (!dataset || !check) {
    for (const d of blocking) process.stderr.write(`${formatDiagnostic(d)}\n`);
    const ids = project.datasets.flatMap((d) => d.checks.filter((c) => c.anomaly).map((c) => c.id));
    return usage(opts.json, `no check ${checkId} in this project${ids.length ? ` — checks with anomaly: ${ids.join(', ')}` : ' (and no check has anomaly: yet)'}`);
  }
  if (!check.anomaly) return usage(opts.json, `${checkId} has no anomaly: — add anomaly: {} to the check to backtest it`);
  const log = createLogger();
  const engines = createEngines(project, { log, datasets: [dataset] });
  let store: Store | null = null;
  try {
    const result = await backtest({
      dataset, check: check as typeof check & { anomaly: AnomalyConfig }, days, now, engines, log,
      store: async () => {
        store = await openProjectStore(project);
        return store;
      },
    });
    if (opts.json) writeJson(result);
    else printBacktest(result, check.anomaly);
    return result.error ? 2 : 0;
  } finally {
    await engines.close();
    await (store as Store | null)?.close();
  }
}

function printBacktest(b: Backtest, a: AnomalyConfig): void {
  if (b.error) process.stderr.write(`${colors.red('error')}: ${b.error}\n`);
  const header = [b.source === 'data' ? 'BUCKET' : 'RUN', 'VALUE', 'EXPECTED', 'WOULD ALERT'].map((h) => colors.dim(h));
  const rows = b.points.map((p) => [
    p.local ?? p.at,
    formatValue(p.value, b.unit),
    p.learning ? `learning (${p.points} of ${a.minPoints} points)` : formatBand(p.lower, p.upper, b.unit),
    p.status === 'pass' ? '' : colors.yellow(p.status),
  ]);
  if (rows.length) process.stdout.write(`${table([header, ...rows])}\n\n`);
  const what = b.source === 'data' ? `${b.points.length} ${b.bucket} bucket${b.points.length === 1 ? '' : 's'} from the data` : `${b.points.length} recorded run${b.points.length === 1 ? '' : 's'}`;
  process.stdout.write(`${b.check}: ${what}, ${b.from.slice(0, 10)} to ${b.to.slice(0, 10)}; ${b.alerts} would have alerted (${a.level}) at sensitivity ${a.sensitivity}\n`);
}
