// Incidents (/incidents): open incidents first, then recently resolved ones,
// each root cause followed by the downstream incidents it explains (held back
// while it is open), with duration, the last notification, whether a silence
// holds it, and the runbook. ?state=open|resolved|all (default all). A server without the
// incidents API answers 404: the page then says incidents are not available.

import {
  ApiError, badge, datasetLink, el, errorText, every, fmtDuration, getJson, markUpdated, replace, runbookLink, statusRank, timeEl,
} from './common.js';

const REFRESH_SECONDS = 30;
const STATES = ['all', 'open', 'resolved'];
const main = document.getElementById('main');

let state = new URLSearchParams(location.search).get('state') ?? 'all';
if (!STATES.includes(state)) state = 'all';

const content = el('div', { id: 'incidents' });
const stateSel = el('select', { id: 'f-state', name: 'state' }, STATES.map((s) => el('option', { value: s }, s)));
stateSel.value = state;
stateSel.addEventListener('change', () => {
  state = stateSel.value;
  history.replaceState(null, '', state === 'all' ? '/incidents' : `/incidents?state=${encodeURIComponent(state)}`);
  void refresh();
});

replace(main,
  el('h1', {}, 'Incidents'),
  el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() }, el('label', { for: 'f-state' }, 'Show', stateSel)),
  content);

function lastNotification(i) {
  if (!i.last_notification_at) return el('span', { class: 'muted' }, 'none sent');
  return el('span', {}, i.last_event ?? 'sent', ' ', timeEl(i.last_notification_at));
}

function silenced(i) {
  if (!i.silenced) return el('span', { class: 'muted' }, 'no');
  return el('span', { class: 'silenced' }, el('strong', {}, 'silenced'), el('span', { class: 'sub' }, i.silenced.reason),
    el('span', { class: 'sub' }, 'until ', timeEl(i.silenced.until)));
}

function rootCause(i) {
  if (i.root) {
    return el('span', { class: i.held ? 'held' : '' }, '↳ ', i.held ? el('strong', {}, 'held') : null, i.held ? ' · ' : null,
      'caused by ', datasetLink(i.root.dataset), el('span', { class: 'sub' }, i.root.check, i.root.state === 'open' ? '' : ' (resolved)'));
  }
  if (i.downstream && i.downstream.length) {
    return el('span', { class: 'root' }, el('strong', {}, 'root cause'), el('span', { class: 'sub' }, `of ${i.downstream.length} downstream incident${i.downstream.length === 1 ? '' : 's'}`));
  }
  return el('span', { class: 'muted' }, '—');
}

/** Roots first (in the page's order), each followed by the incidents it explains: the tree, flattened. */
function asTree(sorted) {
  const byId = new Map(sorted.map((i) => [i.id, i]));
  const out = [];
  const placed = new Set();
  for (const i of sorted) {
    if (placed.has(i.id) || (i.root && byId.has(i.root.id))) continue;
    out.push({ i, depth: 0 });
    placed.add(i.id);
    for (const c of sorted) {
      if (c.root && c.root.id === i.id && !placed.has(c.id)) { out.push({ i: c, depth: 1 }); placed.add(c.id); }
    }
  }
  for (const i of sorted) if (!placed.has(i.id)) out.push({ i, depth: 0 });
  return out;
}

function table(incidents) {
  const sorted = [...incidents].sort((a, b) => (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1)
    || (a.state === 'open' ? statusRank(a.status) - statusRank(b.status) : 0)
    || Date.parse(b.opened_at) - Date.parse(a.opened_at));
  const rows = asTree(sorted);
  return el('div', { class: 'table-wrap' }, el('table', { class: 'incidents' },
    el('thead', {}, el('tr', {}, ['Status', 'State', 'Check', 'Root cause', 'Opened', 'Duration', 'Last notification', 'Silenced', 'Owner', 'Runbook'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map(({ i, depth }) => el('tr', {
      class: [i.state === 'open' ? `row-${i.status}` : '', depth ? 'child' : ''].filter(Boolean).join(' '),
      'data-incident': i.id, 'data-state': i.state, ...(i.root ? { 'data-root': i.root.id } : {}), ...(i.held ? { 'data-held': 'true' } : {}),
    },
      el('td', {}, badge(i.status, i.state === 'open' ? 'big' : '')),
      el('td', { class: i.state === 'open' ? 'state-open' : 'muted' }, i.state, i.resolved_at ? el('span', { class: 'sub' }, 'resolved ', timeEl(i.resolved_at)) : null),
      el('td', { class: 'msg' }, el('strong', {}, i.check), el('span', { class: 'sub' }, datasetLink(i.dataset), ` · ${i.kind}`), i.message ? el('span', { class: 'sub' }, i.message) : null),
      el('td', { class: 'root-cause' }, rootCause(i)),
      el('td', {}, timeEl(i.opened_at)),
      el('td', { class: 'num' }, fmtDuration(i.duration_seconds)),
      el('td', {}, lastNotification(i)),
      el('td', {}, silenced(i)),
      el('td', {}, i.owner ?? el('span', { class: 'muted' }, '—')),
      el('td', {}, runbookLink(i.runbook)))))));
}

async function load() {
  let body;
  try {
    body = await getJson(`/api/incidents?state=${encodeURIComponent(state)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(content, el('section', { class: 'notice notice-missing', role: 'status', id: 'incidents-unavailable' },
        el('h2', {}, 'Incidents not available'),
        el('p', {}, 'This vigil serve does not track incidents yet (no /api/incidents). Check statuses are on the overview.'),
        el('p', {}, el('a', { href: '/' }, '← overview'))));
      markUpdated(new Date().toISOString());
      return;
    }
    throw err;
  }
  const open = body.incidents.filter((i) => i.state === 'open').length;
  replace(content,
    el('p', { class: open ? 'text-fail' : 'text-pass', id: 'open-count' }, el('strong', {}, open ? `${open} open incident${open === 1 ? '' : 's'}` : 'No open incident')),
    body.incidents.length === 0
      ? el('p', { class: 'muted' }, state === 'resolved' ? 'No resolved incident recorded.' : 'No incident recorded.')
      : table(body.incidents));
  markUpdated(new Date().toISOString());
}

function onError(err) {
  replace(content, el('section', { class: 'notice notice-error', role: 'alert' }, el('h2', {}, 'Could not load incidents'), el('p', {}, errorText(err))));
}

function refresh() {
  return load().catch(onError);
}

every(REFRESH_SECONDS, load, onError);
