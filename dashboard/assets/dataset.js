// One dataset (/datasets/:name): status and metadata, freshness and row-count
// charts, a chart per metric check (nulls, duplicates, sql), the checks with
// their latest result, schema and its change log, recent runs, and the
// datasets upstream and downstream with their status.

import {
  ApiError, badge, datasetLink, durationAxisUnit, el, errorText, every, fmtDuration, fmtNumber, fmtThresholds, fmtTime, fmtValue,
  getJson, link, markUpdated, refreshFailed, relTime, replace, runbookLink, silenceText, statusRank, svg, tagList, timeEl,
} from './common.js';
import { chartCard, destroyCharts, drawCharts } from './charts.js';

const REFRESH_SECONDS = 60;
const HISTORY_DAYS = 30;
const CHART_KINDS = ['freshness', 'row_count', 'nulls', 'duplicates', 'sql'];
const main = document.getElementById('main');

function datasetName() {
  const rest = location.pathname.replace(/^\/datasets\//, '').replace(/\/+$/, '');
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

const name = datasetName();
document.title = `${name} · vigil`;

async function history(check) {
  return getJson(`/api/checks/${encodeURIComponent(check.id)}/history?days=${HISTORY_DAYS}`);
}

const toPoints = (h, scale = 1) => h.points.map((p) => ({
  x: Date.parse(p.at),
  y: p.value === null ? null : p.value / scale,
  status: p.status,
}));

/** An anomaly check's expected band at each run (history `band`), in the chart's scale. */
const toBand = (h, scale = 1) => (h.band ?? []).map((b) => ({
  x: Date.parse(b.at), lower: b.lower / scale, upper: b.upper / scale, value: b.value === null ? null : b.value / scale, anomalous: b.anomalous,
}));

/** "1.5%" → 1.5; anything else → null. */
function percentOf(t) {
  const m = typeof t === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(t) : null;
  return m ? Number(m[1]) : null;
}

/**
 * Horizontal lines for the thresholds. A percent threshold ("1%" of the rows) is drawn at
 * that share of the rows the latest run counted (`rows`, from its details), and says so:
 * older points were judged against their own row counts.
 */
function thresholdLines(thresholds, rows, unit) {
  const lines = [];
  for (const level of ['warn', 'fail']) {
    const t = thresholds ? thresholds[level] : undefined;
    const pct = percentOf(t);
    if (typeof t === 'number') lines.push({ label: `${level} above ${fmtValue(t, unit)}`, y: t, level });
    else if (pct !== null && typeof rows === 'number') {
      const y = (pct / 100) * rows;
      lines.push({ label: `${level} above ${t} (${fmtNumber(y)} of the latest ${fmtValue(rows, 'rows')})`, y, level });
    } else if (t && typeof t === 'object') {
      if (typeof t.min === 'number') lines.push({ label: `${level} below ${fmtValue(t.min, unit)}`, y: t.min, level });
      if (typeof t.max === 'number') lines.push({ label: `${level} above ${fmtValue(t.max, unit)}`, y: t.max, level });
    }
  }
  return lines;
}

/** A history that is only zeros, every one of them passing: nothing to see but "still 0". */
function quietHistory(hist) {
  if (hist instanceof Error || !hist.points || hist.points.length === 0) return false;
  return hist.points.every((p) => (p.value === 0 || p.value === null) && p.status === 'pass' && (p.max === null || p.max === 0));
}

/** A tiny inline SVG line of the points (no axes): the row of quiet checks. */
function sparkline(hist) {
  const pts = hist.points.filter((p) => p.value !== null);
  const W = 120;
  const H = 24;
  const xs = pts.map((p) => Date.parse(p.at));
  const x0 = Math.min(...xs);
  const span = Math.max(1, Math.max(...xs) - x0);
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${(((xs[i] - x0) / span) * (W - 4) + 2).toFixed(1)} ${H - 3}`).join(' ');
  return svg('svg', { class: 'sparkline', width: String(W), height: String(H), viewBox: `0 0 ${W} ${H}`, 'aria-hidden': 'true' },
    svg('path', { d: pts.length === 1 ? `M 2 ${H - 3} L ${W - 2} ${H - 3}` : d }));
}

function quietRow(items) {
  return el('div', { class: 'quiet-checks', id: 'quiet-checks' },
    el('p', { class: 'muted' }, `${items.length === 1 ? 'This check was' : `These ${items.length} checks were`} 0 and passing at every run of the last ${HISTORY_DAYS} days:`),
    el('ul', { class: 'sparkline-row' }, items.map(({ check, hist }) => el('li', { 'data-quiet': check.id },
      badge('pass'), el('span', { class: 'quiet-name' }, check.name), sparkline(hist),
      el('span', { class: 'muted' }, `${fmtValue(0, hist.unit ?? check.unit ?? '')} · ${hist.points.reduce((n, p) => n + p.runs, 0)} runs`)))));
}

function chartFor(check, hist, detail) {
  const testId = check.id;
  if (hist instanceof Error) {
    const card = el('figure', { class: 'chart-card empty', 'data-chart': testId },
      el('figcaption', {}, el('span', { class: 'chart-title' }, check.name)),
      el('p', { class: 'chart-empty text-fail' }, `History unavailable: ${errorText(hist)}`));
    return card;
  }
  const resolution = hist.resolution === 'run' ? 'every run' : `per ${hist.resolution}`;
  if (check.kind === 'freshness') {
    const f = detail.freshness && detail.freshness.check === check.id ? detail.freshness : null;
    // One unit for the axis, picked from the largest age or threshold; ticks and tooltips are durations of it.
    const ages = hist.points.map((p) => p.value).filter((v) => v !== null);
    const { unit, size } = durationAxisUnit(Math.max(0, ...ages, f?.warn_after_seconds ?? 0, f?.fail_after_seconds ?? 0));
    const lines = [];
    if (f && f.warn_after_seconds !== null) lines.push({ label: `warn after ${fmtDuration(f.warn_after_seconds)}`, y: f.warn_after_seconds / size, level: 'warn' });
    if (f && f.fail_after_seconds !== null) lines.push({ label: `fail after ${fmtDuration(f.fail_after_seconds)}`, y: f.fail_after_seconds / size, level: 'fail' });
    return chartCard({
      title: `Freshness: age of the newest row (${unit})`,
      subtitle: `${check.name} · last ${HISTORY_DAYS} days, ${resolution}`,
      series: [{ label: `age (${unit})`, points: toPoints(hist, size) }],
      lines, yMin: 0, testId, band: toBand(hist, size),
      format: (y) => fmtDuration(y * size),
    });
  }
  const unit = hist.unit ?? check.unit ?? '';
  const thresholds = hist.thresholds ?? check.thresholds;
  const th = fmtThresholds(thresholds, unit);
  const titles = { row_count: 'Row count', nulls: 'Missing values', duplicates: 'Duplicate rows', sql: 'SQL check' };
  return chartCard({
    title: check.kind === 'row_count' ? 'Row count' : `${titles[check.kind] ?? check.kind}: ${check.name}`,
    subtitle: [unit === 'value' ? '' : unit, th, hist.band?.length ? 'shaded: expected range' : '', `last ${HISTORY_DAYS} days, ${resolution}`].filter(Boolean).join(' · '),
    series: [{ label: unit || 'value', points: toPoints(hist) }],
    band: toBand(hist),
    lines: thresholdLines(thresholds, typeof check.details?.rows === 'number' ? check.details.rows : null, unit), testId,
    format: (y) => fmtNumber(y),
  });
}

function section(title, ...children) {
  return el('section', {}, el('h2', {}, title), ...children);
}

function header(d) {
  const meta = [
    ['Owner', d.owner ?? el('span', { class: 'muted' }, '—')],
    ['Tags', tagList(d.tags)],
    ['Description', d.description ?? el('span', { class: 'muted' }, '—')],
    ['Runbook', d.runbook ? runbookLink(d.runbook_url ?? d.runbook, d.runbook) : el('span', { class: 'muted' }, '—')],
    ['Source', el('code', {}, d.source ?? '—')],
    ['Check file', el('code', {}, d.file)],
    ['Schedule', el('code', {}, d.schedule)],
    ['Last run', timeEl(d.last_run_at)],
    ['Freshness', d.freshness
      ? el('span', {}, el('span', { class: `text-${d.freshness.status}` }, d.freshness.age_seconds === null ? 'no timestamp' : `${fmtDuration(d.freshness.age_seconds)} old`),
        [d.freshness.warn_after_seconds !== null ? ` · warn ${fmtDuration(d.freshness.warn_after_seconds)}` : '',
          d.freshness.fail_after_seconds !== null ? ` · fail ${fmtDuration(d.freshness.fail_after_seconds)}` : ''].join(''))
      : el('span', { class: 'muted' }, 'no freshness check')],
  ];
  if (d.open_incidents > 0) meta.push(['Incidents', el('a', { href: '/incidents' }, `${d.open_incidents} open`)]);
  return el('section', { class: 'dataset-header' },
    el('div', { class: 'dataset-head' }, el('h1', {}, d.name), badge(d.status, 'big'),
      el('span', { class: 'muted' }, ['error', 'fail', 'warn', 'pass'].filter((s) => d.counts[s] > 0).map((s) => `${d.counts[s]} ${s}`).join(' · '))),
    el('dl', { class: 'meta' }, meta.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
}

function neighbours(d) {
  // Only a dataset of this project has a page: an external source is named, never linked.
  const item = (n) => (n.kind === 'external'
    ? el('li', { class: 'external' }, el('span', { class: 'kind-note' }, 'external source'), ' ', n.name)
    : n.kind === 'undeclared'
      ? el('li', { class: 'external' }, el('span', { class: 'kind-note' }, 'not in this project'), ' ', n.name)
      : el('li', {}, badge(n.status), datasetLink(n.name)));
  const list = (items, none) => items.length === 0
    ? el('p', { class: 'muted' }, none)
    : el('ul', { class: 'linklist' }, items.map(item));
  return el('div', { class: 'two-col' },
    section('Upstream', list(d.upstream_status ?? d.upstream.map((n) => ({ name: n, status: 'unknown' })), 'No upstream datasets declared.')),
    section('Downstream', list(d.downstream_status ?? d.downstream.map((n) => ({ name: n, status: 'unknown' })), 'Nothing downstream.')));
}

/** Repeated keys of a duplicates check, from its details, as text. */
function duplicateSample(details) {
  const sample = details && Array.isArray(details.sample) ? details.sample : [];
  if (sample.length === 0) return null;
  return el('ul', { class: 'sample', 'aria-label': 'repeated keys' }, sample.map((s) => {
    const key = s && typeof s.key === 'object' && s.key !== null
      ? Object.entries(s.key).map(([k, v]) => `${k}=${v === null ? 'NULL' : String(v)}`).join(', ')
      : String(s && s.key);
    return el('li', {}, el('code', {}, key), ` ×${s && s.count}`);
  }));
}

function checksTable(checks) {
  const sorted = [...checks].sort((a, b) => statusRank(a.status) - statusRank(b.status) || a.name.localeCompare(b.name));
  return el('div', { class: 'table-wrap' }, el('table', { class: 'checks' },
    el('thead', {}, el('tr', {}, ['Status', 'Check', 'Value', 'Thresholds', 'Message', 'Evaluated', 'Runbook'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, sorted.length === 0
      ? el('tr', { class: 'empty-row' }, el('td', { colspan: '7' }, 'No checks.'))
      : sorted.map((c) => el('tr', { class: `row-${c.status}`, 'data-check': c.id, id: `check-${c.id}` },
        el('td', {}, badge(c.status)),
        el('td', {}, el('strong', {}, c.name), el('span', { class: 'sub' }, c.kind),
          typeof c.description === 'string' && c.description ? el('span', { class: 'sub' }, c.description) : null),
        el('td', { class: 'num' }, fmtValue(c.value, c.unit)),
        el('td', {}, fmtThresholds(c.thresholds, c.unit) || el('span', { class: 'muted' }, '—')),
        el('td', { class: 'msg' }, c.message ?? el('span', { class: 'muted' }, 'not run yet'), c.kind === 'duplicates' ? duplicateSample(c.details) : null),
        el('td', {}, timeEl(c.evaluated_at)),
        el('td', {}, runbookLink(c.runbook_url ?? c.runbook)))))));
}

function schemaSection(d) {
  const cols = d.schema === null
    ? el('p', { class: 'muted' }, 'No schema recorded yet (the source has not been read).')
    : el('div', { class: 'table-wrap' }, el('table', { class: 'schema' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Column'), el('th', { scope: 'col' }, 'Type'))),
      el('tbody', {}, d.schema.map((c) => el('tr', {}, el('td', {}, el('code', {}, c.name)), el('td', {}, el('code', {}, c.type)))))));
  const changes = d.schema_changes.length === 0
    ? el('p', { class: 'muted' }, 'No change since the first recorded schema.')
    : el('ul', { class: 'change-list' }, [...d.schema_changes].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).map((ch) => el('li', {},
      el('time', { datetime: ch.at, title: ch.at }, fmtTime(ch.at)), el('span', { class: 'muted' }, ` (${relTime(ch.at)})`),
      ch.added.length + ch.removed.length + ch.retyped.length === 0 ? el('div', { class: 'muted' }, 'baseline recorded') : null,
      ch.added.map((c) => el('div', { class: 'added' }, '+ added ', el('code', {}, c.name), ` ${c.type}`)),
      ch.removed.map((c) => el('div', { class: 'removed' }, '− removed ', el('code', {}, c.name), ` ${c.type}`)),
      ch.retyped.map((c) => el('div', { class: 'retyped' }, '~ retyped ', el('code', {}, c.column), ` ${c.from} → ${c.to}`)))));
  return el('div', { class: 'two-col' }, section('Schema', cols), section('Schema changes', changes));
}

function runsSection(runs) {
  return section('Recent runs', runs.length === 0
    ? el('p', { class: 'muted' }, 'No run recorded yet.')
    : el('div', { class: 'table-wrap' }, el('table', { class: 'runs' },
      el('thead', {}, el('tr', {}, ['Status', 'Started', 'Duration', 'Checks not passing', 'Error', 'Run'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, runs.map((r) => el('tr', { class: `row-${r.status}`, 'data-run': r.run_id },
        el('td', {}, badge(r.status)),
        el('td', {}, timeEl(r.started_at), el('span', { class: 'sub' }, fmtTime(r.started_at, true))),
        el('td', { class: 'num' }, `${fmtNumber(r.duration_ms)} ms`),
        el('td', { class: 'not-passing' }, (r.not_passing ?? []).length === 0
          ? el('span', { class: 'muted' }, r.status === 'pass' ? 'none' : '—')
          : el('ul', { class: 'run-checks' }, r.not_passing.map((c) => el('li', { class: `text-${c.status}`, 'data-check': c.check },
            `${c.status.toUpperCase()} `, el('a', { href: `#check-${c.check}` }, c.name))))),
        el('td', { class: 'msg' }, r.error ?? ''),
        el('td', {}, el('code', { class: 'muted' }, r.run_id.slice(0, 8)))))))));
}

/** Silences that mute checks of this dataset now: a banner, so nobody wonders why no alert came. */
async function silencesBanner() {
  let body;
  try {
    body = await getJson(`/api/silences?dataset=${encodeURIComponent(name)}`);
  } catch {
    return null; // a server without the on-call API: no banner
  }
  const active = body.silences.filter((s) => s.state === 'active');
  if (!active.length) return null;
  return el('section', { class: 'banner banner-silenced', role: 'status', id: 'silenced-banner' },
    el('strong', {}, `Silenced: ${active.length === 1 ? 'one silence mutes' : `${active.length} silences mute`} alerts of this dataset`),
    el('ul', {}, active.map((s) => el('li', { 'data-silence': s.id ?? s.source }, silenceText(s), ' — until ', timeEl(s.ends_at),
      s.id ? '' : ` (${s.source})`))),
    el('p', {}, el('a', { href: '/incidents#silences' }, 'Silences on the incidents page')));
}

async function load() {
  let d;
  try {
    d = await getJson(`/api/datasets/${encodeURIComponent(name)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      destroyCharts();
      replace(main, el('section', { class: 'notice notice-missing', role: 'status', id: 'not-found' },
        el('h2', {}, `Dataset not found: ${name}`),
        el('p', {}, 'No check file in this project declares this dataset (it may have been renamed or removed). '),
        el('p', {}, el('a', { href: '/' }, '← all datasets'))));
      return;
    }
    throw err;
  }
  // Freshness first, then row count, then the metric checks worst first, else in the file's order (sort is stable).
  const rank = (c) => (c.kind === 'freshness' ? 0 : c.kind === 'row_count' ? 1 : 2);
  const charted = d.checks.filter((c) => CHART_KINDS.includes(c.kind))
    .sort((a, b) => rank(a) - rank(b) || (rank(a) === 2 ? statusRank(a.status) - statusRank(b.status) : 0));
  const [histories, silenced] = await Promise.all([
    Promise.all(charted.map((c) => history(c).catch((err) => (err instanceof Error ? err : new Error(String(err)))))),
    silencesBanner(),
  ]);
  // Metric checks that were 0 and passing all along get one sparkline row, not a chart each.
  const quiet = [];
  const drawn = [];
  charted.forEach((c, i) => {
    if (c.kind !== 'freshness' && c.kind !== 'row_count' && quietHistory(histories[i])) quiet.push({ check: c, hist: histories[i] });
    else drawn.push(chartFor(c, histories[i], d));
  });
  destroyCharts();
  replace(main,
    silenced,
    header(d),
    neighbours(d),
    section('History', charted.length === 0
      ? el('p', { class: 'muted' }, 'No chartable checks (freshness, row_count, nulls, duplicates, sql).')
      : [drawn.length ? el('div', { class: 'charts' }, drawn) : null, quiet.length ? quietRow(quiet) : null]),
    section('Checks', checksTable(d.checks)),
    schemaSection(d),
    runsSection(d.recent_runs));
  drawCharts(main);
  markUpdated(new Date().toISOString());
}

every(REFRESH_SECONDS, load, (err) => refreshFailed(`Could not load ${name}`, err));
