// Worker-thread entry of loadProjectOffThread(): loads the project and posts the result
// back. Its own file (and its own bundle entry) so that a worker starts only the loader.

import { parentPort, workerData } from 'node:worker_threads';
import { loadProject, type LoadOptions } from './loader.js';

const options = (workerData as { options: LoadOptions }).options;
parentPort?.postMessage(loadProject(options));
