// Line charts over time with chart.js (the UMD build from /vendor, global
// `Chart`): a linear x axis of epoch milliseconds (no date adapter needed),
// points coloured by status, dashed horizontal threshold lines. No animation:
// pages draw at once and screenshots are deterministic.

import { cssVar, el, fmtTime, statusColor } from './common.js';

/** The global from /vendor/chart.umd.js (a deferred classic script that runs before the page's module). */
function chartJs() {
  const C = globalThis.Chart;
  if (C && C.defaults.animation !== false) {
    C.defaults.animation = false;
    C.defaults.responsive = true;
    C.defaults.maintainAspectRatio = false;
  }
  return C;
}

const made = new Set();

/** Destroys every chart this page drew (before it redraws). */
export function destroyCharts() {
  for (const c of made) c.destroy();
  made.clear();
}

/** A round step (5m … 1w) that gives at most ~8 ticks over the span; ticks land on multiples of it. */
function timeStep(span) {
  const steps = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60e3);
  return steps.find((s) => span / s <= 8) ?? steps[steps.length - 1] * Math.ceil(span / (8 * steps[steps.length - 1]));
}

function tickFormatter(min, max) {
  const span = max - min;
  return (value) => {
    const d = new Date(Number(value));
    const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    const md = `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    return span <= 36 * 3600e3 ? hm : span <= 7 * 86400e3 ? `${md} ${hm}` : md;
  };
}

/**
 * A chart card: title, canvas, and a caption. `series`: [{ label, points: [{ x: ms, y, status? }], color? }],
 * `lines`: [{ label, y, level: 'warn'|'fail'|'zero' }], `format(y)` for ticks and tooltips.
 * `band` (anomaly checks): [{ x, lower, upper, value, anomalous }] — the expected band, shaded, with
 * the anomalous values marked.
 * With no point at all the card says so instead of drawing an empty frame.
 */
export function chartCard({ title, subtitle, series, lines = [], band = [], format = (y) => String(y), yMin, testId, emptyText }) {
  const card = el('figure', { class: 'chart-card', 'data-chart': testId ?? title });
  card.append(el('figcaption', {}, el('span', { class: 'chart-title' }, title), subtitle ? el('span', { class: 'chart-sub' }, subtitle) : null));
  const all = series.flatMap((s) => s.points).filter((p) => p.y !== null && p.y !== undefined && Number.isFinite(p.y));
  if (all.length === 0) {
    card.append(el('p', { class: 'chart-empty muted' }, emptyText ?? 'No history yet: this check has no recorded value in the window.'));
    card.classList.add('empty');
    return card;
  }
  const canvas = el('canvas', { role: 'img', 'aria-label': `${title} over time` });
  card.append(el('div', { class: 'chart-box' }, canvas));
  // Drawn once the card is in the document (chart.js needs a size).
  card.draw = () => draw(canvas, { series, lines, band, format, yMin });
  return card;
}

/** Draws every chart card under `root` that is not drawn yet. */
export function drawCharts(root) {
  for (const card of root.querySelectorAll('figure.chart-card')) {
    if (typeof card.draw === 'function') {
      card.draw();
      card.draw = null;
    }
  }
}

function draw(canvas, { series, lines, band = [], format, yMin }) {
  const ChartJs = chartJs();
  if (!ChartJs) {
    canvas.replaceWith(el('p', { class: 'muted' }, 'chart.js did not load (/vendor/chart.umd.js)'));
    return;
  }
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  let xmin = Math.min(...xs);
  let xmax = Math.max(...xs);
  if (xmin === xmax) { xmin -= 3600e3; xmax += 3600e3; }
  const text = cssVar('--text-muted', '#666');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
  const lineColor = cssVar('--chart-line', '#3b82f6');
  const datasets = series.map((s) => ({
    label: s.label,
    data: s.points.map((p) => ({ x: p.x, y: p.y, status: p.status })),
    borderColor: s.color ?? lineColor,
    backgroundColor: s.color ?? lineColor,
    pointBackgroundColor: s.points.map((p) => (p.status ? statusColor(p.status) : (s.color ?? lineColor))),
    pointBorderColor: s.points.map((p) => (p.status ? statusColor(p.status) : (s.color ?? lineColor))),
    pointRadius: s.points.length > 60 ? 2 : 4,
    borderWidth: 2,
    spanGaps: false,
    tension: 0,
  }));
  if (band.length) {
    // The band: its upper edge, then its lower edge filled up to it (chart.js's filler, '-1').
    const shade = cssVar('--chart-band', 'rgba(59,130,246,0.15)');
    const edge = cssVar('--chart-band-edge', 'rgba(59,130,246,0.35)');
    const common = { borderColor: edge, borderWidth: 1, pointRadius: 0, pointHoverRadius: 0, tension: 0, spanGaps: false, band: true };
    datasets.push({ ...common, label: 'expected (upper)', data: band.map((b) => ({ x: b.x, y: b.upper })), fill: false });
    datasets.push({ ...common, label: 'expected range', data: band.map((b) => ({ x: b.x, y: b.lower })), fill: '-1', backgroundColor: shade });
    const odd = band.filter((b) => b.anomalous && b.value !== null && Number.isFinite(b.value));
    if (odd.length) {
      const fail = statusColor('fail');
      datasets.push({
        label: 'anomalous', data: odd.map((b) => ({ x: b.x, y: b.value, status: 'anomalous' })), showLine: false, anomalous: true,
        pointStyle: 'triangle', pointRadius: 7, pointHoverRadius: 8, borderColor: fail, backgroundColor: fail, pointBackgroundColor: fail, pointBorderColor: fail,
      });
    }
  }
  // A threshold far above the data (row_count max 5,000,000 against 50,000 rows) would flatten
  // the line; such lines stay in the subtitle's text but are not drawn.
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y !== null && y !== undefined && Number.isFinite(y));
  const finite = lines.filter((l) => l.y !== null && l.y !== undefined && Number.isFinite(l.y));
  const nearest = Math.min(Infinity, ...finite.map((l) => Math.abs(l.y)));
  const reach = 10 * Math.max(0, ...ys.map(Math.abs), Number.isFinite(nearest) ? nearest : 0);
  for (const l of finite) {
    if (Math.abs(l.y) > reach) continue;
    const color = l.level === 'zero' ? text : statusColor(l.level);
    datasets.push({
      label: l.label,
      data: [{ x: xmin, y: l.y }, { x: xmax, y: l.y }],
      borderColor: color,
      backgroundColor: color,
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      threshold: true,
    });
  }
  const chart = new ChartJs(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      parsing: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', min: xmin, max: xmax, ticks: { color: text, stepSize: timeStep(xmax - xmin), callback: tickFormatter(xmin, xmax) }, grid: { color: grid } },
        y: {
          ...(yMin !== undefined ? { min: yMin } : {}),
          // Counts that are all 0 still get a readable 0…1 axis, not -1…1.
          ...(ys.every((y) => y >= 0) ? { suggestedMin: 0, suggestedMax: 1 } : {}),
          ticks: { color: text, callback: (v) => format(Number(v)), maxTicksLimit: 6 },
          grid: { color: grid },
        },
      },
      plugins: {
        // The band's upper edge is half of one shaded area: the legend names the area once.
        legend: { labels: { color: text, boxWidth: 14, filter: (item, data) => data.datasets[item.datasetIndex]?.label !== 'expected (upper)' } },
        tooltip: {
          filter: (item) => !item.dataset.threshold,
          callbacks: {
            title: (items) => (items[0] ? fmtTime(new Date(Number(items[0].parsed.x)).toISOString(), true) : ''),
            label: (item) => {
              const raw = item.raw ?? {};
              return `${item.dataset.label}: ${format(item.parsed.y)}${raw.status ? ` (${raw.status})` : ''}`;
            },
          },
        },
      },
    },
  });
  made.add(chart);
}
