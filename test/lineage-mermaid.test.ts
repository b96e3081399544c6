/// <reference lib="dom" />
// `vigil lineage --format mermaid` rendered by Mermaid itself (the npm package,
// loaded from node_modules into headless Chromium, no network): it must parse,
// draw exactly one box per dataset or source — no stray node — and give each
// the colours of its status, external sources drawn as such.

import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { LineageResponse } from '../src/server/api-types.js';
import { launchChromium } from './chromium.js';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';

const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
  await page.route('**/*', (route) => route.abort()); // nothing may come from the network
  await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: MERMAID });
  await page.evaluate(() => (globalThis as unknown as { mermaid: { initialize(o: object): void } }).mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  cleanupProjects();
});

interface Drawn { error: string | null; nodes: Array<{ text: string; fill: string; stroke: string; dash: string; classes: string }> }

/** Renders the diagram into the page and reads back every node Mermaid drew. */
async function render(text: string): Promise<Drawn> {
  return page.evaluate(async (source) => {
    const m = (globalThis as unknown as { mermaid: { render(id: string, s: string): Promise<{ svg: string }> } }).mermaid;
    const out = document.getElementById('out') as HTMLElement;
    // A label's lines (split by <br/>) as words separated by one space.
    const texts = (root: Element) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const parts: string[] = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) parts.push(n.textContent ?? '');
      return parts.join(' ').replace(/\s+/g, ' ').trim();
    };
    try {
      const { svg } = await m.render(`g${Math.random().toString(36).slice(2)}`, source);
      out.innerHTML = svg;
    } catch (e) {
      return { error: String((e as Error).message ?? e), nodes: [] };
    }
    return {
      error: null,
      nodes: [...out.querySelectorAll('g.node')].map((g) => {
        const shape = g.querySelector('rect, path, polygon') as SVGElement | null;
        const style = shape ? getComputedStyle(shape) : null;
        return {
          text: texts(g),
          fill: style?.fill ?? '', stroke: style?.stroke ?? '', dash: style?.strokeDasharray ?? '',
          classes: g.getAttribute('class') ?? '',
        };
      }),
    };
  }, text);
}

async function project(): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': 'schedule: "0 0 1 1 *"\n',
    'checks/raw.yaml': 'dataset: raw\nsource: ../data/raw.csv\nupstream: [{ name: stripe.charges, external: true, description: Stripe API export }]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
    'checks/clean.yaml': 'dataset: clean\nsource: ../data/raw.csv\nupstream: [raw, vendor_feed, stripe.charges]\nchecks:\n  - row_count: { fail: { min: 100 } }\n',
    'checks/report.yaml': 'dataset: report-daily\nsource: ../data/raw.csv\nupstream: [clean]\nchecks:\n  - row_count: { warn: { min: 10 }, fail: { min: 1 } }\n',
    'checks/audit.yaml': 'dataset: audit\nsource: ../data/raw.csv\nupstream: [clean]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/raw.csv', 'select range as id from range(5)');
  return dir;
}

describe('vigil lineage --format mermaid, rendered by Mermaid', () => {
  it('draws one node per dataset and source, coloured by status, external sources dashed', async () => {
    const dir = await project();
    expect((await vigil(['run', 'raw', 'clean', 'report-daily'], { cwd: dir })).code).toBe(1); // clean needs 100 rows
    const graph = JSON.parse((await vigil(['lineage', '--format', 'json'], { cwd: dir })).stdout) as LineageResponse;
    const res = await vigil(['lineage', '--format', 'mermaid'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toMatch(/^\s*style /m);

    const drawn = await render(res.stdout);
    expect(drawn.error).toBeNull();
    // Every node of the graph once, and nothing else (a `style a,b` line drew a stray "a,b" box).
    expect(drawn.nodes).toHaveLength(graph.nodes.length);
    const byName = (name: string) => {
      const hits = drawn.nodes.filter((n) => n.text.split(' ')[0] === name);
      expect(hits, `${name} in ${JSON.stringify(drawn.nodes.map((n) => n.text))}`).toHaveLength(1);
      return hits[0]!;
    };
    expect(byName('clean').text).toBe('clean fail');
    expect(byName('raw').text).toBe('raw pass');
    expect(byName('report-daily').text).toBe('report-daily warn');
    expect(byName('audit').text).toBe('audit unknown');
    expect(byName('stripe.charges').text).toBe('stripe.charges external source');
    expect(byName('vendor_feed').text).toBe('vendor_feed not in this project');

    // The colours of each status's classDef reach the drawn shape.
    expect(byName('clean').fill).toBe('rgb(254, 226, 226)');
    expect(byName('clean').stroke).toBe('rgb(220, 38, 38)');
    expect(byName('raw').fill).toBe('rgb(220, 252, 231)');
    expect(byName('report-daily').fill).toBe('rgb(254, 243, 199)');
    expect(byName('audit').fill).toBe('rgb(243, 244, 246)');
    for (const n of ['raw', 'clean', 'report-daily', 'audit']) expect(byName(n).dash, n).toMatch(/^(none|)$/);
    expect(byName('stripe.charges').dash).toMatch(/^5(px)?,? 5(px)?$/);
    expect(byName('vendor_feed').dash).toMatch(/^2(px)?,? 4(px)?$/);
  });

  it('names with characters Mermaid reads as syntax still render as their text', async () => {
    const graph: LineageResponse = {
      nodes: [
        { name: 'a"b<c>&#d', external: true, kind: 'undeclared', status: 'unknown', owner: null, description: null, at_risk: ['x'] },
        { name: 'x', external: false, kind: 'dataset', status: 'pass', owner: null, description: null, at_risk: [] },
      ],
      edges: [{ from: 'a"b<c>&#d', to: 'x' }],
    };
    const { mermaid } = await import('../src/cli/lineage.js');
    const drawn = await render(mermaid(graph));
    expect(drawn.error).toBeNull();
    expect(drawn.nodes.map((n) => n.text).sort()).toEqual(['a"b<c>&#d not in this project', 'x pass']);
  });
});
