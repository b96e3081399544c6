// The dashboard's pages and their static assets: HTML/JS/CSS from dashboard/,
// and the browser builds of chart.js and dagre from node_modules (no CDN).
// Every page is one static shell (dashboard/page.html) filled with its title,
// module and nav entry at start-up; its script reads the JSON API.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

// Not named `require`: the CLI bundle declares a top-level `require` in every chunk (see scripts/bundle.ts).
const requireHere = createRequire(import.meta.url);

/**
 * <repo>/dashboard: the first folder up from this module that holds dashboard/page.html.
 * This module runs from src/server (sources), dist/src/server (tsc) and dist/bundle (the
 * CLI bundle, where it is part of a chunk), so its depth below the repo is not fixed.
 */
export function dashboardDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'dashboard');
    if (existsSync(path.join(candidate, 'page.html'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find dashboard/page.html above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Files the pages load from /vendor/…: [package, path inside it]. */
export const VENDOR: Record<string, [string, string]> = {
  'chart.umd.js': ['chart.js', 'dist/chart.umd.js'],
  'dagre.esm.js': ['@dagrejs/dagre', 'dist/dagre.esm.js'],
};

/** A package's folder (its exports map hides dist files from require.resolve). */
function packageDir(name: string): string {
  let dir = path.dirname(requireHere.resolve(name));
  for (;;) {
    try {
      if ((requireHere(path.join(dir, 'package.json')) as { name?: string }).name === name) return dir;
    } catch { /* keep walking up */ }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = up;
  }
}

interface PageShell {
  route: string;
  title: string;
  /** its module under dashboard/assets/ */
  script: string;
  /** whether it draws charts (loads chart.js) */
  charts: boolean;
}

/** The navigation bar, in order; a page whose route is here is marked current. */
const NAV: ReadonlyArray<[string, string]> = [['/', 'Overview'], ['/lineage', 'Lineage'], ['/slos', 'SLOs'], ['/incidents', 'Incidents']];

/** Every page is the same shell (dashboard/page.html) with its title, its module and its place in the nav. */
const PAGES: readonly PageShell[] = [
  { route: '/', title: 'Overview', script: 'overview.js', charts: false },
  { route: '/datasets/:name', title: 'Dataset', script: 'dataset.js', charts: true },
  { route: '/lineage', title: 'Lineage', script: 'lineage.js', charts: false },
  { route: '/slos', title: 'SLOs', script: 'slos.js', charts: true },
  { route: '/incidents', title: 'Incidents', script: 'incidents.js', charts: false },
  // One incident, at the link its alerts carry (the same module shows only it).
  { route: '/incidents/:id', title: 'Incident', script: 'incidents.js', charts: false },
];

function renderShell(template: string, p: PageShell): string {
  const scripts = [
    ...(p.charts ? ['  <script src="/vendor/chart.umd.js" defer></script>'] : []),
    `  <script type="module" src="/assets/${p.script}"></script>`,
  ].join('\n');
  const nav = NAV.map(([href, label]) => `      <a href="${href}"${href === p.route ? ' aria-current="page"' : ''}>${label}</a>`).join('\n');
  return template.replace('{{title}}', p.title).replace('{{scripts}}', scripts).replace('{{nav}}', nav);
}

/** A page drawn on the server (a runbook): the same shell, its main filled, no script. */
export function renderStatic(template: string, title: string, mainHtml: string): string {
  const nav = NAV.map(([href, label]) => `      <a href="${href}">${label}</a>`).join('\n');
  return template.replace('{{title}}', title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)).replace('{{scripts}}', '').replace('{{nav}}', nav)
    .replace(/<main id="main" aria-busy="true">[\s\S]*?<\/main>/, () => `<main id="main" aria-busy="false">\n${mainHtml}\n  </main>`);
}

export function pagesRouter(): Router {
  const router = express.Router();
  const dir = dashboardDir();
  const template = readFileSync(path.join(dir, 'page.html'), 'utf8');
  for (const p of PAGES) {
    const html = renderShell(template, p);
    router.get(p.route, (_req, res) => { res.type('html').send(html); });
  }
  // The formatter the CLI, alerts and check messages use (src/util/format.ts, as tsc compiled
  // it): the pages write durations and counts with the very same code.
  const shared = path.join(path.dirname(dir), 'dist', 'src', 'util', 'format.js');
  router.get('/assets/format.js', (_req, res) => { res.type('text/javascript').sendFile(shared); });
  router.use('/assets', express.static(path.join(dir, 'assets'), { index: false, fallthrough: false }));
  router.get('/vendor/:file', (req, res) => {
    const entry = VENDOR[req.params.file];
    if (!entry) { res.status(404).type('text/plain').send('not found'); return; }
    res.sendFile(path.join(packageDir(entry[0]), entry[1]), { maxAge: '1h' });
  });
  return router;
}
