// vigil serve reloads its files off the main thread: whatever a file holds, the scheduler,
// the API and /healthz keep answering while it is read. A load that takes too long or
// grows past its memory limit is ended, and the running configuration stays in force.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VigilError, errorMessage } from '../util/errors.js';
import { loadProject, type LoadOptions, type LoadResult } from './loader.js';

export interface OffThreadOptions {
  /** How long a load may take (default 30 s). */
  timeoutMs?: number;
  /** The worker's heap limit (default 512 MB). */
  maxHeapMb?: number;
}

/**
 * The worker script next to this module: dist/bundle/load-worker.js beside the bundle's
 * chunks, dist/src/config/load-worker.js beside tsc's output. Run from the TypeScript
 * sources (the tests) there is none, and the load happens on this thread.
 */
function workerFile(): string | null {
  const file = fileURLToPath(new URL('./load-worker.js', import.meta.url));
  return existsSync(file) ? file : null;
}

export function loadProjectOffThread(options: LoadOptions, opts: OffThreadOptions = {}): Promise<LoadResult> {
  const file = workerFile();
  if (file === null) return Promise.resolve().then(() => loadProject(options));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<LoadResult>((resolve, reject) => {
    const worker = new Worker(file, {
      workerData: { options },
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 512 },
      // The project's ${ENV} are read from this process's environment as it is now.
      env: options.env ?? process.env,
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(() => finish(() => reject(new VigilError('CONFIG_INVALID',
      `reading the configuration took longer than ${Math.round(timeoutMs / 1000)}s and was stopped — a file may be too large or too complex`))), timeoutMs);
    worker.once('message', (result: LoadResult) => finish(() => resolve(result)));
    worker.once('error', (err) => finish(() => reject(new VigilError('CONFIG_INVALID',
      /memory/i.test(errorMessage(err)) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? 'reading the configuration ran out of memory and was stopped — a file may be too large or too complex'
        : `reading the configuration failed: ${errorMessage(err)}`, { cause: err }))));
    worker.once('exit', (code) => finish(() => reject(new VigilError('CONFIG_INVALID', `reading the configuration stopped (worker exit ${code})`))));
  });
}
