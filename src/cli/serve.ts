// vigil serve: scheduler + HTTP (health, metrics, API) in one long-running
// process. SIGTERM/SIGINT stop it gracefully; it exits 0.

import { loadProject } from '../config/loader.js';
import { startDaemon } from '../server/daemon.js';
import { findDaemon } from './daemon-client.js';
import { sayIfStalled } from './watch.js';
import { VigilError, errorMessage } from '../util/errors.js';
import { createLogger } from '../util/log.js';

export async function serveCommand(opts: { config?: string }): Promise<number> {
  const log = createLogger(process.env.VIGIL_LOG_LEVEL ?? 'info');
  const { project } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const running = await findDaemon(project);
  if (running) {
    process.stderr.write(`vigil serve: already running for this project (pid ${running.pid}, at ${running.url}) — stop it first, or use vigil run / vigil status, which go through it\n`);
    return 3;
  }
  let daemon;
  try {
    daemon = await startDaemon(opts.config !== undefined ? { configPath: opts.config } : {}, log);
  } catch (err) {
    // Everything it had opened is closed again (startDaemon): nothing keeps this process alive.
    process.stderr.write(`vigil serve: ${errorMessage(err)}\n`);
    const code = err instanceof VigilError ? err.code : undefined;
    return code === 'CONFIG_INVALID' || code === 'ALREADY_RUNNING' ? 3 : 2;
  }
  sayIfStalled(daemon.scheduler.watchAtStart);
  process.stderr.write(`vigil serve: listening on ${daemon.url} (health ${daemon.url}/healthz, metrics ${daemon.url}/metrics) — Ctrl-C to stop\n`);
  const d = daemon;
  return new Promise<number>((resolve) => {
    let firstAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstAt > 0 && Date.now() - firstAt < 1500) return; // the same Ctrl-C, delivered twice
      if (firstAt > 0) {
        process.stderr.write(`vigil serve: ${signal} again — exiting now\n`);
        process.exit(130);
      }
      firstAt = Date.now();
      log.info({ signal }, 'signal received');
      d.stop().then(() => resolve(0), (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
