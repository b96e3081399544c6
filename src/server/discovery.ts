// Where a running `vigil serve` announces itself: .vigil/serve.json next to
// the store (pid, url, a per-process token; mode 0600), and .vigil/serve.pid from
// the moment it holds the store (before it listens). Kept free of heavy imports:
// every `vigil run` reads them.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../config/model.js';
import { VigilError, errorMessage } from '../util/errors.js';

export interface DaemonFile {
  pid: number;
  url: string;
  token: string;
  started_at: string;
}

export function daemonFilePath(project: Project): string {
  return path.join(path.dirname(project.storePath), 'serve.json');
}

/** A file store (not a URL): one process holds it, so there is one vigil serve per store. */
function fileStore(project: Project): boolean {
  return !project.storePath.includes('://');
}

function pidFilePath(project: Project): string {
  return path.join(path.dirname(project.storePath), 'serve.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The vigil serve that said it holds this project's store, if its process is alive. */
function announcedServe(project: Project): { pid: number; started_at: string } | null {
  for (const file of [pidFilePath(project), daemonFilePath(project)]) {
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; started_at?: unknown };
      if (typeof info.pid === 'number' && info.pid !== process.pid && alive(info.pid)) {
        return { pid: info.pid, started_at: typeof info.started_at === 'string' ? info.started_at : '' };
      }
    } catch { /* none, or half-written */ }
  }
  return null;
}

/**
 * Writes serve.pid once this process holds the store (the store's own lock is the mutex; the
 * file only says who holds it, so that a second serve started at the same moment can say
 * "already running" rather than repeat the lock error). Returns its removal.
 */
export function announceStart(project: Project): () => void {
  if (!fileStore(project)) return () => undefined;
  const file = pidFilePath(project);
  try {
    writeFileSync(file, JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() }), { mode: 0o600 });
  } catch {
    return () => undefined; // a read-only folder: the lock error is all a second serve will see
  }
  return () => {
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
      if (info.pid === process.pid) rmSync(file, { force: true });
    } catch { /* gone already */ }
  };
}

/**
 * A store that could not be opened because it is locked: by this project's vigil serve (started
 * a moment ago, or running) → "already running"; otherwise the error as it was. DuckDB names the
 * process that holds the lock ("… (PID 1234)").
 */
export function whoHoldsTheStore(project: Project, err: unknown): unknown {
  if (!fileStore(project) || !/lock/i.test(errorMessage(err))) return err;
  const serve = announcedServe(project);
  const holder = /\(PID (\d+)\)/.exec(errorMessage(err))?.[1];
  if (!serve || (holder !== undefined && Number(holder) !== serve.pid)) return err;
  return new VigilError('ALREADY_RUNNING',
    `already running for this project (pid ${serve.pid}${serve.started_at ? `, started ${serve.started_at}` : ''}) — stop it first, or use vigil run / vigil status, which go through it`,
    { cause: err });
}
