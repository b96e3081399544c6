// Where a running `vigil serve` announces itself: .vigil/serve.json next to
// the store (pid, url, a per-process token; mode 0600). Kept free of heavy
// imports: every `vigil run` reads it.

import path from 'node:path';
import type { Project } from '../config/model.js';

export interface DaemonFile {
  pid: number;
  url: string;
  token: string;
  started_at: string;
}

export function daemonFilePath(project: Project): string {
  return path.join(path.dirname(project.storePath), 'serve.json');
}
