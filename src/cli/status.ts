// vigil status: the latest result of every check, read from the store.

import { existsSync } from 'node:fs';
import { blockingDiagnostics, loadProject } from '../config/loader.js';
import { summarize } from '../run/run.js';
import { storeMayExist } from '../store/open.js';
import { openRuntime } from '../run/runtime.js';
import { createLogger } from '../util/log.js';
import { colors, resultsTable, summaryLine, writeJson } from './output.js';
import { formatDiagnostic, problemJson } from '../config/diagnostics.js';
import type { Status } from '../checks/kind.js';
import { formatDuration } from '../util/format.js';
import type { CheckResult, RunRecord } from '../store/store.js';
import { configuredResults } from '../server/views.js';
import { daemonRequest, findDaemon } from './daemon-client.js';
import { alertProblems, type HealthProblem } from '../server/health.js';
import { readReplicas, readScheduleWatch, replicasText, sayIfStalled } from './watch.js';
import type { ScheduleWatch } from '../scheduler/watch.js';
import type { ReplicaInfo } from '../store/store.js';

export async function statusCommand(opts: { config?: string; json?: boolean }): Promise<number> {
  const { project, diagnostics, invalidDatasets } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const daemon = await findDaemon(project);
  if (daemon) {
    const { body } = await daemonRequest<StatusJson>(daemon, 'GET', '/api/status');
    sayIfStalled(body.schedule);
    if (opts.json) writeJson(body);
    else printStatus(body);
    return 0;
  }
  const problems = blockingDiagnostics(diagnostics, 'run', project).map(problemJson);
  if (!storeMayExist(project.storePath, existsSync)) {
    if (opts.json) writeJson({ last_run: null, summary: summarize([]), results: [], datasets: [], replicas: [], schedule: { stalled: false, last_tick_at: null, quiet_seconds: null, overdue: [] }, config_problems: problems, problems: [] } satisfies StatusJson);
    else process.stdout.write(`no results yet: the store ${project.storePath} does not exist — run vigil run first\n`);
    return 0;
  }
  const runtime = await openRuntime(project, { log: createLogger() });
  const { store } = runtime;
  try {
    const [stored, runs, skipped, alerting] = [await store.latestResults(), await store.runs(1), await store.skippedTicks(), await alertProblems(store, project)];
    const results = configuredResults(stored, project.datasets, invalidDatasets ?? []);
    const [replicas, schedule] = [await readReplicas(store), await readScheduleWatch(store, project)];
    const body: StatusJson = {
      last_run: runs[0] ?? null, summary: summarize(results), results,
      datasets: [...skipped].map(([name, s]) => ({ name, skippedTicks: s.count, lastSkippedAt: s.last })),
      replicas, schedule,
      config_problems: problems,
      problems: alerting,
    };
    sayIfStalled(schedule);
    if (opts.json) writeJson(body);
    else printStatus(body);
    return 0;
  } finally {
    await runtime.close();
  }
}

interface StatusJson {
  last_run: RunRecord | null;
  summary: Record<Status, number>;
  results: CheckResult[];
  datasets: Array<{ name: string; skippedTicks: number; lastSkippedAt?: string; running?: boolean; nextRunAt?: string | null }>;
  /** The schedulers sharing the store (vigil serve processes), alive or lately dead, and what each runs. */
  replicas: ReplicaInfo[];
  /** Whether anybody is scheduling: overdue datasets, and `stalled` when nobody has taken a tick for a while. */
  schedule: ScheduleWatch;
  config_problems: Array<{ file: string; line: number; col: number; severity: string; message: string }>;
  /** Alerts failing for good, a store refusing writes (server/health.ts). */
  problems?: HealthProblem[];
}

function printStatus(body: StatusJson): void {
  for (const p of body.config_problems) process.stdout.write(`${colors.red('config problem')}: ${formatDiagnostic({ ...p, severity: p.severity === 'warning' ? 'warning' : 'error' })}\n`);
  if (body.config_problems.length) process.stdout.write('\n');
  for (const p of body.problems ?? []) process.stdout.write(`${colors.red(p.kind === 'alerts' ? 'alerts failing' : 'store failing')}: ${p.message}\n`);
  if (body.problems?.length) process.stdout.write('\n');
  if (body.results.length) process.stdout.write(`${resultsTable(body.results)}\n\n`);
  const skipped = body.datasets.filter((d) => d.skippedTicks > 0);
  for (const d of skipped) process.stdout.write(`${colors.yellow('skipped ticks')}: ${d.name} ${d.skippedTicks} (a run was still going when its next tick came)\n`);
  const running = body.datasets.filter((d) => d.running).map((d) => d.name);
  if (running.length) process.stdout.write(`running now: ${running.join(', ')}\n`);
  process.stdout.write(replicasText(body.replicas ?? []));
  const overdue = body.schedule?.overdue ?? [];
  if (overdue.length && !body.schedule.stalled) {
    process.stdout.write(`${colors.yellow('overdue')}: ${overdue.map((o) => `${o.dataset} (due ${formatDuration(o.overdue_seconds)} ago)`).join(', ')} — no replica took their last two ticks\n`);
  }
  const last = body.last_run;
  process.stdout.write(`${summaryLine(body.summary)}${last ? ` · last run ${last.started_at} (${last.status})` : ''}\n`);
}
