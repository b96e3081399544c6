// A real PostgreSQL server for tests and benchmarks: Debian's PostgreSQL (pg_config --bindir),
// a fresh cluster in a temp folder, on a free port of 127.0.0.1, stopped at the end.
// initdb and postgres refuse to run as root, so as root they run as the
// `postgres` user (or `nobody`) through setpriv.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** postgres://vigil:<password>@127.0.0.1:<port>/vigil — a superuser with a password. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A URL for another database on this server (created by createDatabase). */
  urlFor(database: string, user?: { name: string; password: string }): string;
  createDatabase(name: string): Promise<string>;
  /** Runs SQL as the superuser on a database (default the main one). */
  sql(text: string, database?: string): Promise<pg.QueryResult>;
  /** SIGKILL the server (a crash: clients see their connections die). */
  kill(): Promise<void>;
  /** Start it again after kill() or stop(), on the same port. */
  start(): Promise<void>;
  /** Fast shutdown, keeping the data. */
  stop(): Promise<void>;
  /** Stop and remove everything. */
  destroy(): Promise<void>;
}

function bindir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL not found: install Debian\'s postgresql package (pg_config --bindir must name its binaries), or set PG_BINDIR');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** uid/gid to run PostgreSQL's binaries as: ourselves, unless we are root. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

function command(bin: string, args: string[], as: { uid: number; gid: number } | null): [string, string[]] {
  if (!as) return [bin, args];
  return ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', bin, ...args]];
}

function run(bin: string, args: string[], as: { uid: number; gid: number } | null): void {
  const [cmd, argv] = command(bin, args, as);
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

async function waitReady(url: string, child: ChildProcess | null, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (child && child.exitCode !== null) throw new Error(`PostgreSQL exited (${child.exitCode}): ${log()}`);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 30 s: ${String(err)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<PgServer> {
  const bin = bindir();
  const as = runAs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-pg-'));
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  mkdirSync(sock);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`);
  if (as) {
    for (const p of [dir, sock, pwfile]) chownSync(p, as.uid, as.gid);
  }
  chmodSync(dir, 0o700);
  run(path.join(bin, 'initdb'), ['-D', data, '-U', 'vigil', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], as);
  const port = await freePort();
  const conf = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${sock}'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    shared_buffers: '128MB',
    ...(opts.settings ?? {}),
  };
  writeFileSync(path.join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  if (as) chownSync(path.join(data, 'postgresql.auto.conf'), as.uid, as.gid);

  let child: ChildProcess | null = null;
  let output = '';
  const url = `postgres://vigil:${encodeURIComponent(password)}@127.0.0.1:${port}/vigil`;
  const urlFor = (database: string, user?: { name: string; password: string }) =>
    `postgres://${user ? `${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}` : `vigil:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;

  const start = async () => {
    const [cmd, argv] = command(path.join(bin, 'postgres'), ['-D', data], as);
    output = '';
    child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.stdout?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000); });
    child.stderr?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000); });
    await waitReady(urlFor('postgres'), child, () => output);
  };
  const exited = (signal: NodeJS.Signals) => new Promise<void>((resolve) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('exit', () => resolve());
    c.kill(signal);
  });

  await start();
  const admin = async (text: string, database = 'vigil') => {
    const client = new pg.Client({ connectionString: urlFor(database) });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin('CREATE DATABASE vigil', 'postgres');

  const server: PgServer = {
    url, host: '127.0.0.1', port, user: 'vigil', password, database: 'vigil', urlFor,
    async createDatabase(name) {
      await admin(`CREATE DATABASE "${name.replaceAll('"', '""')}"`, 'postgres');
      return urlFor(name);
    },
    sql: admin,
    kill: async () => {
      await exited('SIGKILL');
      // A killed postmaster leaves its children for a moment; they exit when they notice.
      await new Promise((r) => setTimeout(r, 200));
      rmSync(path.join(data, 'postmaster.pid'), { force: true });
    },
    start,
    stop: () => exited('SIGINT'),
    destroy: async () => {
      await exited('SIGINT');
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
