// vigil run [SELECTOR...]: run the selected checks once, record the results,
// print a table (or --json). Exit 3 invalid config (nothing could run), 2 any error or an invalid
// check file (its datasets did not run, the others did), 1 any fail, else 0.

import { readScheduleWatch, sayIfStalled } from './watch.js';
import { Deliverer, summaryLine as deliverySummaryLine } from '../alerts/deliverer.js';
import { planWithBurnRates } from '../alerts/slo-burn.js';
import { loadProjectCached } from '../config/cache.js';
import { blockedBy, blockingDiagnostics, type Diagnostic } from '../config/diagnostics.js';
import { STRATEGIES, type Strategy } from '../engine/compile.js';
import { runChecks } from '../run/run.js';
import { openRuntime, type Runtime } from '../run/runtime.js';
import { replayNotice } from '../run/replay.js';
import { runJson, type RunJson } from '../run/report.js';
import type { CheckResult } from '../store/store.js';
import { daemonRequest, findDaemon } from './daemon-client.js';
import { alertProblems, type HealthProblem } from '../server/health.js';
import { selectDatasets } from '../run/select.js';
import { createLogger, type Logger } from '../util/log.js';
import type { Project } from '../config/model.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import { diagnosticsJson, printDiagnostics, resultsTable, summaryLine, writeJson } from './output.js';

export interface RunCommandOptions {
  config?: string;
  json?: boolean;
  now?: string;
  alerts?: boolean;
  plan?: string;
}

/** Invalid check files of a run that went ahead with the other datasets. */
interface Problems {
  list: Diagnostic[];
  /** Datasets of those files: not run. */
  notRun: string[];
}

function printRun(run: RunJson, datasets: number, json: boolean | undefined, problems: Problems | null = null): void {
  // A replay says so whatever the format: stdout may be a JSON document read by a script.
  if (run.replay) process.stderr.write(`vigil run: ${replayNotice(run.replay)}\n`);
  if (json) {
    // Additions to SPEC's document: the problems (as in its { errors } of an invalid configuration) and who did not run.
    writeJson(problems ? { ...run, errors: diagnosticsJson(problems.list).errors, not_run: problems.notRun } : run);
    return;
  }
  if (run.results.length) process.stdout.write(`${resultsTable(run.results as CheckResult[])}\n\n`);
  for (const e of run.record_errors ?? []) process.stderr.write(`vigil run: could not record results of ${e}\n`);
  const secs = ((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000).toFixed(2);
  const tail = run.replay ? `replay at ${run.replay.now}: nothing recorded` : `run ${run.run_id}`;
  process.stdout.write(`${summaryLine(run.summary)} · ${datasets} dataset${datasets === 1 ? '' : 's'} in ${secs}s · ${tail}\n`);
  if (problems) {
    const files = new Set(problems.list.map((d) => d.file)).size;
    const names = problems.notRun.length ? `; not run: ${problems.notRun.join(', ')}` : '';
    process.stderr.write(`${files} invalid check file${files === 1 ? '' : 's'} (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'} above)${names} — the other datasets ran; vigil validate shows every problem\n`);
  }
}

function configInvalid(blocking: Diagnostic[], json: boolean | undefined): number {
  if (json) writeJson(diagnosticsJson(blocking));
  else {
    printDiagnostics(blocking);
    process.stderr.write(`configuration invalid: nothing ran (${blocking.length} problem${blocking.length === 1 ? '' : 's'}; vigil validate shows them all)\n`);
  }
  return 3;
}

/** ISO-8601 date or date-time; without an offset it is UTC (never the machine's local zone). */
export function parseNow(text: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function exitCodeFor(summary: { error: number; fail: number }): number {
  if (summary.error > 0) return 2;
  if (summary.fail > 0) return 1;
  return 0;
}

function usageError(json: boolean | undefined, message: string): number {
  if (json) writeJson({ errors: [{ file: '', line: 0, col: 0, message }] });
  else process.stderr.write(`vigil run: ${message}\n`);
  return 3;
}

/**
 * Sends what the outbox holds (this run's messages and any left by earlier runs), waiting up to
 * VIGIL_ALERT_WAIT_MS (default 30 s) for throttled channels; what is left stays queued for the next
 * run or vigil serve. Delivery problems go to stderr and never change the exit code.
 */
export async function deliverAlerts(project: Project, store: Store, log: Logger): Promise<void> {
  const deliverer = new Deliverer({ store, alerts: () => project.alerts, log });
  try {
    const wait = Number(process.env.VIGIL_ALERT_WAIT_MS ?? '') || 30_000;
    const summary = await deliverer.drain(wait);
    if (summary.sent.length + summary.retrying.length + summary.failed.length > 0) {
      process.stderr.write(`alerts: ${deliverySummaryLine(summary)}\n`);
    }
    // Also failures of earlier runs or of vigil serve: a channel that fails for good is said every run until it works.
    printProblems(await alertProblems(store, project));
  } catch (err) {
    process.stderr.write(`alerts: not delivered now, kept for the next run or vigil serve: ${deliverer.redact(errorMessage(err))}\n`);
  } finally {
    await deliverer.stop();
  }
}

function printProblems(problems: HealthProblem[]): void {
  for (const p of problems) process.stderr.write(`vigil run: ${p.message}\n`);
}

export async function runCommand(selectors: string[], opts: RunCommandOptions): Promise<number> {
  const nowText = opts.now ?? process.env.VIGIL_NOW;
  let now: Date | undefined;
  if (nowText !== undefined && nowText !== '') {
    now = parseNow(nowText);
    if (!now) return usageError(opts.json, `--now ${nowText} is not an ISO-8601 time, e.g. 2026-01-01T00:00:00Z`);
  }
  // Unchanged files since the last run: the project is read back without loading zod and yaml.
  const { project, diagnostics, invalidDatasets, partialDatasets } = await loadProjectCached(opts.config !== undefined ? { configPath: opts.config } : {});
  const alerts = opts.alerts !== false;
  const blocking = blockingDiagnostics(diagnostics, 'run', project, { alerts });
  // An invalid check file stops only its own datasets; vigil.yaml or an alert file stops everything.
  const blocked = blockedBy(blocking, project, invalidDatasets);
  if (blocked.global.length > 0) return configInvalid(blocking, opts.json);
  // Selectors may name a dataset of an invalid file: it is then not run, not a typo.
  const { selected: chosen, unmatched: missing } = selectDatasets([...project.datasets, ...(partialDatasets ?? [])], selectors);
  const unmatched = missing.filter((u) => !blocked.notRunnable.includes(u));
  // Any selector that matches nothing is refused: a typo must not silently run less.
  if (unmatched.length > 0) {
    const names = project.datasets.map((d) => d.name).join(', ') || '(none)';
    return usageError(opts.json, `nothing matches ${unmatched.map((u) => `'${u}'`).join(', ')} — selectors are a dataset name, tag:NAME or owner:NAME; datasets: ${names}`);
  }
  if (opts.plan !== undefined && !(STRATEGIES as readonly string[]).includes(opts.plan)) return usageError(opts.json, `--plan must be one of ${STRATEGIES.join(', ')}`);
  const selected = chosen.filter((d) => blocked.runnable.includes(d));
  // Nothing left to run: as before, the configuration is invalid and nothing ran.
  if (blocked.inCheckFiles.length > 0 && selected.length === 0) return configInvalid(blocking, opts.json);
  const problems: Problems | null = blocked.inCheckFiles.length > 0 ? { list: blocked.inCheckFiles, notRun: blocked.notRunnable } : null;
  if (problems && !opts.json) printDiagnostics(problems.list);

  // A running `vigil serve` owns the store: hand the run to it.
  const daemon = await findDaemon(project);
  if (daemon) {
    // With invalid files, name what runs: serve may still hold an invalid file's last valid version.
    const select = problems ? selected.map((d) => d.name) : selectors;
    const { status, body } = await daemonRequest<RunJson & { error?: string }>(daemon, 'POST', '/api/runs', { select, ...(now ? { now: now.toISOString() } : {}), ...(alerts ? {} : { alerts: false }) });
    if (status === 400) return usageError(opts.json, `${body.error ?? 'bad request'}`);
    if (status !== 201) {
      // The daemon could not run it (shutting down, store failure): an error, as on the direct path.
      if (opts.json) writeJson({ errors: [{ file: '', line: 0, col: 0, message: `vigil serve could not run it: ${body.error ?? status}` }] });
      else process.stderr.write(`vigil run: vigil serve could not run it: ${body.error ?? status}\n`);
      return 2;
    }
    printRun(body, selected.length, opts.json, problems);
    const health = await daemonRequest<{ problems?: HealthProblem[] }>(daemon, 'GET', '/healthz').catch(() => null);
    printProblems(health?.body.problems ?? []);
    return problems || body.record_errors?.length ? 2 : exitCodeFor(body.summary);
  }

  const log = createLogger();
  // The store opens while the engines start: both are native work off the main thread.
  const runtime: Runtime = await openRuntime(project, { log, datasets: selected });
  const { store, engines } = runtime;
  try {
    // Before the run, so it is the first thing said: nobody has been scheduling this store's datasets.
    sayIfStalled(await readScheduleWatch(store, project).catch(() => null));
    const report = await runChecks({
      project, datasets: selected, store, engines, log, selectors, trigger: 'cli',
      ...(now ? { now } : {}), ...(opts.plan ? { strategy: opts.plan as Strategy } : {}),
      // With --no-alerts incidents still move (the state stays right); nothing is queued.
      incidents: (dataset, outcome, runId, run) => planWithBurnRates({ project, dataset, outcome, runId, notify: alerts, run }, store),
    });
    printRun(runJson(report), selected.length, opts.json, problems);
    // A replay sends nothing, not even what earlier runs left queued: delivering writes to the outbox.
    if (alerts && report.recorded) await deliverAlerts(project, store, log);
    // Invalid check files are configuration errors present: exit 2, as for checks in error (SPEC §4).
    if (problems || report.record_errors.length) return 2;
    return exitCodeFor(report.summary);
  } finally {
    await runtime.close();
  }
}
