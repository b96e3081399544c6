// Starting vigil serve when it cannot work: a store with a corrupt block makes the start
// fail, and a failed start closes everything it opened and exits non-zero (it used to
// print the error and keep listening, with /healthz saying ok, holding the store's lock).
// Two serves started at the same moment: one runs, the other says "already running".

import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil, VIGIL } from '../helpers.js';
import { api, killAllDaemons, readServeFile, stopServe, waitFor, type Daemon } from '../serve-helpers.js';

afterAll(async () => {
  await killAllDaemons();
  cleanupProjects();
});

const live: Array<ReturnType<typeof spawn>> = [];
afterAll(() => { for (const c of live) c.kill('SIGKILL'); });

function project(): string {
  return makeProject({
    'vigil.yaml': 'timezone: UTC\ndashboard: { port: 0 }\nschedule: "0 0 1 1 *"\n',
    'data/t.csv': 'id\n1\n2\n',
    'checks/t.yaml': 'dataset: t\nsource: ../data/t.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
}

/** bin/vigil serve, its output kept, resolving `exited` with its code (null while it runs). */
function serve(dir: string) {
  const child = spawn(process.execPath, [VIGIL, 'serve'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', VIGIL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', () => undefined);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => { code = c; resolve(c); }));
  return { child, pid: child.pid as number, exited, stderr: () => stderr, code: () => code };
}

describe('a start that fails', () => {
  it('a corrupt block in the store: the error names the store, the process exits 2, and nothing is left announced', async () => {
    const dir = project();
    expect((await vigil(['run'], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, '.vigil', 'vigil.duckdb');
    // Enough skipped ticks for a block of their own, then garbage over that block: the store still
    // opens (its migrations table is elsewhere), and reading the ticks at start-up fails.
    await queryDb(file, `insert into skipped_ticks select 't', now() - to_seconds(range), 'previous run still in progress' from range(300000)`, { write: true });
    await queryDb(file, 'checkpoint', { write: true });
    const ticks = (await queryDb(file, `select distinct block_id from pragma_storage_info('skipped_ticks') where persistent and block_id >= 0`)).map((r) => Number(r.block_id));
    const shared = new Set((await queryDb(file, `select block_id from pragma_storage_info('vigil_meta') union select block_id from pragma_storage_info('vigil_migrations')
      union select block_id from pragma_storage_info('runs')`)).map((r) => Number(r.block_id)));
    const block = ticks.find((b) => !shared.has(b));
    expect(block, `a block of skipped_ticks alone (${ticks.join(', ')} vs ${[...shared].join(', ')})`).toBeDefined();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 3 * 4096 + (block as number) * 262_144 + 100);
    closeSync(fd);

    const s = serve(dir);
    const code = await Promise.race([s.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000))]);
    expect(code, `still running 30 s later:\n${s.stderr()}`).toBe(2);
    expect(s.stderr()).toMatch(/vigil serve: cannot start: the results store .*vigil\.duckdb could not be read \(.*Corrupt database file/);
    expect(existsSync(path.join(dir, '.vigil', 'serve.json'))).toBe(false);
    expect(existsSync(path.join(dir, '.vigil', 'serve.pid'))).toBe(false);
    // The lock went with it: the CLI opens the store (and reports the same corruption, not a lock).
    const status = await vigil(['status'], { cwd: dir });
    expect(`${status.stdout}${status.stderr}`).not.toMatch(/Could not set lock|Conflicting lock|in use by another process/);
  });
});

describe('two vigil serve started at the same moment', () => {
  it('one runs; the other exits 3 with "already running" and the winner\'s pid, never the store\'s lock text', async () => {
    const dir = project();
    const a = serve(dir);
    const b = serve(dir);
    const loserCode = await Promise.race([a.exited, b.exited]);
    const [loser, winner] = a.code() !== undefined ? [a, b] : [b, a];
    expect(loserCode, loser.stderr()).toBe(3);
    expect(loser.stderr()).toMatch(new RegExp(`vigil serve: already running for this project \\(pid ${winner.pid}`));
    expect(loser.stderr()).not.toMatch(/Could not set lock|Conflicting lock|in use by another process/);
    // The winner is up and serving, announced under its own pid.
    const info = await waitFor('the winner\'s serve.json', () => readServeFile(dir));
    expect(info.pid).toBe(winner.pid);
    expect((await api(info, '/healthz')).status).toBe(200);
    const d = { child: winner.child, alive: () => winner.code() === undefined, exited: winner.exited.then((c) => ({ code: c, signal: null })), stderr: winner.stderr } as unknown as Daemon;
    expect((await stopServe(d)).code).toBe(0);
    expect(existsSync(path.join(dir, '.vigil', 'serve.pid'))).toBe(false);
  });
});
