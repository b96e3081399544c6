// What every page shares: reading the JSON API (401 → the login form), a DOM
// builder that only ever sets text, safe links, time formatting and statuses.
// Text from check files and data never reaches innerHTML: the pages build
// every node with createElement/textContent, so `<img onerror>` stays text.

import { durationAxisUnit, formatDuration, formatNumber, formatValue } from './format.js';

export { durationAxisUnit };

/** Worst first: the order the overview sorts by. */
export const STATUS_ORDER = ['error', 'fail', 'warn', 'unknown', 'pass'];
const STATUS_MARK = { pass: '✔', warn: '▲', fail: '✖', error: '!', unknown: '?' };

export function statusRank(status) {
  const i = STATUS_ORDER.indexOf(status);
  return i < 0 ? STATUS_ORDER.indexOf('unknown') : i;
}

export function worstStatus(statuses) {
  let worst = 'pass';
  let any = false;
  for (const s of statuses) {
    any = true;
    if (statusRank(s) < statusRank(worst)) worst = s;
  }
  return any ? worst : 'unknown';
}

/** An HTTP answer the page can explain (404 dataset, missing endpoint, …). */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** GET a JSON document of the API with the session's cookies; 401 sends the browser to the login form. */
export async function getJson(path) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, `cannot reach vigil serve (${err instanceof Error ? err.message : String(err)})`, null);
  }
  if (res.status === 401) {
    const next = location.pathname + location.search + location.hash;
    location.assign(`/login?next=${encodeURIComponent(next)}`);
    throw new ApiError(401, 'login required', null);
  }
  let body = null;
  const text = await res.text();
  try { body = text === '' ? null : JSON.parse(text); } catch { body = null; }
  if (!res.ok) {
    const msg = body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg, body);
  }
  if (body === null) throw new ApiError(res.status, `${path} did not answer JSON`, null);
  return body;
}

/**
 * POST a JSON body to the API (acknowledge, silence): JSON from this page is what the server's
 * CSRF and same-origin guards let through (src/server/auth.ts, origin.ts). Answers the parsed body.
 */
export async function postJson(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach vigil serve (${err instanceof Error ? err.message : String(err)})`, null);
  }
  let parsed = null;
  const text = await res.text();
  try { parsed = text === '' ? null : JSON.parse(text); } catch { parsed = null; }
  if (res.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'login required', null);
  }
  if (!res.ok) throw new ApiError(res.status, parsed && typeof parsed.error === 'string' ? parsed.error : `${res.status} ${res.statusText}`, parsed);
  return parsed;
}

/** The name the on-call forms send as `by` (kept in this browser); '' lets the server name the credential. */
export function actorName() {
  try { return localStorage.getItem('vigil.by') ?? ''; } catch { return ''; }
}

export function setActorName(name) {
  try { localStorage.setItem('vigil.by', name); } catch { /* private mode */ }
}

/** One silence as a line: its selector, until when, who and why. */
export function silenceText(s) {
  return `${s.selector} — ${s.reason}${s.created_by ? ` (${s.created_by})` : ''}`;
}

/**
 * el('a', { class: 'x', href: '/datasets/a', title: 't', onclick: fn }, 'text', child, [more])
 * Children are strings (→ text nodes), nodes, arrays, or null/false (skipped).
 * `href` takes only internal paths (/…, ?…, #…); external links go through link().
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/** The same for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      node.addEventListener(k.slice(2), v);
    } else if (k === 'href') {
      const s = String(v);
      if (/^[/?#]/.test(s) && !s.startsWith('//')) node.setAttribute('href', s);
    } else if (k === 'text') {
      node.textContent = String(v);
    } else if (/^(src|srcdoc|style|formaction|action|xlink:href)$/i.test(k)) {
      throw new Error(`el(): attribute ${k} is not allowed`);
    } else {
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces every child of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** The URL when it is http(s), else null: `javascript:` and friends never become links. */
export function safeUrl(url) {
  if (typeof url !== 'string' || url.trim() === '') return null;
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** A link for an http(s) URL; anything else is shown as plain (non-clickable) text. */
export function link(url, text = url) {
  const safe = safeUrl(url);
  if (safe === null) {
    return url ? el('span', { class: 'unsafe-url', title: 'not an http(s) link, so not clickable' }, String(text ?? url)) : el('span', { class: 'muted' }, '—');
  }
  const a = el('a', { rel: 'noopener noreferrer', target: '_blank', class: 'ext' }, String(text ?? url));
  a.href = safe;
  return a;
}

/** A runbook: an http(s) link, or a path on this dashboard (a local Markdown runbook, rendered by the server). */
export function runbookLink(url, text = 'runbook') {
  if (typeof url === 'string' && url.startsWith('/') && !url.startsWith('//')) return el('a', { href: url, class: 'runbook-link' }, text);
  return url ? link(url, text) : el('span', { class: 'muted' }, '—');
}

export function datasetHref(name) {
  return `/datasets/${encodeURIComponent(name)}`;
}

export function datasetLink(name) {
  return el('a', { href: datasetHref(name), class: 'dataset-link' }, name);
}

/** "2h 10m", "45s", "3d 4h": the formatter of the CLI and the alerts (src/util/format.ts). */
export const fmtDuration = formatDuration;

/** "5m ago", "in 3m", "just now". */
export function relTime(iso, now = Date.now()) {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const secs = (now - t) / 1000;
  if (Math.abs(secs) < 30) return 'just now';
  return secs > 0 ? `${fmtDuration(secs)} ago` : `in ${fmtDuration(-secs)}`;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time, "2026-01-05 14:03". */
export function fmtTime(iso, withSeconds = false) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
}

/** A relative time whose tooltip is the absolute one. */
export function timeEl(iso) {
  if (!iso) return el('span', { class: 'muted' }, 'never');
  return el('time', { datetime: iso, title: `${fmtTime(iso, true)} (${iso})` }, relTime(iso));
}

export const fmtNumber = formatNumber;

export function fmtPercent(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(digits)}%`;
}

/** A value with its unit: seconds as a duration, else "3 rows", "1 row" (sql checks' bare values as numbers). */
export const fmtValue = formatValue;

/** A large status badge: colour plus a mark plus the word (never colour alone). */
export function badge(status, extraClass = '') {
  const s = STATUS_ORDER.includes(status) ? status : 'unknown';
  return el('span', { class: `badge status-${s} ${extraClass}`.trim(), title: `status: ${s}` },
    el('span', { class: 'mark', 'aria-hidden': 'true' }, STATUS_MARK[s]), ` ${s.toUpperCase()}`);
}

export function tagList(tags) {
  if (!tags || tags.length === 0) return el('span', { class: 'muted' }, '—');
  return el('span', { class: 'tags' }, tags.map((t) => el('span', { class: 'tag' }, t)));
}

/** The status colours from style.css (so charts follow light/dark mode). */
export function statusColor(status) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(`--${STATUS_ORDER.includes(status) ? status : 'unknown'}`).trim();
  return v || '#888';
}

export function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Thresholds as text: { warn: 5, fail: { min: 1 } } → "warn above 5 · fail below 1". */
export function fmtThresholds(thresholds, unit) {
  const parts = [];
  // freshness: durations as written ("2h"); schema: the level of extra columns and drift.
  if (thresholds && thresholds.warn_after) parts.push(`warn after ${thresholds.warn_after}`);
  if (thresholds && thresholds.fail_after) parts.push(`fail after ${thresholds.fail_after}`);
  if (thresholds && typeof thresholds.extra_columns === 'string') parts.push(`extra columns: ${thresholds.extra_columns}`);
  if (thresholds && typeof thresholds.drift === 'string') parts.push(`drift: ${thresholds.drift}`);
  for (const level of ['warn', 'fail']) {
    const t = thresholds ? thresholds[level] : undefined;
    if (t === undefined || t === null) continue;
    if (typeof t === 'number') parts.push(`${level} above ${fmtValue(t, unit)}`);
    else if (typeof t === 'string') parts.push(`${level} above ${t}`);
    else if (typeof t === 'object') {
      const mm = [];
      if (t.min !== undefined && t.min !== null) mm.push(`below ${fmtValue(t.min, unit)}`);
      if (t.max !== undefined && t.max !== null) mm.push(`above ${fmtValue(t.max, unit)}`);
      if (mm.length) parts.push(`${level} ${mm.join(' or ')}`);
    }
  }
  return parts.join(' · ');
}

/**
 * A failed refresh: on a page that already shows data, a notice above it (the last data stays
 * readable); on a page that never loaded, the error instead of the page.
 */
export function refreshFailed(title, err) {
  const main = document.getElementById('main');
  const notice = el('section', { class: 'notice notice-error', role: 'alert', id: 'refresh-error' },
    el('h2', {}, title), el('p', {}, errorText(err)));
  const shown = main.getAttribute('aria-busy') === 'false' && [...main.children].some((c) => c.id !== 'refresh-error');
  if (!shown) {
    replace(main, notice);
    return;
  }
  notice.append(el('p', { class: 'muted' }, 'Showing the data loaded before; it is retried on the next refresh.'));
  const old = document.getElementById('refresh-error');
  if (old) old.replaceWith(notice); else main.prepend(notice);
}

/** "Updated 12:03:04" in the header. */
export function markUpdated(iso) {
  const node = document.getElementById('updated');
  if (node) replace(node, 'updated ', el('time', { datetime: iso ?? new Date().toISOString() }, fmtTime(iso ?? new Date().toISOString(), true)));
}

/** Runs `load` now and again every `seconds`; a failed load goes to `onError`, never to the console. */
export function every(seconds, load, onError) {
  let timer;
  const tick = async () => {
    clearTimeout(timer);
    try {
      await load();
    } catch (err) {
      onError(err);
    } finally {
      // Whatever the outcome, the page has drawn what it has (tests and screen readers wait for this).
      document.getElementById('main')?.setAttribute('aria-busy', 'false');
      timer = setTimeout(tick, seconds * 1000);
    }
  };
  document.addEventListener('visibilitychange', () => { if (!document.hidden) void tick(); });
  return tick();
}

/** The message of an error to show on the page. */
export function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The banner above every page while vigil serve is degraded: alert channels failing for good, or
 * the store refusing writes (/healthz's problems). It goes away by itself once they clear.
 */
function watchHealth() {
  const slot = document.getElementById('health');
  if (!slot) return;
  const check = async () => {
    let problems = [];
    try {
      problems = (await getJson('/healthz')).problems ?? [];
    } catch {
      return; // the page's own load says when the server cannot be reached
    }
    if (problems.length === 0) { replace(slot); return; }
    replace(slot, el('section', { class: 'banner banner-error', role: 'alert', id: 'health-banner' },
      el('strong', {}, `vigil is degraded: ${problems.length} problem${problems.length === 1 ? '' : 's'}`),
      el('ul', {}, problems.map((p) => el('li', {}, p.message)))));
  };
  void check();
  setInterval(() => { if (!document.hidden) void check(); }, 30_000);
}

watchHealth();
