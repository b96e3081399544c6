// Incidents (/incidents): open incidents first, then recently resolved ones,
// each root cause followed by the downstream incidents it explains (held back
// while it is open), with duration, the last notification, whether a silence
// holds it, and the runbook. ?state=open|resolved|all (default all). A server without the
// incidents API answers 404: the page then says incidents are not available.
// On call from here: acknowledge an open incident, silence its check or dataset for a
// while, list silences (ended ones too) and expire one — JSON posts to the API.

import {
  ApiError, actorName, badge, datasetLink, el, errorText, every, fmtDuration, getJson, markUpdated, postJson, replace, runbookLink,
  setActorName, statusRank, timeEl,
} from './common.js';

const REFRESH_SECONDS = 30;
const STATES = ['all', 'open', 'resolved'];
const main = document.getElementById('main');

/** /incidents/ID: the page of one incident (the link its alerts carry). */
const only = (() => {
  const m = /^\/incidents\/([^/]+)\/?$/.exec(location.pathname);
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return m[1]; }
})();

let state = only ? 'all' : (new URLSearchParams(location.search).get('state') ?? 'all');
if (!STATES.includes(state)) state = 'all';

const content = el('div', { id: 'incidents' });
const stateSel = el('select', { id: 'f-state', name: 'state' }, STATES.map((s) => el('option', { value: s }, s)));
stateSel.value = state;
stateSel.addEventListener('change', () => {
  state = stateSel.value;
  history.replaceState(null, '', state === 'all' ? '/incidents' : `/incidents?state=${encodeURIComponent(state)}`);
  void refresh();
});

const byInput = el('input', { id: 'f-by', name: 'by', type: 'text', placeholder: 'who you are', maxlength: '100', autocomplete: 'name' });
byInput.value = actorName();
byInput.addEventListener('change', () => setActorName(byInput.value.trim()));
const actionStatus = el('p', { id: 'action-status', role: 'status', class: 'muted' });
const silencesBox = el('section', { id: 'silences', 'aria-labelledby': 'silences-h' });
const SILENCE_FOR = ['30m', '1h', '2h', '4h', '8h', '1d', '3d'];

replace(main,
  el('h1', {}, only ? 'Incident' : 'Incidents'),
  only ? el('p', {}, el('a', { href: '/incidents' }, '← all incidents')) : null,
  el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() }, only ? null : el('label', { for: 'f-state' }, 'Show', stateSel),
    el('label', { for: 'f-by' }, 'Acknowledge and silence as', byInput)),
  actionStatus,
  content,
  silencesBox);

function say(text, kind) {
  actionStatus.className = kind === 'error' ? 'text-fail' : 'text-pass';
  actionStatus.textContent = text;
}

/** Runs one on-call action, says how it went, and redraws the page. */
async function act(fn, done) {
  try {
    say(done(await fn()), 'ok');
  } catch (err) {
    say(`Not done: ${errorText(err)}`, 'error');
  }
  await refresh(true);
}

const by = () => { const v = byInput.value.trim(); if (v) setActorName(v); return v ? { by: v } : {}; };

function ackForm(i) {
  const reason = el('input', { type: 'text', name: 'reason', placeholder: 'why (optional)', maxlength: '500', 'aria-label': `why you acknowledge ${i.check}` });
  return el('form', {
    class: 'ack-form', 'data-action': 'ack',
    onsubmit: (e) => {
      e.preventDefault();
      void act(() => postJson(`/api/incidents/${encodeURIComponent(i.id)}/ack`, { ...by(), ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) }),
        (r) => (r.outcome === 'already' ? `${i.check} was already acknowledged by ${r.incident.acknowledged?.by ?? 'someone'}` : `Acknowledged ${i.check} as ${r.incident.acknowledged?.by ?? ''}: no more reminders`));
    },
  }, reason, el('button', { type: 'submit' }, 'Acknowledge'));
}

function silenceForm(i) {
  const scope = el('select', { name: 'selector', 'aria-label': `what to silence for ${i.check}` },
    el('option', { value: `check:${i.check}` }, 'this check'), el('option', { value: `dataset:${i.dataset}` }, `all of ${i.dataset}`));
  const dur = el('select', { name: 'for', 'aria-label': 'for how long' }, SILENCE_FOR.map((d) => el('option', { value: d }, d)));
  dur.value = '2h';
  const reason = el('input', { type: 'text', name: 'reason', placeholder: 'why (required)', required: true, maxlength: '500', 'aria-label': `why you silence ${i.check}` });
  return el('details', { class: 'silence-form' }, el('summary', {}, 'Silence…'), el('form', {
    'data-action': 'silence',
    onsubmit: (e) => {
      e.preventDefault();
      void act(() => postJson('/api/silences', { selector: scope.value, for: dur.value, reason: reason.value.trim(), ...by() }),
        (r) => `Silenced ${r.silence.selector} until ${new Date(r.silence.ends_at).toLocaleString()} (silence ${r.silence.id})`);
    },
  }, scope, dur, reason, el('button', { type: 'submit' }, 'Silence')));
}

function actions(i) {
  if (i.state !== 'open') return el('span', { class: 'muted' }, '—');
  const a = i.acknowledged;
  return el('div', { class: 'actions' },
    a ? el('span', { class: 'acked' }, el('strong', {}, 'acknowledged'), el('span', { class: 'sub' }, 'by ', a.by, ' ', timeEl(a.at)),
      a.reason ? el('span', { class: 'sub' }, a.reason) : null) : ackForm(i),
    silenceForm(i));
}

function section(title, ...children) {
  return el('section', {}, el('h2', {}, title), ...children);
}

function silenceRow(s) {
  const expire = s.id && s.state === 'active'
    ? el('form', {
      'data-action': 'expire',
      onsubmit: (e) => {
        e.preventDefault();
        void act(() => postJson(`/api/silences/${encodeURIComponent(s.id)}/expire`, by()), () => `Silence ${s.id} expired: ${s.selector} alerts again`);
      },
    }, el('button', { type: 'submit' }, 'Expire'))
    : el('span', { class: 'muted' }, s.id ? '—' : 'edit the alert file');
  return el('tr', { 'data-silence': s.id ?? s.source, 'data-state': s.state, class: s.state === 'active' ? '' : 'muted' },
    el('td', {}, el('code', {}, s.selector)),
    el('td', {}, s.state === 'active' ? el('strong', {}, 'active') : s.state),
    el('td', {}, s.state === 'expired' ? ['expired ', timeEl(s.expired_at), s.expired_by ? ` by ${s.expired_by}` : ''] : [s.state === 'active' ? 'until ' : 'ended ', timeEl(s.ends_at)]),
    el('td', {}, s.created_by ?? el('span', { class: 'muted' }, s.source)),
    el('td', { class: 'msg' }, s.reason),
    el('td', {}, expire));
}

async function loadSilences() {
  let body;
  try {
    body = await getJson('/api/silences?all=true');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) { replace(silencesBox); return; }
    throw err;
  }
  const order = { active: 0, expired: 1, ended: 2 };
  const list = [...body.silences].sort((a, b) => order[a.state] - order[b.state] || Date.parse(b.ends_at) - Date.parse(a.ends_at));
  const active = list.filter((x) => x.state === 'active').length;
  replace(silencesBox,
    el('h2', { id: 'silences-h' }, 'Silences'),
    el('p', { class: 'muted' }, active ? `${active} active: matching incidents send no notification until they end.` : 'No active silence.',
      ' Ended and expired silences stay listed. From the command line: vigil silence add|list|expire.'),
    list.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'silences' },
      el('thead', {}, el('tr', {}, ['Selector', 'State', 'Ends', 'By', 'Reason', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map(silenceRow)))) : null);
}

function lastNotification(i) {
  if (!i.last_notification_at) return el('span', { class: 'muted' }, 'none sent');
  return el('span', {}, i.last_event ?? 'sent', ' ', timeEl(i.last_notification_at));
}

function silenced(i) {
  if (!i.silenced) return el('span', { class: 'muted' }, 'no');
  return el('span', { class: 'silenced' }, el('strong', {}, 'silenced'), el('span', { class: 'sub' }, i.silenced.reason),
    el('span', { class: 'sub' }, 'until ', timeEl(i.silenced.until), i.silenced.by ? ` · by ${i.silenced.by}` : ''),
    i.silenced.id ? el('span', { class: 'sub' }, `silence ${i.silenced.id}`) : null);
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
    el('thead', {}, el('tr', {}, ['Status', 'State', 'Check', 'Root cause', 'Opened', 'Duration', 'Last notification', 'Silenced', 'On call', 'Owner', 'Runbook'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map(({ i, depth }) => el('tr', {
      class: [i.state === 'open' ? `row-${i.status}` : '', depth ? 'child' : ''].filter(Boolean).join(' '),
      'data-incident': i.id, 'data-check': i.check, 'data-state': i.state, ...(i.root ? { 'data-root': i.root.id } : {}), ...(i.held ? { 'data-held': 'true' } : {}),
      ...(i.acknowledged ? { 'data-acknowledged': 'true' } : {}), ...(i.silenced ? { 'data-silenced': 'true' } : {}),
    },
      el('td', {}, badge(i.status, i.state === 'open' ? 'big' : '')),
      el('td', { class: i.state === 'open' ? 'state-open' : 'muted' }, i.state, i.resolved_at ? el('span', { class: 'sub' }, 'resolved ', timeEl(i.resolved_at)) : null),
      el('td', { class: 'msg' }, el('strong', {}, only === i.id ? i.check : el('a', { href: i.url ?? `/incidents/${encodeURIComponent(i.id)}`, class: 'incident-link' }, i.check)), el('span', { class: 'sub' }, datasetLink(i.dataset), ` · ${i.kind}`), i.message ? el('span', { class: 'sub' }, i.message) : null),
      el('td', { class: 'root-cause' }, rootCause(i)),
      el('td', {}, timeEl(i.opened_at)),
      el('td', { class: 'num' }, fmtDuration(i.duration_seconds)),
      el('td', {}, lastNotification(i)),
      el('td', {}, silenced(i)),
      el('td', { class: 'oncall' }, actions(i)),
      el('td', {}, i.owner ?? el('span', { class: 'muted' }, '—')),
      el('td', {}, runbookLink(i.runbook_url ?? i.runbook)))))));
}

/** Someone is filling in a form: a timed refresh would throw their typing away. */
function busy() {
  const a = document.activeElement;
  return (a && content.contains(a) && /^(INPUT|SELECT)$/.test(a.tagName)) || content.querySelector('details.silence-form[open]') !== null;
}

async function load(forced = false) {
  await loadSilences();
  if (!forced && busy()) return;
  let body;
  try {
    body = await getJson(`/api/incidents?state=${encodeURIComponent(state)}${only ? '&limit=1000' : ''}`);
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
  if (only) {
    const one = body.incidents.find((i) => i.id === only);
    if (!one) {
      replace(content, el('section', { class: 'notice notice-missing', role: 'status', id: 'not-found' },
        el('h2', {}, `No incident ${only}`), el('p', {}, 'It may be older than the 1,000 newest incidents. '), el('p', {}, el('a', { href: '/incidents' }, '← all incidents'))));
      markUpdated(new Date().toISOString());
      return;
    }
    document.title = `${one.check} · incident · vigil`;
    const related = body.incidents.filter((i) => i.id === one.root?.id || one.downstream.includes(i.id));
    replace(content,
      el('p', { class: one.state === 'open' ? 'text-fail' : 'text-pass', id: 'open-count' },
        el('strong', {}, `${one.check} — ${one.state === 'open' ? `${one.status} since` : 'resolved'} `), timeEl(one.state === 'open' ? one.opened_at : one.resolved_at),
        ' · ', datasetLink(one.dataset), ' · ', runbookLink(one.runbook_url ?? one.runbook)),
      table([one, ...related]),
      section('History', el('ul', { class: 'change-list', id: 'history' }, one.history.map((h) => el('li', {}, timeEl(h.at), ` ${h.status}${h.event ? ` · ${h.event}` : ''}`)))));
    markUpdated(new Date().toISOString());
    return;
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

function refresh(forced = false) {
  return load(forced).catch(onError);
}

every(REFRESH_SECONDS, load, onError);
