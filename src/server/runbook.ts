// GET /datasets/:name/runbook[?check=ID]: a dataset's (or a check's) local Markdown
// runbook, rendered on the server into the dashboard's page. Sanitised: markdown-it
// with html:false writes raw HTML in the file as text, and its link check drops
// javascript:, vbscript:, file: and data: links; the page's CSP runs no inline script either.
// A runbook that is a link (http(s)) is redirected to.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import MarkdownIt from 'markdown-it';
import { isLocalRunbook, runbookFile } from '../alerts/links.js';
import type { Project } from '../config/model.js';
import { escapeHtml } from './auth.js';
import { dashboardDir, renderStatic } from './pages.js';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
// Links in a runbook open outside the dashboard and never hand it the opener.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const t = tokens[idx];
  const href = String(t?.attrGet('href') ?? '');
  if (t && /^https?:/i.test(href)) { t.attrSet('rel', 'noopener noreferrer'); t.attrSet('target', '_blank'); }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** A runbook's Markdown as HTML, with HTML in the source shown as text. */
export function renderRunbook(markdown: string): string {
  return md.render(markdown);
}

export function runbookRouter(deps: { project: () => Project }): Router {
  const router = express.Router();
  const template = readFileSync(path.join(dashboardDir(), 'page.html'), 'utf8');
  const page = (status: number, title: string, body: string) => ({ status, html: renderStatic(template, title, body) });

  router.get('/datasets/:name/runbook', (req, res) => {
    const project = deps.project();
    const name = String(req.params.name);
    const ds = project.datasets.find((d) => d.name === name);
    const checkId = typeof req.query.check === 'string' && req.query.check !== '' ? req.query.check : null;
    const back = `<p><a href="/datasets/${encodeURIComponent(name)}">← ${escapeHtml(name)}</a></p>`;
    const send = (p: { status: number; html: string }) => res.status(p.status).type('html').set('Cache-Control', 'no-store').send(p.html);
    if (!ds) { send(page(404, 'Runbook', `<section class="notice notice-missing" id="not-found"><h2>Dataset not found: ${escapeHtml(name)}</h2></section>`)); return; }
    const check = checkId ? ds.checks.find((c) => c.id === checkId) : undefined;
    if (checkId && !check) { send(page(404, 'Runbook', `${back}<section class="notice notice-missing" id="not-found"><h2>No check ${escapeHtml(checkId)} in ${escapeHtml(name)}</h2></section>`)); return; }
    const runbook = check ? (check.runbook ?? ds.runbook) : ds.runbook;
    if (!runbook) { send(page(404, 'Runbook', `${back}<section class="notice notice-missing" id="not-found"><h2>${escapeHtml(checkId ?? name)} has no runbook</h2><p>Add <code>runbook:</code> to its check file: an http(s) link, or a Markdown file such as <code>../runbooks/${escapeHtml(name)}.md</code>.</p></section>`)); return; }
    if (!isLocalRunbook(runbook)) {
      if (/^https?:\/\//i.test(runbook.trim())) { res.redirect(303, runbook.trim()); return; }
      send(page(400, 'Runbook', `${back}<section class="notice notice-error" id="bad-runbook"><h2>This runbook is not an http(s) link</h2><p><code>${escapeHtml(runbook)}</code></p></section>`));
      return;
    }
    const found = runbookFile(project, ds, runbook);
    if ('error' in found) { send(page(400, 'Runbook', `${back}<section class="notice notice-error" id="bad-runbook"><h2>Runbook not shown</h2><p>${escapeHtml(found.error)}</p></section>`)); return; }
    if (!existsSync(found.file)) {
      send(page(404, 'Runbook', `${back}<section class="notice notice-missing" id="not-found"><h2>Runbook ${escapeHtml(found.shown)} not found</h2><p>${escapeHtml(check ? check.id : name)} names <code>${escapeHtml(runbook)}</code>; create that file (Markdown) in the project.</p></section>`));
      return;
    }
    let text: string;
    try { text = readFileSync(found.file, 'utf8'); } catch (err) {
      send(page(500, 'Runbook', `${back}<section class="notice notice-error"><h2>Cannot read ${escapeHtml(found.shown)}</h2><p>${escapeHtml((err as Error).message)}</p></section>`));
      return;
    }
    const head = `${back}<p class="muted runbook-source">Runbook of ${escapeHtml(check ? check.id : name)} · <code>${escapeHtml(found.shown)}</code></p>`;
    send(page(200, `Runbook · ${check ? check.id : name}`, `${head}<article class="runbook" id="runbook">${renderRunbook(text)}</article>`));
  });
  return router;
}
