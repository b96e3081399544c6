// `vigil lineage` (the real bin/vigil in a temp project): text, mermaid and
// json with each dataset's current status, before any run, after a run, while
// a daemon holds the store, and exit 3 on an invalid configuration.

import { afterAll, describe, expect, it } from 'vitest';
import type { LineageResponse } from '../src/server/api-types.js';
import { cleanupProjects, makeProject, vigil, writeData, writeFile } from './helpers.js';
import { killAllDaemons, startServe, stopServe, waitFor } from './serve-helpers.js';

afterAll(async () => {
  await killAllDaemons();
  cleanupProjects();
});

async function project(): Promise<string> {
  const dir = makeProject({
    'vigil.yaml': 'schedule: "0 0 1 1 *"\ndashboard: { port: 0 }\n',
    'checks/raw.yaml': 'dataset: raw\nowner: ingest\nsource: ../data/raw.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
    'checks/clean.yaml': 'dataset: clean\nsource: ../data/raw.csv\nupstream: [raw, vendor_feed, { name: crm.accounts, external: true }]\nchecks:\n  - row_count: { fail: { min: 100 } }\n',
    'checks/report.yaml': 'dataset: report.daily\nsource: ../data/raw.csv\nupstream: [clean]\nchecks:\n  - row_count: { fail: { min: 1 } }\n',
  });
  await writeData(dir, 'data/raw.csv', 'select range as id from range(5)');
  return dir;
}

describe('vigil lineage', () => {
  it('before any run: every dataset unknown; json has the shape of GET /api/lineage', async () => {
    const dir = await project();
    const res = await vigil(['lineage', '--format', 'json'], { cwd: dir });
    expect(res.code).toBe(0);
    const g = JSON.parse(res.stdout) as LineageResponse;
    expect(g.nodes.map((n) => [n.name, n.status, n.external, n.kind])).toEqual([
      ['clean', 'unknown', false, 'dataset'], ['raw', 'unknown', false, 'dataset'], ['report.daily', 'unknown', false, 'dataset'],
      ['crm.accounts', 'unknown', true, 'external'], ['vendor_feed', 'unknown', true, 'undeclared'],
    ]);
    expect(g.nodes.find((n) => n.name === 'raw')?.at_risk).toEqual(['clean', 'report.daily']);
    expect(g.edges).toEqual(expect.arrayContaining([{ from: 'raw', to: 'clean' }, { from: 'vendor_feed', to: 'clean' }, { from: 'clean', to: 'report.daily' }]));
  });

  it('after a run: statuses from the store in every format; text lists what a failure puts at risk', async () => {
    const dir = await project();
    expect((await vigil(['run'], { cwd: dir })).code).toBe(1); // clean needs 100 rows
    const json = JSON.parse((await vigil(['lineage', '--format', 'json'], { cwd: dir })).stdout) as LineageResponse;
    expect(Object.fromEntries(json.nodes.map((n) => [n.name, n.status]))).toEqual({ raw: 'pass', clean: 'fail', 'report.daily': 'pass', vendor_feed: 'unknown', 'crm.accounts': 'unknown' });

    const text = await vigil(['lineage'], { cwd: dir });
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^DATASET\s+STATUS\s+OWNER\s+UPSTREAM\s+DOWNSTREAM$/);
    // sources first
    expect(lines.findIndex((l) => l.startsWith('raw '))).toBeLessThan(lines.findIndex((l) => l.startsWith('clean ')));
    expect(lines.find((l) => l.startsWith('clean '))).toMatch(/^clean\s+FAIL\s+—\s+crm\.accounts, raw, vendor_feed\s+report\.daily$/);
    expect(lines.find((l) => l.startsWith('crm.accounts '))).toMatch(/^crm\.accounts \(external source\)\s+—\s+—\s+—\s+clean$/);
    expect(lines.find((l) => l.startsWith('vendor_feed '))).toMatch(/^vendor_feed \(not in this project\)\s+—/);
    expect(lines.find((l) => l.startsWith('raw '))).toMatch(/^raw\s+PASS\s+ingest\s+—\s+clean$/);
    expect(text.stdout).toMatch(/clean is fail: at risk downstream: report\.daily/);

    const mm = await vigil(['lineage', '--format', 'mermaid'], { cwd: dir });
    expect(mm.code).toBe(0);
    const m = mm.stdout;
    expect(m.split('\n')[0]).toBe('graph LR');
    const idOf = (name: string) => new RegExp(`^\\s+(n\\d+)\\[\\(?"${name.replace('.', '\\.')}`, 'm').exec(m)?.[1];
    expect(m).toMatch(new RegExp(`${idOf('clean')}\\["clean<br/>fail"\\]`));
    expect(m).toMatch(new RegExp(`^\\s+class (n\\d+,)*${idOf('clean')}(,n\\d+)* fail$`, 'm'));
    expect(m).toContain(`${idOf('raw')} --> ${idOf('clean')}`);
    expect(m).toContain(`${idOf('clean')} --> ${idOf('report.daily')}`);
    expect(m).toMatch(/classDef fail fill:/);
    expect(m).toMatch(new RegExp(`${idOf('crm.accounts')}\\[\\("crm\\.accounts<br/>external source"\\)\\]`));
    expect(m).toMatch(new RegExp(`^\\s+class ${idOf('crm.accounts')} external$`, 'm'));
    expect(m).toMatch(/classDef external [^\n]*stroke-dasharray/);
    expect(m).not.toMatch(/^\s*style /m); // `style a,b` names one node "a,b" in Mermaid; the rendering test draws it
  });

  it('exit 3 with the validation messages on an invalid configuration (a cycle); usage errors exit 3', async () => {
    const dir = await project();
    writeFile(dir, 'checks/raw.yaml', 'dataset: raw\nsource: ../data/raw.csv\nupstream: [report.daily]\nchecks:\n  - row_count: { fail: { min: 1 } }\n');
    const res = await vigil(['lineage'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/raw\.yaml:\d+:\d+: .*cycle/i);
    const json = await vigil(['lineage', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    expect((await vigil(['lineage', '--format', 'svg'], { cwd: await project() })).code).toBe(3);
  });

  it('while vigil serve holds the store: read through the daemon, no lock error', async () => {
    const dir = await project();
    const d = await startServe(dir);
    try {
      // the daemon catches up every dataset at start
      await waitFor('the catch-up run to be recorded', async () => {
        const g = JSON.parse((await vigil(['lineage', '--format', 'json'], { cwd: dir })).stdout) as LineageResponse;
        return g.nodes.find((n) => n.name === 'clean')?.status === 'fail';
      }, { daemon: d, timeoutMs: 30_000 });
      const text = await vigil(['lineage'], { cwd: dir });
      expect(text.code).toBe(0);
      expect(`${text.stdout}${text.stderr}`).not.toMatch(/lock|in use/i);
      expect(text.stdout).toMatch(/^clean\s+FAIL/m);
    } finally {
      await stopServe(d);
    }
  });
});
