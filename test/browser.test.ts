/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in real headless Chromium against a real `vigil serve`: the
// demo project (its warehouse built for four points in time, one run each, so
// charts have history) and a small project whose check file and data carry an
// XSS payload. Every page must load without console errors; charts must have
// drawn pixels; lineage must highlight downstream on click; the payload must
// stay text. Screenshots go to test-artifacts/screenshots/ (and to
// docs/screenshots/ with UPDATE_SCREENSHOTS=1).

import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { buildDemoWarehouse } from '../scripts/demo-warehouse.js';
import { REPO, cleanupProjects, makeProject, runProject, vigil, writeFile } from './helpers.js';
import { killAllDaemons, startServe, stopServe, type Daemon } from './serve-helpers.js';

const XSS = '<img src=x onerror=alert(1)>';
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'screenshots');
const DOCS = path.join(REPO, 'docs', 'screenshots');

/** Every file of a dir tree, as relative paths. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]);
}

/** The repo's demo project in a temp dir: vigil.yaml (dashboard on port 0), checks/, alerts/, demo/warehouse. */
async function demoProject(): Promise<string> {
  const yaml = readFileSync(path.join(REPO, 'vigil.yaml'), 'utf8');
  const dir = makeProject({ 'vigil.yaml': `${yaml.replace(/^dashboard:.*$/m, '')}\ndashboard: { port: 0 }\n` });
  for (const folder of ['checks', 'alerts']) {
    mkdirSync(path.join(dir, folder), { recursive: true });
    let files: string[] = [];
    try { files = filesUnder(path.join(REPO, folder)); } catch { /* no such folder */ }
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, folder, f)), { recursive: true });
      copyFileSync(path.join(REPO, folder, f), path.join(dir, folder, f));
    }
  }
  // History: the warehouse as it was 3h, 2h and 1h ago and now, one run each (file times too,
  // for freshness checks that read modification times).
  const warehouse = path.join(dir, 'demo', 'warehouse');
  const now = Date.now();
  for (const hoursAgo of [3, 2, 1, 0]) {
    const at = new Date(now - hoursAgo * 3600_000);
    await buildDemoWarehouse(warehouse, at);
    for (const f of filesUnder(warehouse)) utimesSync(path.join(warehouse, f), at, at);
    const run = await vigil(['run', '--now', at.toISOString(), '--no-alerts'], { cwd: dir });
    // The demo plants failing checks: exit 1 is expected; 2 (error) or 3 (invalid) is not.
    expect(run.code, run.stderr).toBe(1);
  }
  return dir;
}

/** A project whose free text (description, owner, tags, check description, runbook) and data carry the payload. */
function xssProject(): string {
  const dir = makeProject({
    'vigil.yaml': 'checks: checks\ndashboard: { port: 0 }\n',
    'data/evil.csv': `id,name\n1,${XSS}\n2,${XSS}\n3,fine\n`,
    'data/clean.csv': 'id\n1\n2\n',
    'checks/clean.yaml': [
      'dataset: clean',
      'source: ../data/clean.csv',
      'runbook: https://runbooks.example.com/clean',
      'checks:',
      '  - row_count: { fail: { min: 1 } }',
    ].join('\n'),
  });
  writeFile(dir, 'checks/evil.yaml', [
    'dataset: evil',
    `description: "${XSS} in a description"`,
    'source: ../data/evil.csv',
    `owner: "${XSS}"`,
    `tags: ["${XSS}", tier-1]`,
    'runbook: "javascript:alert(1)"',
    `upstream: [clean, { name: vendor.feed, external: true, description: "${XSS} feed" }]`,
    'checks:',
    `  - duplicates: { keys: [name], fail: 0, description: "${XSS} check description" }`,
    '  - row_count: { fail: { min: 1 } }',
    '  - sql:',
    '      name: evil_rows',
    `      query: "select count(*) from {{ source }} where name = '${XSS}'"`,
    '      fail: 0',
    '      runbook: "javascript:alert(1)"',
  ].join('\n'));
  return dir;
}

/** A dataset whose row count is learnt from its history: ten daily runs, the last a drop far below the band. */
async function anomalyProject(): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': 'checks: checks\ndashboard: { port: 0 }\n',
    'checks/sales.yaml': 'dataset: sales\nsource: ../data/sales.csv\nchecks:\n  - row_count: { anomaly: { min_points: 4 } }\n',
  });
  const counts = [100, 103, 98, 101, 99, 102, 100, 104, 97, 30];
  const now = Date.now();
  for (const [i, n] of counts.entries()) {
    writeFile(dir, 'data/sales.csv', `id\n${Array.from({ length: n }, (_, k) => k).join('\n')}\n`);
    await runProject(dir, { now: new Date(now - (counts.length - 1 - i) * 86_400_000) });
  }
  return dir;
}

const TOKEN = 'browser-test-dashboard-token';

/** A one-dataset project whose dashboard needs a token. */
function securedProject(): string {
  return makeProject({
    'vigil.yaml': `checks: checks\ndashboard: { port: 0, token: ${TOKEN} }\n`,
    'data/clean.csv': 'id\n1\n2\n',
    'checks/clean.yaml': 'dataset: clean\nsource: ../data/clean.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
}

interface Opened {
  page: Page;
  /** console errors, page errors and failed requests not allowed by the caller */
  problems: string[];
  dialogs: string[];
}

let browser: Browser;
let context: BrowserContext;
let demo: Daemon;
let evil: Daemon;
let secured: Daemon;
let anomalous: Daemon;

/** Opens `route` on `d`, records every console error, page error and dialog, and waits until the page has drawn. */
async function open(d: Daemon, route: string, opts: { allowNotFound?: RegExp } = {}): Promise<Opened> {
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every 404 answer; some pages ask for something that may be missing on purpose.
    const where = m.location().url;
    if (opts.allowNotFound && /status of 404/.test(m.text()) && opts.allowNotFound.test(where)) return;
    problems.push(`console.error: ${m.text()} (${where})`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.dismiss(); });
  const res = await page.goto(`${d.url}${route}`);
  expect(res?.status(), `GET ${route}`).toBe(200);
  await page.waitForSelector('main[aria-busy="false"]', { timeout: 20_000 });
  return { page, problems, dialogs };
}

async function screenshot(page: Page, name: string, docs = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const clip = { x: 0, y: 0, width: 1280, height: Math.min(height, 1500) };
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (docs && process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, `${name}.png`), fullPage: true, clip });
  }
}

/** Per canvas: which chart, how many pixels are painted, and how many points its first series has. */
async function canvases(page: Page): Promise<Array<{ chart: string; painted: number; points: number }>> {
  return page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => {
    const ctx = c.getContext('2d');
    const data = ctx ? ctx.getImageData(0, 0, c.width, c.height).data : new Uint8ClampedArray();
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    const chart = (globalThis as unknown as { Chart?: { getChart(c: HTMLCanvasElement): { data: { datasets: Array<{ data: unknown[] }> } } | undefined } }).Chart?.getChart(c);
    return { chart: c.closest('figure')?.getAttribute('data-chart') ?? '?', painted, points: chart?.data.datasets[0]?.data.length ?? 0 };
  }));
}

beforeAll(async () => {
  const [demoDir, launched] = await Promise.all([demoProject(), launchChromium()]);
  browser = launched;
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', timezoneId: 'UTC', locale: 'en-US' });
  const evilDir = xssProject();
  const securedDir = securedProject();
  const [evilRun, securedRun, anomalyDir] = await Promise.all([vigil(['run', '--no-alerts'], { cwd: evilDir }), vigil(['run', '--no-alerts'], { cwd: securedDir }), anomalyProject()]);
  expect(evilRun.code, evilRun.stderr).toBe(1); // the duplicates and the sql check fail, on purpose
  expect(securedRun.code, securedRun.stderr).toBe(0);
  [demo, evil, secured, anomalous] = await Promise.all([startServe(demoDir), startServe(evilDir), startServe(securedDir), startServe(anomalyDir)]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([demo, evil, secured, anomalous].filter(Boolean).map((d) => stopServe(d).catch(() => undefined)));
  await killAllDaemons();
  cleanupProjects();
});

describe('the expected band of an anomaly check', () => {
  it('is shaded on the history chart, and the anomalous run is marked', async () => {
    const { page, problems } = await open(anomalous, '/datasets/sales');
    const [drawn] = await canvases(page);
    expect(drawn?.chart).toBe('sales.row_count');
    expect(drawn?.painted).toBeGreaterThan(2000);
    const sets = await page.evaluate(() => {
      const canvas = document.querySelector('figure[data-chart="sales.row_count"] canvas') as HTMLCanvasElement | null;
      type Set = { label: string; fill?: unknown; data: Array<{ x: number; y: number }> };
      const c = canvas && (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: Set[] } } } }).Chart.getChart(canvas);
      return c ? c.data.datasets.map((d) => ({ label: d.label, fill: d.fill ?? null, ys: d.data.map((p) => p.y) })) : null;
    });
    expect(sets, 'the row_count chart').not.toBeNull();
    const upper = sets?.find((d) => d.label === 'expected (upper)');
    const lower = sets?.find((d) => d.label === 'expected range');
    // Runs 5 to 10 had a band (the first four were learning).
    expect(upper?.ys).toHaveLength(6);
    expect(lower?.fill).toBe('-1');
    for (const [i, lo] of (lower?.ys ?? []).entries()) {
      expect(lo).toBeLessThan(97);
      expect(upper?.ys[i]).toBeGreaterThan(104);
    }
    expect(sets?.find((d) => d.label === 'anomalous')?.ys).toEqual([30]);
    expect(await page.innerText('figure[data-chart="sales.row_count"] .chart-sub')).toMatch(/shaded: expected range/);
    expect(await page.innerText('main')).toMatch(/30 rows, expected [\d,.]+–[\d,.]+; warn/);
    await screenshot(page, 'dataset-anomaly');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('dashboard on the demo', () => {
  it('overview lists every dataset failing first, with freshness against its thresholds, and filters via the URL', async () => {
    const { page, problems } = await open(demo, '/');
    const rows = await page.$$eval('#datasets tr[data-dataset]', (trs) => trs.map((tr) => ({
      name: tr.getAttribute('data-dataset'), status: tr.getAttribute('data-status'), text: (tr as HTMLElement).innerText,
    })));
    expect(rows.map((r) => r.name).sort()).toEqual(['customers', 'order_items', 'orders', 'payments', 'web_events']);
    const rank = ['error', 'fail', 'warn', 'unknown', 'pass'];
    const ranks = rows.map((r) => rank.indexOf(r.status ?? ''));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // The planted problems: payments is stale (fails freshness), orders has duplicate keys.
    expect(rows.find((r) => r.name === 'payments')?.status).toBe('fail');
    expect(rows.find((r) => r.name === 'orders')?.status).toBe('fail');
    expect(rows[0]?.status).toMatch(/^(error|fail)$/);
    expect(rows.find((r) => r.name === 'payments')?.text).toMatch(/\d+h( \d+m)? old · warn 6h · fail 1d/);
    expect(rows.find((r) => r.name === 'orders')?.text).toContain('commerce-data');
    await screenshot(page, 'overview', true);

    await page.selectOption('#f-status', 'pass');
    expect(new URL(page.url()).searchParams.get('status')).toBe('pass');
    const passing = await page.$$eval('#datasets tr[data-dataset]', (trs) => trs.map((tr) => tr.getAttribute('data-status')));
    expect(passing.length).toBeGreaterThan(0);
    expect(new Set(passing)).toEqual(new Set(['pass']));
    await page.click('#f-clear');
    await page.fill('#f-q', 'psp');
    expect(await page.$$eval('#datasets tr[data-dataset]', (trs) => trs.map((tr) => tr.getAttribute('data-dataset')))).toEqual(['payments']);
    expect(new URL(page.url()).searchParams.get('q')).toBe('psp');

    // The filter state survives a reload (it lives in the URL).
    await page.goto(`${demo.url}/?owner=crm-data`);
    await page.waitForSelector('main[aria-busy="false"]');
    expect(await page.$$eval('#datasets tr[data-dataset]', (trs) => trs.map((tr) => tr.getAttribute('data-dataset')))).toEqual(['customers']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('dataset page draws freshness, row-count and metric charts with history, and lists checks, schema, runs and neighbours', async () => {
    const { page, problems } = await open(demo, '/datasets/orders');
    const drawn = await canvases(page);
    const byChart = new Map(drawn.map((c) => [c.chart, c]));
    // A chart for what moved or failed; checks that were 0 and passing at every run share one sparkline row.
    expect([...byChart.keys()].sort()).toEqual(['orders.duplicates.order_id', 'orders.freshness', 'orders.orders_last_24h', 'orders.row_count']);
    for (const c of drawn) {
      expect(c.painted, `pixels painted in ${c.chart}`).toBeGreaterThan(2000);
      expect(c.points, `points in ${c.chart}`).toBeGreaterThanOrEqual(4);
    }
    const quiet = await page.$$eval('#quiet-checks li[data-quiet]', (lis) => lis.map((li) => li.getAttribute('data-quiet')).sort());
    expect(quiet).toEqual(expect.arrayContaining(['orders.negative_amounts', 'orders.nulls.customer_id', 'orders.nulls.currency', 'orders.updated_before_created']));
    expect(quiet).toHaveLength(10);
    expect(await page.$$eval('#quiet-checks svg.sparkline path', (ps) => ps.length)).toBe(10);
    expect(await page.innerText('#quiet-checks')).toMatch(/These 10 checks were 0 and passing at every run of the last 30 days/);
    // One unit on the freshness axis, from the largest age or threshold (fail after 6h): the title names it.
    expect(await page.innerText('figure[data-chart="orders.freshness"] .chart-title')).toBe('Freshness: age of the newest row (hours)');
    // Which checks did not pass, run by run: the duplicates every time (planted).
    const runs = await page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => (tr.querySelector('td.not-passing') as HTMLElement).innerText));
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const r of runs) expect(r).toMatch(/FAIL duplicates\.order_id/);
    const text = await page.innerText('main');
    expect(text).toContain('duplicates.order_id');
    expect(text).toMatch(/36 duplicate|36 rows/);
    expect(text).toContain('Upstream');
    expect(await page.$$eval('section a.dataset-link', (as) => as.map((a) => a.textContent))).toEqual(expect.arrayContaining(['customers', 'order_items', 'payments']));
    expect(await page.$$eval('table.schema code', (cs) => cs.map((c) => c.textContent))).toContain('order_id');
    expect(await page.$$eval('table.runs tbody tr', (trs) => trs.length)).toBeGreaterThanOrEqual(4);
    expect(await page.getAttribute('tr[data-check="orders.duplicates.order_id"] a.ext', 'href')).toBe('https://runbooks.example.com/data/orders');
    await screenshot(page, 'dataset', true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a percent threshold is drawn on its chart, at that share of the latest row count, and says so', async () => {
    const { page, problems } = await open(demo, '/datasets/customers');
    const chart = await page.evaluate(() => {
      const canvas = document.querySelector('figure[data-chart="customers.nulls.email"] canvas') as HTMLCanvasElement | null;
      const c = canvas && (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: Array<{ label: string; data: Array<{ y: number }> }> } } } }).Chart.getChart(canvas);
      return c ? c.data.datasets.map((d) => ({ label: d.label, y: d.data[0]?.y })) : null;
    });
    expect(chart, 'the nulls.email chart').not.toBeNull();
    const detail = JSON.parse(await (await fetch(`${demo.url}/api/datasets/customers`)).text()) as { checks: Array<{ id: string; details: { rows?: number } }> };
    const rows = detail.checks.find((c) => c.id === 'customers.nulls.email')?.details.rows as number;
    const warn = chart?.find((d) => d.label.startsWith('warn above 2%'));
    const fail = chart?.find((d) => d.label.startsWith('fail above 10%'));
    expect(warn?.y).toBeCloseTo(rows * 0.02, 6);
    expect(fail?.y).toBeCloseTo(rows * 0.1, 6);
    expect(warn?.label).toMatch(/of the latest [\d,]+ rows/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the retyped column shows on order_items, and an unknown dataset says it is not found', async () => {
    const items = await open(demo, '/datasets/order_items');
    expect(await items.page.innerText('tr[data-check="order_items.schema"]')).toMatch(/unit_price/);
    await screenshot(items.page, 'dataset-order_items');
    expect(items.problems).toEqual([]);
    await items.page.close();

    const missing = await open(demo, '/datasets/no_such_dataset', { allowNotFound: /\/api\/datasets\/no_such_dataset$/ });
    expect(await missing.page.innerText('#not-found')).toContain('Dataset not found: no_such_dataset');
    expect(missing.problems).toEqual([]);
    await missing.page.close();
  });

  it('lineage draws the graph coloured by status and highlights everything downstream of a clicked failing dataset', async () => {
    const { page, problems } = await open(demo, '/lineage');
    const nodes = await page.$$eval('g.node', (gs) => gs.map((g) => ({ name: g.getAttribute('data-name'), status: g.getAttribute('data-status') })));
    expect(nodes.map((n) => n.name).sort()).toEqual(['customers', 'order_items', 'orders', 'payments', 'web_events']);
    expect(nodes.find((n) => n.name === 'orders')?.status).toBe('fail');
    expect(await page.$$eval('path.edge', (ps) => ps.length)).toBe(4);
    expect(await page.$$eval('g.node.at-risk', (gs) => gs.length)).toBe(0);

    await page.click('g.node[data-name="orders"]');
    const atRisk = await page.$$eval('g.node.at-risk', (gs) => gs.map((g) => g.getAttribute('data-name')).sort());
    expect(atRisk).toEqual(['order_items', 'payments']);
    expect(await page.$$eval('path.edge.at-risk', (ps) => ps.map((p) => `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`).sort()))
      .toEqual(['orders>order_items', 'orders>payments']);
    expect(await page.innerText('#selection')).toMatch(/2 downstream datasets at risk/);
    expect(new URL(page.url()).searchParams.get('select')).toBe('orders');
    await screenshot(page, 'lineage-selected');

    // customers (upstream of everything) puts all four others at risk; clicking it again clears.
    await page.click('g.node[data-name="customers"]');
    expect(await page.$$eval('g.node.at-risk', (gs) => gs.length)).toBe(4);
    await page.click('g.node[data-name="customers"]');
    expect(await page.$$eval('g.node.at-risk, g.node.selected', (gs) => gs.length)).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('SLOs page shows attainment, budget, burn rates and draws a burn-down per objective', async () => {
    const { page, problems } = await open(demo, '/slos');
    const cards = await page.$$eval('.slo-card', (cs) => cs.map((c) => c.getAttribute('data-slo')).sort());
    expect(cards).toEqual(['orders.duplicates.order_id', 'orders.freshness']);
    const text = await page.innerText('main');
    for (const w of ['1H', '6H', '24H', '3D']) expect(text.toUpperCase()).toContain(w);
    expect(text).toMatch(/attainment/);
    expect(text).toMatch(/error budget left/);
    const drawn = await canvases(page);
    expect(drawn.length).toBe(2);
    for (const c of drawn) expect(c.painted, `pixels painted in ${c.chart}`).toBeGreaterThan(2000);
    // Four runs of a 99% objective whose check always failed: not "-9900%" and "-27d 17h", but a
    // not-enough-data state, figures clamped (overspent, no time left) and the burn rate in words.
    const dup = '.slo-card[data-slo="orders.duplicates.order_id"]';
    const card = await page.innerText(dup);
    expect(card).toMatch(/not enough data yet: 4 of the 100 runs a 99\.00% target needs before its budget allows one failing run/);
    expect(card).not.toMatch(/-\d{3,}(\.\d)?%/);
    expect(await page.innerText(`${dup} [data-figure="budget"] strong`)).toBe('overspent');
    expect(await page.innerText(`${dup} [data-figure="budget-time"] strong`)).toBe('none');
    expect(await page.innerText(`${dup} [data-burn-words]`)).toMatch(/runs failed in the last (hour|24 hours): the budget burns 100× as fast as the 99% target allows — at that pace a whole 28d budget is spent in 6h 43m/);
    const fresh = await page.innerText('.slo-card[data-slo="orders.freshness"] [data-burn-words]');
    expect(fresh).toMatch(/no budget spent/);
    await screenshot(page, 'slos');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('incidents page loads and shows incidents or says they are not available', async () => {
    const { page, problems } = await open(demo, '/incidents', { allowNotFound: /\/api\/incidents(\?|$)/ });
    const unavailable = await page.$('#incidents-unavailable');
    if (unavailable) {
      expect(await unavailable.innerText()).toContain('Incidents not available');
    } else {
      expect(await page.innerText('#open-count')).toMatch(/open incident/i);
    }
    await screenshot(page, 'incidents');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('every page has the navigation header', async () => {
    for (const route of ['/', '/datasets/customers', '/lineage', '/slos']) {
      const { page, problems } = await open(demo, route);
      expect(await page.$$eval('header nav a', (as) => as.map((a) => a.textContent))).toEqual(['Overview', 'Lineage', 'SLOs', 'Incidents']);
      expect(problems).toEqual([]);
      await page.close();
    }
  });
});

describe('text from check files and data stays text', () => {
  async function assertInert(o: Opened, route: string): Promise<string> {
    const { page } = o;
    expect(o.dialogs, `dialogs on ${route}`).toEqual([]);
    expect(await page.$$eval('img', (imgs) => imgs.length), `<img> elements on ${route}`).toBe(0);
    expect(await page.$$eval('a[href^="javascript:" i]', (as) => as.length), `javascript: links on ${route}`).toBe(0);
    const text = await page.innerText('main');
    expect(o.problems).toEqual([]);
    return text;
  }

  it('overview: description, owner and tags show the payload as text; a javascript: runbook is not a link', async () => {
    const o = await open(evil, '/');
    const text = await assertInert(o, '/');
    expect(text).toContain(`${XSS} in a description`);
    // A declared external upstream is no config problem: no banner.
    expect(await o.page.innerText('#config-problems')).toBe('');
    expect(await o.page.innerText('tr[data-dataset="evil"] .tags')).toContain(XSS);
    expect(await o.page.innerText('tr[data-dataset="evil"] .unsafe-url')).toBe('runbook');
    // The owner is also an option of the owner filter, as text.
    expect(await o.page.$$eval('#f-owner option', (os) => os.map((x) => x.textContent))).toContain(XSS);
    await screenshot(o.page, 'xss-overview');
    await o.page.close();
  });

  it('dataset page: a duplicated data value, the description and the runbook stay inert', async () => {
    const o = await open(evil, '/datasets/evil');
    const text = await assertInert(o, '/datasets/evil');
    expect(text).toContain(`${XSS} in a description`);
    // The repeated key from the CSV, in the duplicates sample.
    expect(await o.page.innerText('tr[data-check="evil.duplicates.name"] .sample')).toContain(`name=${XSS}`);
    expect(await o.page.innerText('tr[data-check="evil.duplicates.name"]')).toContain(`${XSS} check description`);
    expect(await o.page.innerText('.meta')).toContain('javascript:alert(1)');
    expect(await o.page.$$eval('.meta a.ext', (as) => as.length)).toBe(0);
    // The external upstream is named as such, and is not a link to a dataset page that does not exist.
    expect(await o.page.$$eval('section a.dataset-link', (as) => as.map((a) => a.textContent))).toEqual(['clean']);
    expect((await o.page.innerText('li.external')).replace(/\s+/g, ' ')).toBe('external source vendor.feed');
    await screenshot(o.page, 'xss-dataset');
    await o.page.close();
  });

  it('lineage and incidents pages stay inert too', async () => {
    const lineage = await open(evil, '/lineage?select=clean');
    await assertInert(lineage, '/lineage');
    expect(await lineage.page.$$eval('g.node.at-risk', (gs) => gs.map((g) => g.getAttribute('data-name')))).toEqual(['evil']);
    // The external source: drawn dashed and labelled as one, its description as text, no way to a dataset page.
    const ext = 'g.node[data-name="vendor.feed"]';
    expect(await lineage.page.getAttribute(ext, 'class')).toMatch(/\bexternal\b/);
    expect(await lineage.page.$eval(`${ext} text.node-status`, (t) => t.textContent)).toBe('EXTERNAL SOURCE');
    expect(await lineage.page.$eval(`${ext} rect`, (r) => getComputedStyle(r).strokeDasharray)).not.toMatch(/^(none)?$/);
    await lineage.page.click(ext);
    const side = await lineage.page.innerText('#selection');
    expect(side).toMatch(/External source: declared in upstream:, not checked by vigil/);
    expect(side).toContain(`${XSS} feed`);
    // Its side panel links only what is downstream of it (a real dataset), never a page of its own.
    expect(await lineage.page.$$eval('#selection a', (as) => as.map((a) => a.getAttribute('href')))).toEqual(['/datasets/evil']);
    expect(side).not.toMatch(/Open the dataset page/);
    await lineage.page.dblclick(ext);
    await lineage.page.waitForTimeout(300);
    expect(new URL(lineage.page.url()).pathname).toBe('/lineage');
    await assertInert(lineage, '/lineage');
    await lineage.page.close();
    const incidents = await open(evil, '/incidents', { allowNotFound: /\/api\/incidents(\?|$)/ });
    await assertInert(incidents, '/incidents');
    await incidents.page.close();
  });
});

describe('with dashboard.token', () => {
  it('a page sends the browser to the sign-in form and back; a page whose session ends does the same on its next API call', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', timezoneId: 'UTC', locale: 'en-US' });
    try {
      const page = await ctx.newPage();
      const problems: string[] = [];
      let allow401 = false;
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        if (allow401 && /status of 401/.test(m.text()) && /\/api\/datasets$/.test(m.location().url)) return;
        // The sign-in page names no icon, so Chromium asks for /favicon.ico, which needs a session too.
        if (/status of 401/.test(m.text()) && /\/favicon\.ico$/.test(m.location().url)) return;
        problems.push(`console.error: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

      await page.goto(`${secured.url}/?q=cle`);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/?q=cle');
      await page.fill('#token', TOKEN);
      await Promise.all([page.waitForURL(`${secured.url}/?q=cle`), page.click('button[type="submit"]')]);
      await page.waitForSelector('main[aria-busy="false"]');
      expect(await page.$$eval('#datasets tr[data-dataset]', (trs) => trs.map((tr) => tr.getAttribute('data-dataset')))).toEqual(['clean']);

      // The session ends (here: its cookie is gone) while the page is open: the next API call goes to the form.
      await ctx.clearCookies();
      allow401 = true;
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/login'),
        // A string, not a function: vitest would rewrite a dynamic import() inside a function.
        page.evaluate("import('/assets/common.js').then((m) => m.getJson('/api/datasets')).catch(() => null)"),
      ]);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/?q=cle');
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
