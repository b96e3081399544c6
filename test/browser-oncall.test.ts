/// <reference lib="dom" />
// On call from the page, in real headless Chromium against a real `vigil serve`
// with dashboard.token (so the forms go through the login session and its CSRF
// rule): acknowledge an incident, silence a dataset, see the silence on the
// incident and as a banner on the dataset page, expire it — and a reason that
// carries an XSS payload stays text everywhere it is shown.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { cleanupProjects, makeProject, vigil } from './helpers.js';
import { api, killAllDaemons, startServe, stopServe, waitFor, type Daemon } from './serve-helpers.js';

const TOKEN = 'oncall-browser-token-1234';
const XSS = '<img src=x onerror=alert(1)>';

let browser: Browser;
let context: BrowserContext;
let d: Daemon;
let page: Page;
const problems: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  const dir = makeProject({
    'vigil.yaml': `checks: checks\ndashboard: { port: 0, token: ${TOKEN} }\n`,
    'data/orders.csv': 'id\n',
    'data/items.csv': 'id\n',
    'checks/orders.yaml': 'dataset: orders\nsource: ../data/orders.csv\nrunbook: ../runbooks/orders.md\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
    'runbooks/orders.md': `# Orders\n\nReload the extract.\n\n<script>alert('runbook')</script>\n\n${XSS}\n\n[run me](javascript:alert('link'))\n`,
    'checks/items.yaml': `dataset: items\nsource: ../data/items.csv\nowner: "${XSS}"\nchecks:\n  - row_count: { fail: { min: 1 } }\n`,
    'alerts/alerts.yaml': 'channels:\n  - { name: log, type: file, path: ../sent.log }\nroutes:\n  - channels: [log]\n',
  });
  const [launched, run] = await Promise.all([launchChromium(), vigil(['run'], { cwd: dir })]);
  expect(run.code, run.stderr).toBe(1);
  browser = launched;
  d = await startServe(dir);
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  page = await context.newPage();
  page.on('console', (m) => {
    // The sign-in page names no icon, so Chromium asks for /favicon.ico, which needs a session too.
    if (m.type() === 'error' && !(/status of 401/.test(m.text()) && /favicon\.ico$/.test(m.location().url))) problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.dismiss(); });
  await page.goto(`${d.url}/incidents`);
  await page.fill('#token', TOKEN);
  await Promise.all([page.waitForURL(`${d.url}/incidents`), page.click('button[type="submit"]')]);
  await page.waitForSelector('main[aria-busy="false"]');
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (d) await stopServe(d).catch(() => undefined);
  await killAllDaemons();
  cleanupProjects();
});

const row = (check: string) => `#incidents tr[data-check="${check}"]`;

describe('on call from the incidents page', () => {
  it('Acknowledge: the row says who took it and why, the API agrees, and the reason stays text', async () => {
    await page.fill('#f-by', 'alice');
    const orders = page.locator(row('orders.row_count'));
    await orders.locator('form.ack-form input[name="reason"]').fill(`on it ${XSS}`);
    await orders.locator('form.ack-form button').click();
    await page.waitForSelector('#action-status.text-pass');
    expect(await page.innerText('#action-status')).toMatch(/Acknowledged orders\.row_count as alice/);
    await waitFor('the row to show the acknowledgement', async () => (await page.locator(row('orders.row_count')).getAttribute('data-acknowledged')) === 'true');
    const cell = await page.locator(row('orders.row_count')).locator('td.oncall').innerText();
    expect(cell).toContain('by alice');
    expect(cell).toContain(`on it ${XSS}`);
    expect(await page.locator(row('orders.row_count')).locator('td.oncall img').count()).toBe(0);
    const body = (await api<{ incidents: Array<{ check: string; acknowledged: { by: string; reason: string } | null }> }>(d, '/api/incidents?state=open', { auth: TOKEN })).body;
    expect(body.incidents.find((i) => i.check === 'orders.row_count')?.acknowledged).toMatchObject({ by: 'alice', reason: `on it ${XSS}` });
  });

  it('Silence…: the dataset is muted, the incident and the silences list say so, the dataset page shows a banner; Expire ends it', async () => {
    const items = page.locator(row('items.row_count'));
    await items.locator('details.silence-form summary').click();
    await items.locator('select[name="selector"]').selectOption('dataset:items');
    await items.locator('select[name="for"]').selectOption('4h');
    await items.locator('.silence-form input[name="reason"]').fill(`vendor late ${XSS}`);
    await items.locator('.silence-form button').click();
    await waitFor('the silence on the incident', async () => (await page.locator(row('items.row_count')).getAttribute('data-silenced')) === 'true');
    expect(await page.locator(row('items.row_count')).innerText()).toContain(`vendor late ${XSS}`);
    const listed = page.locator('#silences tr[data-state="active"]');
    expect(await listed.count()).toBe(1);
    expect(await listed.innerText()).toContain('items');
    expect(await listed.innerText()).toContain('alice');

    const silences = (await api<{ silences: Array<{ id: string; selector: string; created_by: string; ends_at: string }> }>(d, '/api/silences', { auth: TOKEN })).body.silences;
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ selector: 'items', created_by: 'alice' });
    expect(Date.parse(silences[0]!.ends_at) - Date.now()).toBeGreaterThan(3.9 * 3600_000);

    const ds = await context.newPage();
    await ds.goto(`${d.url}/datasets/items`);
    await ds.waitForSelector('main[aria-busy="false"]');
    expect(await ds.innerText('#silenced-banner')).toContain(`vendor late ${XSS}`);
    expect(await ds.locator('#silenced-banner img').count()).toBe(0);
    await ds.goto(`${d.url}/datasets/orders`);
    await ds.waitForSelector('main[aria-busy="false"]');
    expect(await ds.locator('#silenced-banner').count()).toBe(0);
    await ds.close();

    await page.locator('#silences tr[data-state="active"] form[data-action="expire"] button').click();
    await waitFor('the silence to be expired', async () => (await page.locator('#silences tr[data-state="expired"]').count()) === 1);
    expect(await page.locator('#silences tr[data-state="expired"]').innerText()).toContain('by alice');
    await waitFor('the incident no longer silenced', async () => (await page.locator(row('items.row_count')).getAttribute('data-silenced')) === null);
  });

  it('an incident\'s own page (the link its alerts carry) shows it with its history, runbook and actions', async () => {
    const id = await page.locator(row('orders.row_count')).getAttribute('data-incident');
    const one = await context.newPage();
    await one.goto(`${d.url}/incidents/${id}`);
    await one.waitForSelector('main[aria-busy="false"]');
    expect(await one.locator('#incidents tr[data-incident]').count()).toBe(1);
    expect(await one.innerText('#open-count')).toContain('orders.row_count');
    expect(await one.locator('#history li').count()).toBeGreaterThanOrEqual(2); // opened, acknowledged
    expect(await one.innerText('#history')).toContain('acknowledged');
    // Its runbook link leads to the rendered local runbook, where the script in the file is text and runs nothing.
    await Promise.all([one.waitForURL(/\/datasets\/orders\/runbook/), one.locator('#open-count a.runbook-link').click()]);
    expect(await one.innerText('#runbook h1')).toBe('Orders');
    expect(await one.innerText('#runbook')).toContain("<script>alert('runbook')</script>");
    expect(await one.innerText('#runbook')).toContain(XSS);
    expect(await one.locator('#runbook script, #runbook img, #runbook a[href^="javascript"]').count()).toBe(0);
    await one.close();
  });

  it('nothing ran, alerted or logged an error in the page along the way', () => {
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });
});
