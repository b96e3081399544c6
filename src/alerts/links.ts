// Where an alert and a page link to: the dashboard (dashboard.public_url, else the
// address vigil serve listens on) — a dataset's page, an incident's page — and a
// check's runbook: an http(s) URL as written, or a Markdown file of the project
// (`runbook: ../runbooks/orders.md`, relative to its check file) rendered by the dashboard.

import path from 'node:path';
import type { DatasetDef, Project } from '../config/model.js';

/** The dashboard's base URL, without a trailing slash. */
export function dashboardBase(project: Project): string {
  const d = project.config.dashboard;
  let base = d.public_url;
  if (!base) {
    const host = d.host === '0.0.0.0' || d.host === '::' ? 'localhost' : d.host;
    base = `http://${host.includes(':') ? `[${host}]` : host}:${d.port}`;
  }
  return base.replace(/\/+$/, '');
}

/** Link to the dataset's dashboard page. */
export function dashboardLink(project: Project, dataset: string): string {
  return `${dashboardBase(project)}/datasets/${encodeURIComponent(dataset)}`;
}

/** Link to one incident's dashboard page. */
export function incidentLink(project: Project, incidentId: string): string {
  return `${dashboardBase(project)}/incidents/${encodeURIComponent(incidentId)}`;
}

/** A runbook written as a path (no URL scheme): a file of the project that the dashboard renders. */
export function isLocalRunbook(runbook: string): boolean {
  const r = runbook.trim();
  return r !== '' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(r) && !r.startsWith('//');
}

/** The dashboard path that renders a dataset's local runbook (or a check's own, with its id). */
export function runbookPath(dataset: string, checkId: string | null): string {
  return `/datasets/${encodeURIComponent(dataset)}/runbook${checkId ? `?check=${encodeURIComponent(checkId)}` : ''}`;
}

/**
 * Where a runbook link goes: a local runbook to its dashboard page (absolute, for messages, with
 * `base`; a path on the dashboard without), anything else as written (renderers keep only http(s)).
 */
export function runbookHref(runbook: string | null | undefined, dataset: string, checkId: string | null, base: string | null): string | null {
  if (!runbook) return null;
  if (!isLocalRunbook(runbook)) return runbook;
  return `${base ?? ''}${runbookPath(dataset, checkId)}`;
}

export type RunbookFile = { file: string; shown: string } | { error: string };

/**
 * The file of a local runbook: relative to the check file that names it, inside the project's folder,
 * Markdown (.md or .markdown). Anything else is refused: the dashboard never serves other files.
 */
export function runbookFile(project: Project, ds: DatasetDef, runbook: string): RunbookFile {
  if (!isLocalRunbook(runbook)) return { error: `${runbook} is not a local runbook (it is a link)` };
  const file = path.resolve(path.dirname(ds.file), runbook.trim());
  const rel = path.relative(project.root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { error: `runbook ${runbook} is outside the project folder: a local runbook must be a file of the project` };
  if (!/\.(md|markdown)$/i.test(file)) return { error: `runbook ${runbook} is not a Markdown file (.md): write it in Markdown, or give an http(s) link` };
  return { file, shown: rel.split(path.sep).join('/') };
}
