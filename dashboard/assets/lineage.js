// Lineage (/lineage): the graph of `upstream:` declarations as a left-to-right
// DAG laid out by dagre and drawn as SVG here, nodes coloured (and labelled)
// by status. Selecting a dataset highlights everything downstream of it: what
// its failure puts at risk (`at_risk` from the API). ?select=NAME links a selection.

import dagre from '/vendor/dagre.esm.js';
import {
  STATUS_ORDER, badge, datasetHref, datasetLink, el, errorText, every, getJson, markUpdated, replace, svg,
} from './common.js';

const REFRESH_SECONDS = 60;
const NODE_H = 58;
const main = document.getElementById('main');

let data = null;
let selected = new URLSearchParams(location.search).get('select');

const loadError = el('div', { id: 'load-error' });
const graphWrap = el('div', { class: 'graph-wrap', id: 'graph' });
const side = el('aside', { class: 'side', id: 'selection', 'aria-live': 'polite' });

replace(main,
  el('h1', {}, 'Lineage'),
  el('p', { class: 'muted' }, 'Datasets and the upstream datasets they are built from, left to right. Select a dataset to highlight everything downstream of it.'),
  el('div', { class: 'legend' }, STATUS_ORDER.map((s) => badge(s)),
    el('span', { class: 'muted' }, 'dashed border: an external source (declared in upstream: with external: true, not checked here); dotted: named as an upstream but not in this project')),
  loadError,
  el('div', { class: 'lineage-layout' }, graphWrap, side));

/** A node's kind; an API without `kind` only said `external`. */
const kindOf = (n) => n.kind ?? (n.external ? 'undeclared' : 'dataset');
const KIND_LABEL = { external: 'EXTERNAL SOURCE', undeclared: 'NOT IN THIS PROJECT' };

/** The second line of a node: its status, or what it is when it is not a dataset of this project. */
function nodeLabel(n, status) {
  return KIND_LABEL[kindOf(n)] ?? status.toUpperCase();
}

function nodeWidth(n) {
  return Math.max(150, Math.round(Math.max(n.name.length * 8.8, nodeLabel(n, n.status).length * 8.2)) + 44);
}

function select(name) {
  selected = selected === name ? null : name;
  const p = new URLSearchParams(location.search);
  if (selected) p.set('select', selected); else p.delete('select');
  const qs = p.toString();
  history.replaceState(null, '', qs ? `/lineage?${qs}` : '/lineage');
  highlight();
}

function highlight() {
  const root = graphWrap.querySelector('svg');
  if (!root || !data) return;
  const node = selected ? data.nodes.find((n) => n.name === selected) : null;
  if (!node) selected = null;
  const risk = new Set(node ? node.at_risk : []);
  const lit = new Set(node ? [node.name, ...node.at_risk] : []);
  root.classList.toggle('has-selection', Boolean(node));
  for (const g of root.querySelectorAll('g.node')) {
    const n = g.getAttribute('data-name');
    g.classList.toggle('selected', n === selected);
    g.classList.toggle('at-risk', risk.has(n));
    g.setAttribute('aria-pressed', String(n === selected));
  }
  for (const p of root.querySelectorAll('path.edge')) {
    p.classList.toggle('at-risk', lit.has(p.getAttribute('data-from')) && risk.has(p.getAttribute('data-to')));
  }
  renderSide(node);
}

function renderSide(node) {
  if (!node) {
    replace(side, el('h2', {}, 'Nothing selected'),
      el('p', { class: 'muted' }, 'Click a dataset (or focus it and press Enter) to see what is downstream of it.'),
      summaryList());
    return;
  }
  const byName = new Map(data.nodes.map((n) => [n.name, n]));
  const failing = ['fail', 'error'].includes(node.status);
  const kind = kindOf(node);
  replace(side,
    el('h2', {}, node.name),
    kind === 'dataset' ? el('p', {}, badge(node.status, 'big')) : null,
    kind === 'external' ? el('p', { class: 'kind-note' }, 'External source: declared in upstream:, not checked by vigil.') : null,
    kind === 'undeclared' ? el('p', { class: 'kind-note' }, 'Not a dataset of this project. If it is a source outside it, declare it in upstream: as ',
      el('code', {}, `{ name: ${node.name}, external: true }`), '; else fix the name.') : null,
    node.description ? el('p', {}, node.description) : null,
    node.owner ? el('p', {}, 'Owner: ', node.owner) : null,
    kind === 'dataset' ? el('p', {}, el('a', { href: datasetHref(node.name) }, 'Open the dataset page →')) : null,
    el('h3', { id: 'at-risk-title' }, node.at_risk.length === 0
      ? 'Nothing downstream'
      : `${node.at_risk.length} downstream dataset${node.at_risk.length === 1 ? '' : 's'}${failing ? ' at risk' : ''}`),
    node.at_risk.length ? el('ul', { class: 'linklist', id: 'at-risk' }, node.at_risk.map((n) => {
      const other = byName.get(n);
      return el('li', {}, badge(other ? other.status : 'unknown'), other && other.external ? n : datasetLink(n));
    })) : null,
    el('p', {}, el('button', { type: 'button', onclick: () => select(node.name) }, 'Clear selection')));
}

function summaryList() {
  const failing = data.nodes.filter((n) => ['error', 'fail'].includes(n.status));
  if (failing.length === 0) return el('p', { class: 'text-pass' }, 'No dataset is failing.');
  return [el('h3', {}, 'Failing now'), el('ul', { class: 'linklist' }, failing.map((n) => el('li', {},
    badge(n.status), el('button', { type: 'button', onclick: () => select(n.name) }, n.name),
    el('span', { class: 'muted' }, `${n.at_risk.length} at risk`))))];
}

function draw() {
  if (data.nodes.length === 0) {
    replace(graphWrap, el('p', { class: 'muted' }, 'No datasets configured.'));
    renderSide(null);
    return;
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 90, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) g.setNode(n.name, { width: nodeWidth(n), height: NODE_H });
  for (const e of data.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const { width, height } = g.graph();

  const root = svg('svg', {
    width: String(Math.ceil(width)), height: String(Math.ceil(height)), viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
    role: 'group', 'aria-label': 'dataset lineage graph',
  });
  root.append(svg('defs', {}, svg('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerUnits: 'userSpaceOnUse', markerWidth: '11', markerHeight: '11', orient: 'auto-start-reverse',
  }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }))));

  for (const e of g.edges()) {
    const pts = g.edge(e).points ?? [];
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    root.append(svg('path', { d, class: 'edge', 'data-from': e.v, 'data-to': e.w, 'marker-end': 'url(#arrow)' }));
  }
  for (const n of data.nodes) {
    const pos = g.node(n.name);
    const w = pos.width;
    const status = STATUS_ORDER.includes(n.status) ? n.status : 'unknown';
    const kind = kindOf(n);
    const group = svg('g', {
      class: `node status-${status}${kind === 'dataset' ? '' : ` external kind-${kind}`}`,
      transform: `translate(${(pos.x - w / 2).toFixed(1)} ${(pos.y - NODE_H / 2).toFixed(1)})`,
      'data-name': n.name, 'data-status': status, tabindex: '0', role: 'button', 'aria-pressed': 'false',
      'aria-label': `${n.name}, ${nodeLabel(n, status).toLowerCase()}${n.at_risk.length ? `, ${n.at_risk.length} downstream` : ''}`,
      onclick: () => select(n.name),
      onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(n.name); } },
      ondblclick: () => { if (kind === 'dataset') location.assign(datasetHref(n.name)); },
    },
    svg('title', {}, `${n.name} — ${nodeLabel(n, status).toLowerCase()}${n.owner ? ` — ${n.owner}` : ''}`),
    svg('rect', { width: String(w), height: String(NODE_H), rx: '8', ry: '8' }),
    svg('rect', { class: 'bar', x: '0', y: '0', width: '8', height: String(NODE_H), rx: '3' }),
    svg('text', { x: '20', y: '25', class: 'node-name' }, n.name),
    svg('text', { x: '20', y: '44', class: 'node-status' }, nodeLabel(n, status)));
    root.append(group);
  }
  replace(graphWrap, root);
  highlight();
}

async function load() {
  data = await getJson('/api/lineage');
  replace(loadError);
  draw();
  markUpdated(new Date().toISOString());
}

// A click on the background clears the selection.
graphWrap.addEventListener('click', (ev) => {
  if (selected && ev.target instanceof Element && !ev.target.closest('g.node')) select(selected);
});

every(REFRESH_SECONDS, load, (err) => {
  replace(loadError, el('section', { class: 'notice notice-error', role: 'alert' }, el('h2', {}, 'Could not load the lineage'), el('p', {}, errorText(err))));
});
