/**
 * `npm run demo`: builds the demo warehouse (demo/warehouse, with timestamps
 * relative to now and a few planted problems, see demo-warehouse.ts), then
 * runs every check of the bundled project once and then keeps serving:
 *
 *   bin/vigil run --config <repo>/vigil.yaml
 *   bin/vigil serve --config <repo>/vigil.yaml     (unless --once)
 *
 * Checks that warn, fail or error are the point of the demo, so vigil's exit
 * codes 0, 1 and 2 all end the demo with 0. Exit code 3 (configuration
 * invalid, nothing ran) or a crash ends it non-zero.
 *
 * Options: --once   run the checks once and exit
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoWarehouse } from './demo-warehouse.js';

const USAGE = 'usage: npm run demo [-- --once]';
/** Where vigil serve listens for the repo's vigil.yaml (it sets no dashboard:, so the defaults). */
const DASHBOARD = 'http://127.0.0.1:8080';

/** dist/scripts/demo.js → <repo> (two levels up); scripts/demo.ts (run with tsx) → one level up. */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const compiled = path.basename(path.dirname(here)) === 'dist';
  return path.resolve(here, compiled ? '../..' : '..');
}

/** A path relative to the working directory when it is inside it, else absolute. */
function display(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function parseArgs(argv: string[]): { once: boolean } | { help: true } {
  let once = false;
  for (const arg of argv) {
    if (arg === '--once') once = true;
    else if (arg === '-h' || arg === '--help') return { help: true };
    else process.stderr.write(`demo: ignoring unknown argument ${JSON.stringify(arg)} (${USAGE})\n`);
  }
  return { once };
}

function runVigil(bin: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // Through the current node binary, so it works without the exec bit or a shebang-aware shell.
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    // Ctrl-C reaches the child from the terminal too; the demo waits for its graceful stop.
    const forward = (sig: NodeJS.Signals) => { child.kill(sig); };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ code, signal });
    });
  });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if ('help' in opts) {
    process.stdout.write(`${USAGE}\n\nBuilds demo/warehouse, runs every check in checks/ once, then keeps running them on their schedules with vigil serve (--once: exit after the first run).\n`);
    return 0;
  }

  const root = repoRoot();
  const config = path.join(root, 'vigil.yaml');
  const bin = path.join(root, 'bin', 'vigil');
  const warehouse = path.join(root, 'demo', 'warehouse');

  const started = Date.now();
  await buildDemoWarehouse(warehouse, new Date());
  process.stdout.write(
    `demo: built an e-commerce warehouse in ${display(warehouse)} ` +
      `(customers.csv, orders/*.parquet, order_items.parquet, payments.csv, web_events.ndjson) ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)}s; planted problems: stale payments, ` +
      `duplicate order ids, missing customer emails, retyped order_items.unit_price\n`,
  );
  process.stdout.write(`demo: vigil run --config ${display(config)}\n\n`);

  const first = await runOnce(bin, config);
  const alertsLog = path.join(root, '.vigil', 'alerts.log');
  if (first === 0 && existsSync(alertsLog)) {
    process.stdout.write(
      `demo: the alerts above (channel "console" in alerts/demo.yaml) are also in ${display(alertsLog)}; ` +
        `a run that finds the same problems sends nothing new — alerts go out when an incident opens, escalates, reminds or resolves.\n`,
    );
  }
  if (first !== 0 || opts.once) return first;

  process.stdout.write(
    `\ndemo: now serving — every dataset runs on its schedule. Look at:\n` +
      `  ${DASHBOARD}/          the dashboard: datasets, history charts, lineage, SLOs, incidents\n` +
      `  ${DASHBOARD}/healthz   scheduler and datasets\n` +
      `  ${DASHBOARD}/metrics   Prometheus metrics\n` +
      `  ${display(bin)} status --config ${display(config)}   latest results (through the daemon)\n` +
      `Ctrl-C stops it (npm run demo -- --once runs once and exits).\n\n`,
  );
  const served = await runVigil(bin, ['serve', '--config', config]);
  return served.code ?? (served.signal === 'SIGINT' || served.signal === 'SIGTERM' ? 0 : 1);
}

async function runOnce(bin: string, config: string): Promise<number> {
  const { code, signal } = await runVigil(bin, ['run', '--config', config]);
  if (signal) {
    process.stderr.write(`\ndemo: vigil was killed by ${signal}\n`);
    return 1;
  }
  switch (code) {
    case 0:
      process.stdout.write('\ndemo: every check passed\n');
      return 0;
    case 1:
      process.stdout.write('\ndemo: done — the warnings and failures above are the planted problems (see scripts/demo-warehouse.ts).\n');
      return 0;
    case 2:
      process.stdout.write(
        '\ndemo: done — some checks could not be evaluated (ERROR above); the demo plants none of those, ' +
          'so look at the check files in checks/ or the extracts in demo/warehouse.\n',
      );
      return 0;
    case 3:
      process.stderr.write(`\ndemo: vigil reported an invalid configuration (exit 3); nothing ran (or vigil is not built: npm run build). Check ${config} and checks/*.yaml (try: ${display(bin)} validate --config ${display(config)})\n`);
      return 3;
    default:
      process.stderr.write(`\ndemo: vigil exited with unexpected code ${String(code)}\n`);
      return typeof code === 'number' && code !== 0 ? code : 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
