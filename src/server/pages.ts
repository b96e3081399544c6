// The dashboard's pages and their static assets: HTML/JS/CSS from dashboard/,
// and the browser builds of chart.js and dagre from node_modules (no CDN).
// Every page is a static shell; its script reads the JSON API.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);

/** <repo>/dashboard, from dist/src/server (compiled) or src/server (sources). */
export function dashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.resolve(here, '../..')) === 'dist' ? '../../..' : '../..';
  return path.resolve(here, up, 'dashboard');
}

/** Files the pages load from /vendor/…: [package, path inside it]. */
export const VENDOR: Record<string, [string, string]> = {
  'chart.umd.js': ['chart.js', 'dist/chart.umd.js'],
  'dagre.esm.js': ['@dagrejs/dagre', 'dist/dagre.esm.js'],
};

/** A package's folder (its exports map hides dist files from require.resolve). */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      if ((require(path.join(dir, 'package.json')) as { name?: string }).name === name) return dir;
    } catch { /* keep walking up */ }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = up;
  }
}

export function pagesRouter(): Router {
  const router = express.Router();
  const dir = dashboardDir();
  const page = (file: string) => (_req: express.Request, res: express.Response) => {
    res.sendFile(path.join(dir, file));
  };
  router.get('/', page('index.html'));
  router.get('/datasets/:name', page('dataset.html'));
  router.get('/lineage', page('lineage.html'));
  router.get('/slos', page('slos.html'));
  router.get('/incidents', page('incidents.html'));
  router.use('/assets', express.static(path.join(dir, 'assets'), { index: false, fallthrough: false }));
  router.get('/vendor/:file', (req, res) => {
    const entry = VENDOR[req.params.file];
    if (!entry) { res.status(404).type('text/plain').send('not found'); return; }
    res.sendFile(path.join(packageDir(entry[0]), entry[1]), { maxAge: '1h' });
  });
  return router;
}
