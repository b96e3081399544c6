// Second half of `npm run build`: bundles the tsc output of the CLI (dist/src/cli/main.js)
// with esbuild into dist/bundle/, which is what bin/vigil runs.
//
// Why: start-up. Run from the tsc output, `vigil run` loads ~440 module files (DuckDB's API,
// zod, yaml, pino, commander, our own), and loading them is a good part of a small run's
// wall time. Bundled it loads ~20, and a small run takes ~0.38 s instead of ~0.52 s.
//
// Code splitting keeps what main.ts and alerts/channels/index.ts import lazily (one chunk
// per command; nodemailer, @slack/webhook, express…) in chunks of their own, loaded only
// when used. dist/bundle/meta.json is esbuild's metafile: which inputs went into which chunk.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** dist/scripts/bundle.js → <repo> */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = path.join(ROOT, 'dist', 'bundle');

// Chunk names carry a content hash: clear out the previous build's chunks.
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// A new id per build: config/cache.ts keeps a project only for the build that loaded it.
const BUILD_ID = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

const result = await build({
  absWorkingDir: ROOT, // the metafile's paths are relative to this
  // The loader's worker (vigil serve reloads its files off the main thread) sits beside the chunks.
  entryPoints: { main: 'dist/src/cli/main.js', 'load-worker': 'dist/src/config/load-worker.js' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Chained to tsc's source maps, so `node --enable-source-maps` shows src/*.ts lines.
  sourcemap: 'linked',
  metafile: true,
  define: { __VIGIL_BUILD__: JSON.stringify(BUILD_ID) },
  logLevel: 'warning',
  // The native DuckDB binding is a .node file picked per platform at run time by
  // @duckdb/node-bindings: it stays a package that is required from node_modules.
  external: ['@duckdb/node-bindings', '@duckdb/node-bindings-*'],
  // Bundled CommonJS packages (pino, commander, DuckDB's API…) call require() for Node's
  // built-ins and the binding; an ES module has no require, so every chunk gets one.
  // (Hence no module of ours may declare a top-level `require` itself.)
  banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
});

writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify(result.metafile));
