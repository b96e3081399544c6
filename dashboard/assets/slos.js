// SLOs (/slos): per objective its attainment against target, the error budget
// left (percent, time and runs), burn rates over 1h/6h/24h/3d and a burn-down
// chart. The server computes every number; this page only draws them.

import {
  datasetLink, el, every, fmtDuration, fmtNumber, fmtPercent, getJson, markUpdated, refreshFailed, replace,
} from './common.js';
import { chartCard, destroyCharts, drawCharts } from './charts.js';

const REFRESH_SECONDS = 60;
const WINDOWS = ['1h', '6h', '24h', '3d'];
const main = document.getElementById('main');

/** Worst first: budget overspent, then least budget left; objectives without runs last. */
function order(a, b) {
  const x = a.budget_remaining ?? Infinity;
  const y = b.budget_remaining ?? Infinity;
  return x - y || a.check_id.localeCompare(b.check_id);
}

function burnClass(rate) {
  if (rate === null || rate === undefined) return 'muted';
  if (rate >= 6) return 'burn-high';
  if (rate > 1) return 'burn-elevated';
  return '';
}

function sloState(s) {
  if (s.attainment === null) return { cls: 'muted', text: 'no runs in the window' };
  if (s.data === 'too_few_runs') {
    return { cls: 'muted', text: `not enough data yet: ${fmtNumber(s.runs_in_window)} of the ${fmtNumber(s.runs_needed)} runs a ${fmtPercent(s.target, 2)} target needs before its budget allows one failing run` };
  }
  if (s.budget_exhausted || (s.budget_remaining !== null && s.budget_remaining <= 0)) return { cls: 'text-fail', text: 'error budget exhausted' };
  if (s.attainment < s.target) return { cls: 'text-fail', text: 'below target' };
  if (s.budget_remaining !== null && s.budget_remaining < 25) return { cls: 'text-warn', text: 'budget running low' };
  return { cls: 'text-pass', text: 'meeting objective' };
}

/** Budget left as a percentage, clamped to −100…100 % ("overspent" beyond a whole budget). */
function budgetText(s) {
  const shown = s.shown ? s.shown.budget_remaining : s.budget_remaining;
  if (shown === null || shown === undefined) return '—';
  if (s.budget_remaining !== null && s.budget_remaining < -100) return 'overspent';
  return fmtPercent(shown, 1);
}

/** Budget left as time: never below 0 (an overspent budget has no time left, it is not negative time). */
function budgetTimeText(s) {
  const secs = s.shown ? s.shown.budget_remaining_seconds : s.budget_remaining_seconds;
  if (secs === null || secs === undefined) return '—';
  return secs <= 0 ? 'none' : fmtDuration(secs);
}

function card(s) {
  const st = sloState(s);
  const few = s.data === 'too_few_runs';
  const runsLeft = s.budget_runs === null ? null : s.budget_runs - s.failing_runs;
  const checkName = s.check_id.startsWith(`${s.dataset}.`) ? s.check_id.slice(s.dataset.length + 1) : s.check;
  const rate = (r) => {
    if (r !== null && r !== undefined) return `${fmtNumber(r, 2)}×`;
    return s.zero_budget ? '∞' : '—';
  };
  return el('article', { class: 'slo-card', 'data-slo': s.check_id },
    el('h2', {}, datasetLink(s.dataset), ` · ${checkName}`),
    el('p', { class: st.cls }, el('strong', {}, st.text), el('span', { class: 'muted' }, ` · target ${fmtPercent(s.target, 2)} of runs not failing over ${fmtDuration(s.window_seconds)}`)),
    el('div', { class: 'slo-figures' },
      el('div', {}, el('strong', { class: s.attainment !== null && s.attainment < s.target ? 'text-fail' : '' }, fmtPercent(s.attainment, 3)), el('span', {}, 'attainment')),
      el('div', { 'data-figure': 'budget' }, el('strong', { class: few ? 'muted' : s.budget_remaining !== null && s.budget_remaining < 0 ? 'text-fail' : '' }, budgetText(s)),
        el('span', {}, few ? 'error budget left (too few runs to say)' : 'error budget left')),
      el('div', { 'data-figure': 'budget-time' }, el('strong', { class: few ? 'muted' : '' }, budgetTimeText(s)), el('span', {}, 'budget left as time')),
      el('div', {}, el('strong', { class: runsLeft !== null && runsLeft < 0 ? 'text-fail' : '' }, runsLeft === null ? '—' : runsLeft < 0 ? `${fmtNumber(-runsLeft, 2)} over` : fmtNumber(runsLeft, 2)),
        el('span', {}, `failing runs left of ${s.budget_runs === null ? '—' : fmtNumber(s.budget_runs, 2)} allowed`)),
      el('div', {}, el('strong', {}, `${fmtNumber(s.failing_runs)} / ${fmtNumber(s.runs_in_window)}`), el('span', {}, 'failing / runs in window'))),
    el('table', { class: 'burn' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'burn rate'), WINDOWS.map((w) => el('th', { scope: 'col' }, w)))),
      el('tbody', {}, el('tr', {}, el('th', { scope: 'row' }, '× budget'),
        WINDOWS.map((w) => {
          const r = s.burn_rates ? s.burn_rates[w] : null;
          return el('td', { class: r === null && s.zero_budget ? 'burn-high' : burnClass(r), 'data-window': w, title: s.burn_words ? s.burn_words[w] : '' }, rate(r));
        })))),
    s.burn_words ? el('p', { class: 'burn-words', 'data-burn-words': '' }, burnSentence(s)) : null,
    chartCard({
      title: 'Error budget left (%)',
      subtitle: 'burn-down over the window; below 0 = objective missed',
      // Clamped like the figures: a budget overspent a hundredfold would flatten the line to nothing.
      series: [{ label: 'budget left %', points: (s.burndown ?? []).map((p) => ({ x: Date.parse(p.at), y: Math.max(-100, Math.min(100, p.budget_remaining)) })) }],
      lines: [{ label: 'budget exhausted', y: 0, level: 'fail' }],
      format: (y) => `${fmtNumber(y, 1)}%`,
      testId: `burndown:${s.check_id}`,
      emptyText: 'No runs in the window yet: nothing to burn down.',
    }));
}

/** The burn rate in words: over the last hour when it has runs, and over the last 24 hours when that says more. */
function burnSentence(s) {
  const words = s.burn_words;
  const parts = [words['1h']];
  if (words['24h'] !== words['1h'] && !/^no run/.test(words['24h'])) parts.push(words['24h']);
  const text = parts.filter((p) => !/^no run/.test(p)).join('. ');
  return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : 'No run in the last 24 hours: nothing is burning.';
}

async function load() {
  const body = await getJson('/api/slos');
  const slos = [...body.slos].sort(order);
  destroyCharts();
  replace(main,
    el('h1', {}, 'Service level objectives'),
    el('p', { class: 'muted' }, 'Burn rate 1× spends the error budget exactly over the window; above 1× (amber) it runs out early, 6× and more (red) needs attention now. A 100% target has no budget: any failing run burns it (∞).'),
    slos.length === 0
      ? el('section', { class: 'notice notice-missing', role: 'status' }, el('h2', {}, 'No SLOs defined'),
        el('p', {}, 'Add an slo: block (window and objectives) to a check file to track one.'))
      : el('div', { class: 'slo-grid' }, slos.map(card)));
  drawCharts(main);
  markUpdated(new Date().toISOString());
}

every(REFRESH_SECONDS, load, (err) => refreshFailed('Could not load SLOs', err));
