// The clock of `vigil serve`: one cron task per dataset calling the same
// runChecks() the CLI calls. A dataset never runs twice at once (a tick that
// finds it in flight is recorded as skipped), each engine's sessions cap how
// many run together, missed ticks are caught up once at start-up,
// and a reload keeps the last valid version of a file that turned invalid.

import cron, { type ScheduledTask } from 'node-cron';
import { worstStatus } from '../checks/kind.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { DatasetDef, Project } from '../config/model.js';
import { runChecks, type RunOptions, type RunReport, type UnfinishedRun } from '../run/run.js';
import type { Engines } from '../run/runtime.js';
import type { DatasetRun, Store } from '../store/store.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { needsCatchUp, previousTick } from './catch-up.js';
import { stalledMessage, watchSchedule, type ScheduleWatch } from './watch.js';

export interface DatasetState {
  name: string;
  schedule: string;
  running: boolean;
  lastRunAt: string | null;
  lastStatus: string | null;
  nextRunAt: string | null;
  skippedTicks: number;
}

export interface SchedulerEvents {
  onRun?(report: RunReport): void;
  onSkip?(dataset: string): void;
  /** What each recorded dataset writes for alerting (incidents, outbox), for the project as it is now. */
  incidents?(project: Project, notify: boolean): RunOptions['incidents'];
}

/** The store refusing writes (disk full, read-only, server gone), as /healthz shows it until a write works again. */
export interface StoreProblem {
  since: string;
  error: string;
}

type LaunchOptions = { now?: Date; selectors?: string[]; alerts?: boolean; scheduledFor?: string };

export class Scheduler {
  private datasets = new Map<string, DatasetDef>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Whole runs, until their last write: what a graceful stop waits for. */
  private readonly active = new Set<Promise<unknown>>();
  private readonly lastRun = new Map<string, { at: string; status: string }>();
  private readonly skipped = new Map<string, number>();
  private readonly abort = new AbortController();
  private stopping = false;
  private leaseTimer: NodeJS.Timeout | null = null;
  private problemList: Diagnostic[] = [];
  private revision = 0;
  private storeFailing: StoreProblem | null = null;
  /** Runs this process could not finish (the store failing): finished once writes work again. */
  private readonly unfinished = new Map<string, UnfinishedRun>();
  /** The newest tick taken per dataset, by any replica: read from the store once a lease, moved by every claim. */
  private readonly ticksTaken = new Map<string, Date>();
  private stalledSaid = false;
  /** Whether anybody was scheduling when this process started (before it caught up). */
  watchAtStart: ScheduleWatch | null = null;
  private renewals = 0;
  /** When this replica last renewed its lease in the store (0: never). */
  private renewedAt = 0;
  readonly startedAt = new Date();

  constructor(
    private project: Project,
    private readonly store: Store,
    private readonly engines: Engines,
    private readonly log: Logger,
    private readonly events: SchedulerEvents = {},
  ) {}

  /** Problems of the configuration at the last (re)load. */
  get problems(): Diagnostic[] {
    return this.problemList;
  }

  set problems(list: Diagnostic[]) {
    this.problemList = list;
    this.revision++;
  }

  /** Changes with every (re)load: readers key caches on it. */
  get configRevision(): number {
    return this.revision;
  }

  /** The project as last (re)loaded. */
  projectNow(): Project {
    return this.project;
  }

  get timezone(): string {
    return this.project.config.timezone;
  }

  /** Marks crashed runs aborted, schedules every dataset and catches up the overdue ones, once. */
  async start(datasets: DatasetDef[], problems: Diagnostic[]): Promise<void> {
    const coordination = this.store.coordination;
    await coordination.heartbeat([]);
    this.renewedAt = Date.now();
    const aborted = await this.store.abortRunning(new Date().toISOString());
    if (aborted > 0) this.log.warn({ aborted }, 'runs left running by a process that died marked aborted');
    for (const [name, n] of await this.store.skippedTicks()) this.skipped.set(name, n.count);
    const last = await this.store.lastDatasetRuns();
    this.problems = problems;
    this.apply(datasets);
    // Before catching up: if nobody has been scheduling, say so (and for how long) before this process starts to.
    this.watchAtStart = await this.watchStore();
    const now = new Date();
    for (const ds of datasets) {
      const task = this.tasks.get(ds.name);
      const at = last.get(ds.name) ?? null;
      if (at) this.lastRun.set(ds.name, { at: at.toISOString(), status: 'recorded' });
      const prev = previousTick(ds.schedule, this.timezone, now);
      if (task && prev && needsCatchUp(at, prev)) {
        this.log.info({ dataset: ds.name, last_run: at?.toISOString() ?? null }, 'catching up a missed schedule');
        this.claimAndRun(ds.name, 'catch-up', prev.toISOString());
      }
    }
    // The lease: renewed every third of it; each renewal also looks for replicas whose lease ran out.
    this.leaseTimer = setInterval(() => { void this.renewLease(); }, Math.max(250, Math.floor(coordination.leaseMs / 3)));
    this.leaseTimer.unref();
    void this.renewLease();
  }

  /** The store refusing this process's writes, or null. */
  get storeProblem(): StoreProblem | null {
    return this.storeFailing;
  }

  private storeFailed(error: string): void {
    if (!this.storeFailing) this.log.error({ err: error }, 'the results store cannot be written: vigil serve is degraded until a write works again');
    this.storeFailing = { since: this.storeFailing?.since ?? new Date().toISOString(), error };
  }

  private storeWorks(): void {
    if (this.unfinished.size > 0 || !this.storeFailing) return;
    this.log.info({ since: this.storeFailing.since }, 'the results store can be written again');
    this.storeFailing = null;
  }

  /** Finishes the runs a failing store left `running` (as aborted when their results were lost). */
  private async finishUnfinished(): Promise<void> {
    for (const [id, u] of this.unfinished) {
      try {
        await this.store.finishRun(u.runId, u.finishedAt, u.summary, u.status);
        this.unfinished.delete(id);
        this.log.info({ run_id: u.runId, status: u.status }, 'a run left running by a store failure is finished');
      } catch (err) {
        this.storeFailed(errorMessage(err));
        return;
      }
    }
    this.storeWorks();
  }

  /**
   * What an outside dead-man's switch is told: this replica holds its lease (the store answers it
   * within the lease) and somebody is taking ticks.
   */
  healthy(now = new Date()): boolean {
    if (this.stopping || now.getTime() - this.renewedAt > this.store.coordination.leaseMs) return false;
    return !this.scheduleWatch(now).stalled;
  }

  /** Whether anybody is scheduling, as of the ticks this process knows were taken. */
  scheduleWatch(now = new Date()): ScheduleWatch {
    return watchSchedule({
      datasets: [...this.datasets.values()], timezone: this.timezone, lastTicks: this.ticksTaken, now, leaseMs: this.store.coordination.leaseMs,
    });
  }

  private tickTaken(dataset: string, scheduledFor: string): void {
    const at = new Date(scheduledFor);
    if (at.getTime() > (this.ticksTaken.get(dataset)?.getTime() ?? -Infinity)) this.ticksTaken.set(dataset, at);
  }

  /** Reads the ticks taken from the store (other replicas take them too) and says it loudly when nobody has been scheduling. */
  private async watchStore(): Promise<ScheduleWatch | null> {
    try {
      for (const [dataset, at] of await this.store.lastTicks()) this.tickTaken(dataset, at.toISOString());
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not read the ticks taken: the schedule watch is left as it was');
      return null;
    }
    const watch = this.scheduleWatch();
    if (watch.stalled && !this.stalledSaid) {
      this.log.error({ quiet_seconds: watch.quiet_seconds, last_tick_at: watch.last_tick_at, overdue: watch.overdue }, stalledMessage(watch));
    }
    this.stalledSaid = watch.stalled;
    return watch;
  }

  /** Renews this replica's lease and reruns the ticks of replicas that died running them. */
  private async renewLease(): Promise<void> {
    if (this.stopping) return;
    await this.finishUnfinished();
    try {
      await this.store.coordination.heartbeat([...this.inFlight.keys()]);
      this.renewedAt = Date.now();
      for (const t of await this.store.coordination.reapDead(new Date().toISOString())) {
        const ds = this.datasets.get(t.dataset);
        this.log.warn({ dataset: t.dataset, scheduled_for: t.scheduledFor }, 'a replica died running this tick: running it here');
        if (!ds) { await this.store.coordination.tickDone(t.dataset, t.scheduledFor); continue; }
        this.tickTaken(t.dataset, t.scheduledFor);
        void this.runNow([ds], 'schedule', { scheduledFor: t.scheduledFor })
          .catch(() => undefined)
          .finally(() => { void this.store.coordination.tickDone(t.dataset, t.scheduledFor).catch(() => undefined); });
      }
      // Once a lease (every third renewal), whether anybody is scheduling: a stuck scheduler is seen by the others.
      if (++this.renewals % 3 === 0) await this.watchStore();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'could not renew this replica\'s lease');
    }
  }

  /** Replaces the dataset set: unchanged datasets keep their task, changed ones are rescheduled. */
  apply(datasets: DatasetDef[]): void {
    this.revision++;
    const next = new Map(datasets.map((d) => [d.name, d]));
    for (const [name, task] of this.tasks) {
      const before = this.datasets.get(name);
      const after = next.get(name);
      if (!after || !before || before.schedule !== after.schedule) {
        void task.stop();
        void task.destroy();
        this.tasks.delete(name);
        if (!after) this.log.info({ dataset: name }, 'dataset removed from the schedule');
      }
    }
    this.datasets = next;
    for (const ds of datasets) {
      if (this.tasks.has(ds.name)) continue;
      const task = cron.schedule(ds.schedule, () => this.tick(ds.name, 'schedule'), {
        timezone: this.timezone, name: ds.name,
      });
      this.tasks.set(ds.name, task);
    }
  }

  /** A reload from disk: `invalidFiles` keep their previous datasets. */
  reload(project: Project, datasets: DatasetDef[], problems: Diagnostic[], invalidFiles: string[]): void {
    const kept = [...this.datasets.values()].filter((d) => invalidFiles.includes(d.file) && !datasets.some((n) => n.name === d.name));
    if (project.config.timezone !== this.project.config.timezone) {
      // Every task fires in the config timezone: reschedule them all.
      for (const task of this.tasks.values()) { void task.stop(); void task.destroy(); }
      this.tasks.clear();
      this.datasets = new Map();
    }
    // Alert files are one configuration (routes name channels of other files): while any of them is
    // invalid, the last valid alert configuration stays in force, so a typo never silences alerting.
    const alertFiles = new Set(project.alerts.files);
    const alertErrors = problems.filter((p) => p.severity === 'error' && alertFiles.has(p.file));
    if (alertErrors.length > 0) project = { ...project, alerts: this.project.alerts };
    this.project = project;
    this.problems = problems;
    for (const p of problems.filter((x) => x.severity === 'error')) {
      const alertFile = alertFiles.has(p.file);
      this.log.error({ file: p.file, line: p.line, col: p.col, problem: p.message },
        alertFile ? 'invalid alert file: keeping the last valid alert configuration' : 'invalid check file: keeping its last valid version');
    }
    this.apply([...datasets, ...kept]);
    this.log.info({ datasets: this.datasets.size, kept_from_invalid_files: kept.map((d) => d.name), problems: problems.length }, 'configuration reloaded');
  }

  /** A tick of the dataset's schedule (the one at or just before now). */
  tick(name: string, trigger: string): void {
    const ds = this.datasets.get(name);
    const at = ds ? previousTick(ds.schedule, this.timezone, new Date()) : null;
    if (at) this.claimAndRun(name, trigger, at.toISOString());
  }

  /** Runs the tick if this replica claims it (exactly one of the processes sharing the store does). */
  private claimAndRun(name: string, trigger: string, scheduledFor: string): void {
    if (this.stopping) return;
    const coordination = this.store.coordination;
    void coordination.claimTick(name, scheduledFor).then((claim) => {
      // Whoever claimed it, the tick was taken: somebody is scheduling.
      this.tickTaken(name, scheduledFor);
      if (claim === 'taken' || this.stopping) return;
      const ds = this.datasets.get(name);
      if (claim === 'busy' || this.inFlight.has(name) || !ds) {
        if (ds) this.skip(name, trigger);
        return coordination.tickDone(name, scheduledFor);
      }
      return this.launch([ds], trigger, { scheduledFor }).then(() => undefined, () => undefined)
        .finally(() => coordination.tickDone(name, scheduledFor).catch((err: unknown) => this.log.error({ dataset: name, err: errorMessage(err) }, 'could not mark a tick done')));
    }).catch((err: unknown) => this.log.error({ dataset: name, scheduled_for: scheduledFor, err: errorMessage(err) }, 'could not claim a tick: it is left to the other replicas'));
  }

  private skip(name: string, trigger: string): void {
    this.skipped.set(name, (this.skipped.get(name) ?? 0) + 1);
    this.log.warn({ dataset: name, trigger }, 'tick skipped: the previous run of this dataset is still going');
    void this.store.recordSkippedTick(name, new Date().toISOString(), 'previous run still in progress')
      .catch((err: unknown) => this.log.error({ dataset: name, err: errorMessage(err) }, 'could not record a skipped tick'));
    this.events.onSkip?.(name);
  }

  /** Runs datasets now (API, CLI handoff); waits for any of them already in flight first. */
  async runNow(datasets: DatasetDef[], trigger: string, options: LaunchOptions = {}): Promise<RunReport> {
    for (;;) {
      if (this.stopping) throw new VigilError('SHUTTING_DOWN', 'vigil serve is shutting down: the run was not started — run it again when the daemon is back, or without it');
      const busy = datasets.map((d) => this.inFlight.get(d.name)).filter((p): p is Promise<void> => p !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    return this.launch(datasets, trigger, options);
  }

  /**
   * Starts a run and marks each of its datasets in flight until that dataset
   * (not the whole run) is done, so a slow dataset in a multi-dataset run
   * does not make the others skip their ticks.
   */
  private launch(datasets: DatasetDef[], trigger: string, options: LaunchOptions = {}): Promise<RunReport> {
    const release = new Map<string, () => void>();
    for (const d of datasets) {
      const done = new Promise<void>((resolve) => release.set(d.name, resolve));
      this.inFlight.set(d.name, done);
      void done.then(() => { if (this.inFlight.get(d.name) === done) this.inFlight.delete(d.name); });
    }
    const finish = (name: string) => { release.get(name)?.(); release.delete(name); };
    // A single dataset is held until its run is fully recorded; in a multi-dataset run each one is
    // released as soon as its own part is done.
    const run = this.runDatasets(datasets, trigger, datasets.length > 1 ? { ...options, onDataset: (o) => finish(o.dataset) } : options);
    const settled = run.then(() => undefined, () => undefined);
    this.active.add(settled);
    void settled.then(() => {
      this.active.delete(settled);
      for (const name of [...release.keys()]) finish(name);
    });
    return run;
  }

  private async runDatasets(
    datasets: DatasetDef[], trigger: string, options: LaunchOptions & { onDataset?: (o: DatasetRun) => void } = {},
  ): Promise<RunReport> {
    try {
      const incidents = this.events.incidents?.(this.project, options.alerts !== false);
      const report = await runChecks({
        project: this.project, datasets, store: this.store, engines: this.engines, log: this.log, trigger,
        ...(incidents ? { incidents } : {}),
        ...(options.onDataset ? { onDataset: options.onDataset } : {}),
        onUnfinished: (u) => { this.unfinished.set(u.runId, u); },
        signal: this.abort.signal, ...(options.now ? { now: options.now } : {}), ...(options.scheduledFor ? { scheduledFor: options.scheduledFor } : {}), ...(options.selectors ? { selectors: options.selectors } : {}),
      });
      // A replay (a --now before recorded results) is only answered: the last runs and metrics stay those of real runs.
      if (!report.recorded) return report;
      for (const d of report.datasets) {
        this.lastRun.set(d.dataset, { at: d.finishedAt, status: worstStatus(d.results.map((r) => r.status)) });
      }
      const [writeError] = report.record_errors;
      if (writeError !== undefined) this.storeFailed(writeError);
      else await this.finishUnfinished(); // this run's writes worked: so may the ones that failed before
      this.events.onRun?.(report);
      return report;
    } catch (err) {
      this.log.error({ datasets: datasets.map((d) => d.name), err: errorMessage(err) }, 'run failed');
      // Nothing but the store fails a whole run (a dataset's own errors are its results).
      if (!(err instanceof VigilError && err.code === 'SHUTTING_DOWN')) this.storeFailed(errorMessage(err));
      throw err;
    }
  }

  datasetsNow(): DatasetDef[] {
    return [...this.datasets.values()];
  }

  state(): DatasetState[] {
    return [...this.datasets.values()].map((d) => ({
      name: d.name,
      schedule: d.schedule,
      running: this.inFlight.has(d.name),
      lastRunAt: this.lastRun.get(d.name)?.at ?? null,
      lastStatus: this.lastRun.get(d.name)?.status ?? null,
      nextRunAt: this.tasks.get(d.name)?.getNextRun()?.toISOString() ?? null,
      skippedTicks: this.skipped.get(d.name) ?? 0,
    }));
  }

  /**
   * Stops taking ticks, lets runs in flight finish for up to `graceMs`, then
   * interrupts them (they are recorded as aborted). Resolves when all settled.
   */
  async stop(graceMs: number): Promise<{ interrupted: boolean }> {
    this.stopping = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    for (const task of this.tasks.values()) {
      void task.stop();
      void task.destroy();
    }
    this.tasks.clear();
    // Until no run is left, including any that began while we waited.
    const all = async () => { while (this.active.size > 0) await Promise.all([...this.active]); };
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => { timer = setTimeout(() => resolve('grace'), graceMs); });
    const outcome = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace') {
      this.log.warn({ running: [...this.inFlight.keys()] }, 'grace period over: interrupting runs in flight');
      this.abort.abort();
      await all();
      return { interrupted: true };
    }
    return { interrupted: false };
  }
}
