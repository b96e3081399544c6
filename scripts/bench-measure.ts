// Process timing for `npm run bench`: spawns one node process, measures its wall-clock time
// (spawn to exit, in the parent) and its peak RSS (via /usr/bin/time -f %M when present,
// else via the bench-rss.js preload), and keeps its stdout/stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type RssMode = 'time' | 'preload';

export interface ProcessRun {
  wallMs: number;
  /** Peak RSS in KiB, or null when it could not be read. */
  rssKb: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export const TIME_BIN = '/usr/bin/time';

export function defaultRssMode(): RssMode {
  return existsSync(TIME_BIN) ? 'time' : 'preload';
}

let scratch: string | undefined;
let counter = 0;

function scratchFile(): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
  return path.join(scratch, `rss-${process.pid}-${counter++}.txt`);
}

export function cleanupScratch(): void {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}

export interface RunOptions {
  cwd: string;
  rssMode: RssMode;
  /** Compiled scripts/bench-rss.js, used in 'preload' mode. */
  preloadPath: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs `node <args...>` (args[0] is the script) and measures it. */
export function runNode(args: string[], opts: RunOptions): Promise<ProcessRun> {
  const rssFile = scratchFile();
  rmSync(rssFile, { force: true });
  let cmd: string;
  let argv: string[];
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (opts.rssMode === 'time') {
    cmd = TIME_BIN;
    argv = ['-f', '%M', '-o', rssFile, process.execPath, ...args];
  } else {
    cmd = process.execPath;
    argv = ['--import', pathToFileURL(opts.preloadPath).href, ...args];
    env['VIGIL_BENCH_RSS_FILE'] = rssFile;
  }
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      resolve({
        wallMs,
        rssKb: readRss(rssFile),
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** Last line of the file that is a plain integer (GNU time also writes "Command exited with non-zero status N"). */
function readRss(file: string): number | null {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').reverse();
    for (const line of lines) if (/^\d+$/.test(line.trim())) return Number(line.trim());
  } catch {
    // no file: the process was killed before it could be written
  }
  return null;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
