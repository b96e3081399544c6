// Finds a running `vigil serve` for this project (via .vigil/serve.json) so
// that `run` and `status` go through it instead of opening the store, which
// the daemon holds. A stale file (dead pid, no answer) is ignored.

import { existsSync, readFileSync } from 'node:fs';
import type { Project } from '../config/model.js';
import { daemonFilePath, type DaemonFile } from '../server/discovery.js';

export interface DaemonHandle {
  url: string;
  token: string;
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function findDaemon(project: Project): Promise<DaemonHandle | null> {
  const file = daemonFilePath(project);
  if (!existsSync(file)) return null;
  let info: DaemonFile;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as DaemonFile;
  } catch {
    return null;
  }
  if (!alive(info.pid)) return null;
  try {
    // With the daemon's own token /healthz answers in full (without it, only when no dashboard.token is set).
    const res = await fetch(`${info.url}/healthz`, { headers: { authorization: `Bearer ${info.token}` }, signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { scheduler?: { alive?: unknown } };
    if (!res.ok || body.scheduler?.alive !== true) return null;
  } catch {
    return null;
  }
  return { url: info.url, token: info.token, pid: info.pid };
}

export async function daemonRequest<T>(d: DaemonHandle, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    throw new Error(`vigil serve at ${d.url} answered ${res.status} with something that is not JSON`);
  }
}
