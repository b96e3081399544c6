// The overview (/): every dataset as a row, failing first, with freshness
// against its thresholds, last run, owner, tags, SLO attainment and runbook.
// Filters live in the URL query (?status=&owner=&tag=&q=) so a view can be linked.

import {
  STATUS_ORDER, badge, datasetLink, el, errorText, every, fmtDuration, fmtPercent, getJson, markUpdated, replace,
  runbookLink, statusRank, tagList, timeEl,
} from './common.js';

const REFRESH_SECONDS = 30;
const main = document.getElementById('main');

const params = new URLSearchParams(location.search);
const state = {
  status: params.get('status') ?? '',
  owner: params.get('owner') ?? '',
  tag: params.get('tag') ?? '',
  q: params.get('q') ?? '',
};
let data = null;

// The skeleton is built once; refreshes only replace its contents (a half-typed search survives).
const loadError = el('div', { id: 'load-error' });
const banner = el('div', { id: 'config-problems' });
const summary = el('div', { class: 'summary', id: 'summary' });
const statusSel = el('select', { id: 'f-status', name: 'status' });
const ownerSel = el('select', { id: 'f-owner', name: 'owner' });
const tagSel = el('select', { id: 'f-tag', name: 'tag' });
const search = el('input', { id: 'f-q', type: 'search', name: 'q', placeholder: 'dataset, description, owner, tag…', autocomplete: 'off' });
const clear = el('button', { type: 'button', id: 'f-clear' }, 'Clear filters');
const shown = el('span', { class: 'muted', id: 'shown' });
const tbody = el('tbody', { id: 'datasets' });

replace(main,
  el('h1', {}, 'Datasets'),
  loadError,
  banner,
  summary,
  el('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    el('label', { for: 'f-status' }, 'Status', statusSel),
    el('label', { for: 'f-owner' }, 'Owner', ownerSel),
    el('label', { for: 'f-tag' }, 'Tag', tagSel),
    el('label', { for: 'f-q' }, 'Search', search),
    clear,
    shown),
  el('div', { class: 'table-wrap' },
    el('table', { class: 'datasets' },
      el('thead', {}, el('tr', {},
        ['Status', 'Dataset', 'Freshness', 'Last run', 'Owner', 'Tags', 'SLO', 'Runbook'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody)));

search.value = state.q;
statusSel.addEventListener('change', () => setFilter('status', statusSel.value));
ownerSel.addEventListener('change', () => setFilter('owner', ownerSel.value));
tagSel.addEventListener('change', () => setFilter('tag', tagSel.value));
search.addEventListener('input', () => setFilter('q', search.value));
clear.addEventListener('click', () => {
  Object.assign(state, { status: '', owner: '', tag: '', q: '' });
  search.value = '';
  writeUrl();
  render();
});

function setFilter(key, value) {
  state[key] = value;
  writeUrl();
  render();
}

function writeUrl() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v) p.set(k, v);
  const qs = p.toString();
  history.replaceState(null, '', qs ? `/?${qs}` : '/');
}

function options(select, values, allLabel, current) {
  const list = [...values];
  if (current && !list.includes(current)) list.push(current);
  replace(select, el('option', { value: '' }, allLabel), list.map((v) => el('option', { value: v }, v)));
  select.value = current;
}

function statusOptions() {
  replace(statusSel,
    el('option', { value: '' }, 'all statuses'),
    el('option', { value: 'problems' }, 'not passing (error, fail, warn)'),
    STATUS_ORDER.map((s) => el('option', { value: s }, s)));
  statusSel.value = state.status;
}

function matches(d) {
  if (state.status === 'problems' ? !['error', 'fail', 'warn'].includes(d.status) : state.status && d.status !== state.status) return false;
  if (state.owner && d.owner !== state.owner) return false;
  if (state.tag && !d.tags.includes(state.tag)) return false;
  if (state.q) {
    const q = state.q.toLowerCase();
    const hay = [d.name, d.description ?? '', d.owner ?? '', ...d.tags].join('\n').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

function freshnessCell(f) {
  if (!f) return el('td', { class: 'freshness' }, el('span', { class: 'muted' }, 'no freshness check'));
  const limits = [
    f.warn_after_seconds !== null ? `warn ${fmtDuration(f.warn_after_seconds)}` : null,
    f.fail_after_seconds !== null ? `fail ${fmtDuration(f.fail_after_seconds)}` : null,
  ].filter(Boolean);
  const age = f.age_seconds === null ? 'no timestamp' : `${fmtDuration(f.age_seconds)} old`;
  return el('td', { class: 'freshness', title: `measured ${f.evaluated_at}` },
    el('span', { class: `age text-${f.status}` }, age),
    limits.length ? ` · ${limits.join(' · ')}` : '');
}

function sloCell(slos) {
  if (!slos || slos.length === 0) return el('td', {}, el('span', { class: 'muted' }, '—'));
  return el('td', {}, slos.map((s) => {
    const below = s.attainment !== null && s.attainment < s.target;
    return el('span', { class: 'sub' },
      el('span', { class: s.attainment === null ? 'muted' : below ? 'text-fail' : 'text-pass' }, s.attainment === null ? 'no runs' : fmtPercent(s.attainment)),
      ` of ${fmtPercent(s.target, 1)} · ${s.check}`,
      s.data === 'too_few_runs' ? el('span', { class: 'muted' }, ` · not enough data yet (${s.runs} of ${s.runs_needed} runs)`) : null);
  }));
}

function countsText(counts) {
  return ['error', 'fail', 'warn', 'pass'].filter((s) => counts && counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(' · ');
}

function row(d) {
  return el('tr', { class: `row-${d.status}`, 'data-dataset': d.name, 'data-status': d.status },
    el('td', {}, badge(d.status, 'big'), el('span', { class: 'sub' }, countsText(d.counts)),
      d.open_incidents > 0 ? el('span', { class: 'sub' }, el('a', { href: '/incidents' }, `${d.open_incidents} open incident${d.open_incidents === 1 ? '' : 's'}`)) : null),
    el('td', {}, datasetLink(d.name), d.description ? el('span', { class: 'sub' }, d.description) : null),
    freshnessCell(d.freshness),
    el('td', {}, timeEl(d.last_run_at)),
    el('td', {}, d.owner ?? el('span', { class: 'muted' }, '—')),
    el('td', {}, tagList(d.tags)),
    sloCell(d.slos),
    el('td', {}, runbookLink(d.runbook_url ?? d.runbook)));
}

function renderBanner(problems) {
  if (!problems || problems.length === 0) { replace(banner); return; }
  const errors = problems.filter((p) => p.severity === 'error');
  replace(banner, el('section', { class: `banner ${errors.length ? 'banner-error' : 'banner-warn'}`, role: 'alert' },
    el('strong', {}, errors.length
      ? `${errors.length} configuration problem${errors.length === 1 ? '' : 's'}: invalid check files are not running until they are fixed`
      : `${problems.length} configuration warning${problems.length === 1 ? '' : 's'}`),
    el('ul', {}, problems.map((p) => el('li', {},
      el('code', {}, `${p.file}:${p.line}:${p.col}`), ` ${p.severity}: `, p.message)))));
}

function renderSummary(datasets) {
  const n = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0]));
  for (const d of datasets) n[d.status] = (n[d.status] ?? 0) + 1;
  replace(summary, STATUS_ORDER.map((s) => el('button', {
    type: 'button', class: 'count', 'data-status': s, title: `show ${s} datasets`,
    onclick: () => { statusSel.value = s; setFilter('status', s); },
  }, el('strong', { class: `text-${s}` }, String(n[s])), `${s}`)));
}

function render() {
  if (!data) return;
  const all = [...data.datasets].sort((a, b) => statusRank(a.status) - statusRank(b.status) || a.name.localeCompare(b.name));
  statusOptions();
  options(ownerSel, [...new Set(all.map((d) => d.owner).filter(Boolean))].sort(), 'all owners', state.owner);
  options(tagSel, [...new Set(all.flatMap((d) => d.tags))].sort(), 'all tags', state.tag);
  renderBanner(data.config_problems);
  renderSummary(all);
  const rows = all.filter(matches);
  replace(shown, `${rows.length} of ${all.length} datasets`);
  if (all.length === 0) {
    replace(tbody, el('tr', { class: 'empty-row' }, el('td', { colspan: '8' }, 'No datasets configured: add a check file to the checks folder.')));
  } else if (rows.length === 0) {
    replace(tbody, el('tr', { class: 'empty-row' }, el('td', { colspan: '8' }, 'No dataset matches these filters.')));
  } else {
    replace(tbody, rows.map(row));
  }
  markUpdated(data.generated_at);
}

async function load() {
  data = await getJson('/api/datasets');
  replace(loadError);
  render();
}

every(REFRESH_SECONDS, load, (err) => {
  replace(loadError, el('section', { class: 'notice notice-error', role: 'alert' },
    el('h2', {}, 'Could not load datasets'), el('p', {}, errorText(err)),
    data ? el('p', { class: 'muted' }, 'Showing the last data loaded; retrying every 30 s.') : null));
});
