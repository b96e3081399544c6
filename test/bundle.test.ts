// bin/vigil runs the esbuild bundle (dist/bundle/, built by `npm run build`), and
// a command loads only the chunks it needs: libraries used by other commands or
// by alert channels that do not send (express, nodemailer, @slack/webhook…)
// stay unloaded. Every ES module the process loads is recorded by a loader hook
// and looked up in the bundle's metafile (which packages went into which chunk).

import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, REPO, vigil } from './helpers.js';

afterAll(cleanupProjects);

// Records the URL of every file the ES module loader loads, one per line.
const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(log, url + '\\n');
  return nextLoad(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { log: process.env.VIGIL_TEST_LOAD_LOG } });
`;

interface Meta { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }> }

/** Every output file of the bundle (path relative to the repo) → the npm packages bundled into it. */
function chunkPackages(): Map<string, Set<string>> {
  const meta = JSON.parse(readFileSync(path.join(REPO, 'dist/bundle/meta.json'), 'utf8')) as Meta;
  const out = new Map<string, Set<string>>();
  for (const [file, o] of Object.entries(meta.outputs)) {
    if (!file.endsWith('.js')) continue;
    const pkgs = Object.keys(o.inputs).map((i) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(i)?.[1]).filter((p): p is string => !!p);
    out.set(file, new Set(pkgs));
  }
  return out;
}

let calls = 0;
let hooksDir: string;
let project: string;
beforeAll(async () => {
  hooksDir = makeProject({ 'hooks.mjs': HOOKS, 'register.mjs': REGISTER });
  project = makeProject();
  expect((await vigil(['init', '.'], { cwd: project })).code).toBe(0);
  // Files saved a moment ago are not cached (they may have changed while loading): age them.
  const past = new Date(Date.now() - 60_000);
  for (const rel of ['vigil.yaml', 'checks', 'checks/example.yaml', 'alerts', 'alerts/alerts.yaml']) utimesSync(path.join(project, rel), past, past);
});

/** Runs bin/vigil with the hook; the files it loaded, relative to the repo (bin/vigil, dist/bundle/…). */
async function loadedFiles(args: string[]): Promise<string[]> {
  const log = path.join(hooksDir, `loads-${++calls}.txt`);
  const res = await vigil(args, {
    cwd: project,
    env: { NODE_OPTIONS: `--import=${pathToFileURL(path.join(hooksDir, 'register.mjs')).href}`, VIGIL_TEST_LOAD_LOG: log },
  });
  expect(res.code, res.stderr).toBe(0);
  return readFileSync(log, 'utf8').trim().split('\n')
    .map((url) => path.relative(REPO, new URL(url).pathname))
    .filter((f) => !f.startsWith('..')); // the hook's own files
}

describe('the built CLI', () => {
  it('bin/vigil loads the bundle (not the tsc output, not packages one module at a time); --version loads neither DuckDB nor the config libraries', async () => {
    const files = await loadedFiles(['--version']);
    expect(files[0]).toBe('bin/vigil');
    expect(files).toContain('dist/bundle/main.js');
    for (const f of files.slice(1)) expect(f).toMatch(/^dist\/bundle\/[^/]+\.js$/);
    const chunks = chunkPackages();
    const packages = new Set(files.flatMap((f) => [...(chunks.get(f) ?? [])]));
    for (const p of ['@duckdb/node-api', 'zod', 'yaml', 'pino']) expect(packages).not.toContain(p);
  });

  it('run loads its own chunks only: no server, no alert channel libraries', async () => {
    const chunks = chunkPackages();
    const files = await loadedFiles(['run', '--no-alerts', '--json']);
    for (const f of files.slice(1)) expect(chunks.has(f), `${f} is not in the bundle's metafile`).toBe(true);
    const packages = new Set(files.flatMap((f) => [...(chunks.get(f) ?? [])]));
    for (const p of ['@duckdb/node-api', 'zod', 'yaml', 'pino']) expect(packages).toContain(p);
    for (const p of ['express', 'prom-client', 'chokidar', 'nodemailer', '@slack/webhook']) expect(packages).not.toContain(p);
  });

  it('a second run of unchanged files reads the project back: zod and yaml stay unloaded, the results are the same', async () => {
    const chunks = chunkPackages();
    const args = ['run', '--no-alerts', '--json', '--now', '2026-11-01T00:00:00Z'];
    const first = await vigil(args, { cwd: project });
    const files = await loadedFiles(args);
    const packages = new Set(files.flatMap((f) => [...(chunks.get(f) ?? [])]));
    expect(packages).toContain('@duckdb/node-api');
    for (const p of ['zod', 'yaml']) expect(packages).not.toContain(p);
    const again = await vigil(args, { cwd: project });
    const strip = (out: string) => (JSON.parse(out) as { results: Array<Record<string, unknown>> }).results.map(({ check, status, value, message }) => ({ check, status, value, message }));
    expect(strip(again.stdout)).toEqual(strip(first.stdout));
  });
});
