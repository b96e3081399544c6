// vigil serve's reloads: a change to vigil.yaml, a check folder or an alert folder loads the
// project again (off the main thread, so no file can stall the scheduler or the API) and
// hands it to the scheduler. A folder that is deleted and created again, or swapped for
// another by a rename, is noticed (by chokidar's event, or its inode and birth time) and watched anew.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { blockingDiagnostics, type LoadOptions } from '../config/loader.js';
import { loadProjectOffThread } from '../config/load-off-thread.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { Project } from '../config/model.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface ReloadOptions {
  /** The project as started: its store, address and engine settings stay for the life of the process. */
  project: Project;
  load: LoadOptions;
  scheduler: Scheduler;
  log: Logger;
  /** After every reload attempt (the caller refreshes what depends on the problems). */
  onReloaded?: () => void;
  /** How often folders are checked for having been replaced (default 2 s). */
  pollMs?: number;
  /** Wait after the last change before loading (default 150 ms). */
  debounceMs?: number;
}

export interface Reloader {
  /** Resolves when the reload in progress (if any) is done. */
  close(): Promise<void>;
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The folders a project reads its check and alert files from, resolved. */
function foldersOf(project: Project): string[] {
  return [...asList(project.config.checks), ...asList(project.config.alerts)].map((f) => path.resolve(project.root, f));
}

/**
 * A folder's identity on disk: null when it is not there. The inode alone is not enough: a folder
 * deleted and created again at once usually gets the same inode number back, so its birth time
 * tells the new one from the old.
 */
/** The YAML files under a folder with their size and mtime: what a reload would read differently. */
function listing(dir: string): string {
  try {
    const names = (readdirSync(dir, { recursive: true }) as string[]).filter((n) => /\.ya?ml$/i.test(n)).sort();
    return names.map((n) => {
      try { const st = statSync(path.join(dir, n)); return `${n}:${st.size}:${st.mtimeMs}`; } catch { return `${n}:gone`; }
    }).join('\n');
  } catch {
    return '';
  }
}

function identity(dir: string): string | null {
  try {
    const st = statSync(dir);
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.birthtimeMs}` : null;
  } catch {
    return null;
  }
}

const WRITE_FINISH = { stabilityThreshold: 100, pollInterval: 25 };

interface Folder {
  /** What the poll last saw (identity() above). */
  id: string | null;
  watcher: FSWatcher | null;
  /**
   * Starting and stopping the folder's watcher, one after the other: chokidar shares one
   * fs.watch handle per path between its watchers, so a new watcher made before the old one
   * is closed would inherit the dead handle of the deleted folder and never hear a thing.
   */
  busy: Promise<void>;
}

export function watchProject(opts: ReloadOptions): Reloader {
  const { project, scheduler, log } = opts;
  const configExisted = existsSync(project.configFile);

  let pending: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const schedule = () => {
    if (closed) return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      if (running) { again = true; return; }
      running = (async () => {
        do {
          again = false;
          await reloadOnce();
        } while (again && !closed);
      })().finally(() => { running = null; });
    }, opts.debounceMs ?? 150);
  };
  const onChange = (_event: string, changed: string) => {
    if (/\.ya?ml$/i.test(changed)) schedule();
  };

  const configWatcher: FSWatcher = watch([project.configFile], { ignoreInitial: true, awaitWriteFinish: WRITE_FINISH });
  configWatcher.on('all', onChange);

  // One watcher per folder, so that a folder that comes back gets a fresh watcher whose 'ready'
  // says when its files are being watched: files written before then are read by the reload
  // that 'ready' schedules, files written after it give events. (Re-adding a path to a shared
  // watcher has no such moment, and a file written during its scan was lost.)
  const folders = new Map<string, Folder>();
  const stop = (folder: Folder) => {
    folder.busy = folder.busy.then(async () => {
      const w = folder.watcher;
      folder.watcher = null;
      await w?.close();
    }).catch((err: unknown) => { log.warn({ err: errorMessage(err) }, 'closing a folder watcher failed'); });
  };
  const start = (dir: string, folder: Folder, rewatch: boolean) => {
    folder.id = identity(dir);
    if (folder.id === null) return;
    folder.busy = folder.busy.then(() => {
      if (closed) return;
      // Files written while the first watcher scans give no event: 'ready' compares with what was there before it.
      const before = rewatch ? '' : listing(dir);
      const w = watch(dir, { ignoreInitial: true, awaitWriteFinish: WRITE_FINISH });
      folder.watcher = w;
      w.on('all', (event, changed) => {
        if (event === 'unlinkDir' && path.resolve(changed) === dir) {
          // chokidar stops watching a folder that is deleted: say it is gone now, so that the
          // poll below sees it come back however fast that is.
          if (folder.watcher === w) {
            folder.id = null;
            stop(folder);
            log.info({ folder: dir, present: false }, 'a watched folder is gone');
            schedule();
          }
          return;
        }
        onChange(event, changed);
      });
      w.on('ready', () => { if (folder.watcher === w && (rewatch || listing(dir) !== before)) schedule(); });
    });
  };
  const follow = (dirs: string[]) => {
    for (const dir of dirs) {
      if (folders.has(dir)) continue;
      const folder: Folder = { id: null, watcher: null, busy: Promise.resolve() };
      folders.set(dir, folder);
      start(dir, folder, false);
    }
  };
  follow(foldersOf(project));

  // A folder that appears, or is swapped for another by a rename, is found by its identity.
  const poll = setInterval(() => {
    for (const [dir, folder] of folders) {
      const now = identity(dir);
      if (now === folder.id) continue;
      log.info({ folder: dir, present: now !== null }, now === null ? 'a watched folder is gone' : 'a watched folder was created or replaced: watching it again');
      stop(folder);
      start(dir, folder, true);
      schedule();
    }
  }, opts.pollMs ?? 2000);
  poll.unref();

  const reloadOnce = async () => {
    try {
      if (!existsSync(project.configFile) && configExisted) {
        // Without vigil.yaml the loader would fall back to defaults (another checks folder, timezone, store).
        log.error({ file: project.configFile }, 'vigil.yaml is gone: keeping the running configuration until it is back');
        return;
      }
      const next = await loadProjectOffThread(opts.load);
      if (closed) return;
      const badConfig = blockingDiagnostics(next.diagnostics, 'serve', next.project).filter((d) => d.file === project.configFile);
      if (badConfig.length) {
        scheduler.problems = next.diagnostics;
        for (const p of badConfig) log.error({ file: p.file, line: p.line, col: p.col, problem: p.message }, 'invalid vigil.yaml: keeping the running configuration');
      } else {
        const before = project.config;
        const after = next.project.config;
        const fixed = [
          next.project.storePath !== project.storePath ? 'store' : '',
          after.dashboard.host !== before.dashboard.host || after.dashboard.port !== before.dashboard.port ? 'dashboard host/port' : '',
          after.dashboard.token !== before.dashboard.token ? 'dashboard.token' : '',
          after.concurrency !== before.concurrency || JSON.stringify(after.duckdb) !== JSON.stringify(before.duckdb) ? 'concurrency/duckdb' : '',
        ].filter(Boolean);
        if (fixed.length) log.warn({ changed: fixed }, 'vigil.yaml changed settings that take effect only after a restart of vigil serve');
        scheduler.reload(next.project, next.project.datasets, next.diagnostics, next.invalidFiles);
        // vigil.yaml may name other folders now.
        follow(foldersOf(next.project));
      }
    } catch (err) {
      // The load itself failed (too slow, out of memory): say so where config problems are shown.
      const problem: Diagnostic = { file: project.configFile, line: 1, col: 1, severity: 'error', message: `${errorMessage(err)}; keeping the running configuration` };
      scheduler.problems = [...scheduler.problems.filter((p) => p.message !== problem.message), problem];
      log.error({ err: errorMessage(err) }, 'reload failed: keeping the running configuration');
    }
    opts.onReloaded?.();
  };

  return {
    async close() {
      closed = true;
      clearTimeout(pending);
      clearInterval(poll);
      for (const folder of folders.values()) stop(folder);
      await Promise.all([configWatcher.close(), ...[...folders.values()].map((f) => f.busy)]);
      await running;
    },
  };
}
