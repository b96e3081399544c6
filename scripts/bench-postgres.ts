// `npm run bench:postgres`: `vigil run` pushing the bench's checks down into a
// real PostgreSQL (started here, as the tests start theirs) against the best
// hand-written SQL sent with `pg` in one process (scripts/bench-postgres-baseline.ts).
// Whole processes, interleaved rounds, medians; the ratio vigil / fastest baseline
// is what counts (target ≤ 1.10), with the load average printed next to it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { cleanupScratch, defaultRssMode, median, runNode, type ProcessRun } from './bench-measure.js';
import { startPostgres } from './pg-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VIGIL_MAIN = path.join(ROOT, 'dist', 'bundle', 'main.js');
const BASELINE = fileURLToPath(new URL('./bench-postgres-baseline.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./bench-rss.js', import.meta.url));
const TARGET = 1.1;
const TABLE = 'public.events';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
});
const rows = args.quick ? 200_000 : Number(args.rows);
const runs = args.quick ? 2 : Number(args.runs);
const warmup = Number(args.warmup);

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The bench's shape (scripts/bench-shape.ts) in PostgreSQL: a scattered id with planted repeats, a few % NULLs. */
function generator(n: number): string {
  const dupEvery = n >= 1_000_000 ? 9973 : 997;
  const nullable = (pct: number, salt: number, expr: string) => `CASE WHEN (i * ${salt}) % 100 < ${pct} THEN NULL ELSE ${expr} END`;
  return `INSERT INTO ${TABLE}
SELECT (CASE WHEN i > 0 AND i % ${dupEvery} = 0 THEN i - 1 ELSE i END) * 2654435761 % 4294967296 AS id,
  TIMESTAMP '2026-01-01 00:00:00' - make_interval(secs => (i * 7919) % 2592000) AS updated_at,
  ${nullable(3, 104729, '(i * 31337) % 500000')} AS customer_id,
  ${nullable(2, 1299709, "'user' || ((i * 31337) % 500000) || '@example.com'")} AS email,
  ${nullable(1, 15485863, '((i * 48271) % 10000000) / 100.0')}::numeric(18,2) AS amount,
  (ARRAY['new', 'paid', 'shipped', 'cancelled', 'refunded'])[1 + i % 5] AS status,
  ${nullable(4, 32452843, "(ARRAY['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA'])[1 + (i * 7) % 8]")} AS country,
  ${nullable(5, 49979687, '((i * 69621) % 100000) / 1000.0')}::double precision AS score
FROM generate_series(0::bigint, ${n - 1}) AS t(i)`;
}

function checkFile(): unknown {
  return {
    dataset: 'events',
    description: 'PostgreSQL benchmark table (scripts/bench-postgres.ts)',
    source: { connection: 'wh', table: TABLE },
    checks: [
      { freshness: { column: 'updated_at', warn_after: '1d', fail_after: '3650d' } },
      { row_count: { fail: { min: 1 } } },
      { nulls: { columns: ['customer_id', 'email', 'amount', 'country', 'score'], fail: '50%' } },
      { duplicates: { keys: ['id'], fail: '1%' } },
      { schema: { columns: { id: 'BIGINT', updated_at: 'TIMESTAMP', customer_id: 'BIGINT', email: 'TEXT', amount: 'NUMERIC(18,2)', status: 'TEXT', country: 'TEXT', score: 'DOUBLE' } } },
    ],
  };
}

interface Subject {
  label: string;
  args: string[];
  accept(run: ProcessRun): number;
}

async function main(): Promise<void> {
  const server = await startPostgres({ settings: { shared_buffers: "'256MB'" } });
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-pg-'));
  try {
    log(`bench:postgres: ${rows.toLocaleString('en-US')} rows into ${TABLE} …`);
    const t0 = Date.now();
    await server.sql(`CREATE TABLE ${TABLE} (id bigint, updated_at timestamp, customer_id bigint, email text, amount numeric(18,2), status text, country text, score double precision)`);
    await server.sql(generator(rows));
    await server.sql(`VACUUM ANALYZE ${TABLE}`);
    log(`  loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    mkdirSync(path.join(dir, 'checks'), { recursive: true });
    writeFileSync(path.join(dir, 'vigil.yaml'), YAML.stringify({ checks: 'checks', store: '.vigil/vigil.duckdb', connections: { wh: { type: 'postgres', url: '${BENCH_PG_URL}' } } }));
    writeFileSync(path.join(dir, 'checks', 'events.yaml'), YAML.stringify(checkFile()));

    const env = { BENCH_PG_URL: server.url };
    const runOpts = { cwd: ROOT, rssMode: defaultRssMode(), preloadPath: PRELOAD, timeoutMs: 1_800_000, env };
    const rowCountOf = (run: ProcessRun, read: (out: unknown) => unknown): number => {
      if (run.code !== 0 && run.code !== 1) throw new Error(`exit ${run.code}: ${run.stderr.slice(0, 500)}`);
      return Number(read(JSON.parse(run.stdout)));
    };
    const subjects: Subject[] = [
      {
        label: 'vigil run',
        args: [VIGIL_MAIN, 'run', '--config', path.join(dir, 'vigil.yaml'), '--no-alerts', '--json'],
        accept: (run) => rowCountOf(run, (o) => (o as { results: Array<{ check: string; value: number; status: string; message: string }> }).results
          .map((r) => { if (r.status === 'error') throw new Error(`${r.check}: ${r.message}`); return r; })
          .find((r) => r.check === 'events.row_count')?.value),
      },
      ...(['combined', 'separate'] as const).map((s) => ({
        label: `pg ${s}`,
        args: [BASELINE, s, TABLE],
        accept: (run: ProcessRun) => rowCountOf(run, (o) => (o as { row_count: unknown }).row_count),
      })),
    ];
    const times = new Map<string, number[]>(subjects.map((s) => [s.label, []]));
    const once = async (s: Subject, record: boolean) => {
      const run = await runNode(s.args, runOpts);
      const n = s.accept(run);
      if (n !== rows) throw new Error(`${s.label} counted ${n} rows, not ${rows}`);
      if (record) times.get(s.label)?.push(run.wallMs);
      return run.wallMs;
    };
    for (let w = 0; w < warmup; w++) for (const s of subjects) log(`  warm-up ${s.label}: ${(await once(s, false)).toFixed(0)} ms`);
    for (let r = 0; r < runs; r++) {
      const parts: string[] = [];
      for (let i = 0; i < subjects.length; i++) {
        const s = subjects[(i + r) % subjects.length] as Subject;
        parts.push(`${s.label} ${(await once(s, true)).toFixed(0)} ms`);
      }
      log(`  round ${r + 1}: ${parts.join(', ')}`);
    }
    const medians = new Map([...times].map(([k, v]) => [k, median(v)]));
    const vigil = medians.get('vigil run') as number;
    const best = Math.min(...[...medians].filter(([k]) => k !== 'vigil run').map(([, v]) => v));
    const ratio = vigil / best;
    const summary = {
      rows, runs, load_average: loadavg().map((x) => Number(x.toFixed(2))),
      median_ms: Object.fromEntries([...medians].map(([k, v]) => [k, Math.round(v)])),
      vigil_over_best: Number(ratio.toFixed(3)), target: TARGET,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    log(`vigil run / best hand-written pg: ${ratio.toFixed(2)} (target ≤ ${TARGET}) · load ${summary.load_average.join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cleanupScratch();
    await server.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:postgres: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
