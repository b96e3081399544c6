// npm run bench:anomaly — precision, recall and F1 of vigil's anomaly method on generated,
// labelled series (scripts/anomaly-series.ts), per family and overall, next to a plain trailing
// z-score (28 points, |z| > 3) scored in the same run on the same points. Two seed sets: the
// ones the method was tuned on, and held-out ones it never was. Writes bench-results/anomaly.json.
// Options: --series N (per family and seed, default 12) --seeds 1,2,3 --heldout 101,102
// --family NAME (one family only) --misses (print every wrong call of vigil's method)
// --e2e (also run the daily count series through `vigil run --now` day by day: see
// scripts/anomaly-e2e.ts; --e2e-series N per family, default 2, seed 101).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { METHOD } from '../src/anomaly/method.js';
import { E2E_FAMILIES, runE2E, type E2eRow } from './anomaly-e2e.js';
import {
  FAMILIES,
  addCounts,
  emptyCounts,
  generate,
  prf,
  scoreSeries,
  vigilDetector,
  zScoreDetector,
  type Counts,
  type Family,
} from './anomaly-series.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (s: string | undefined, def: number[]) => (s === undefined ? def : s.split(',').filter((x) => x !== '').map(Number));
const SERIES = Number(opt('series') ?? 12);
/** Seeds the method's constants were chosen on. */
const TUNED = list(opt('seeds'), [1, 2, 3, 4, 5]);
/** Seeds looked at only to report: never tuned on. */
const HELDOUT = list(opt('heldout'), [101, 102, 103, 104, 105]);
const ONLY = opt('family') as Family | undefined;
const MISSES = args.includes('--misses');
const E2E = args.includes('--e2e');
const E2E_SERIES = Number(opt('e2e-series') ?? 2);
const E2E_SEED = 101;
const families = ONLY ? [ONLY] : [...FAMILIES];

interface Row {
  family: string;
  points: number;
  anomalies: number;
  vigil: Counts;
  zscore: Counts;
}

function run(seeds: number[]): Row[] {
  const rows: Row[] = [];
  for (const family of families) {
    const row: Row = { family, points: 0, anomalies: 0, vigil: emptyCounts(), zscore: emptyCounts() };
    for (const seed of seeds) {
      for (let i = 0; i < SERIES; i++) {
        const s = generate(family, seed, i);
        const v = scoreSeries(s, vigilDetector, MISSES ? (p, flagged) => {
          const day = new Date(p.at).toISOString().slice(0, 13);
          console.log(`  ${s.name} ${day} ${flagged ? 'FP' : 'FN'} ${p.incident ?? ''} value=${p.value.toFixed(1)}`);
        } : undefined);
        row.vigil = addCounts(row.vigil, v);
        row.zscore = addCounts(row.zscore, scoreSeries(s, zScoreDetector));
        row.points += v.tp + v.fp + v.fn + v.tn;
        row.anomalies += v.tp + v.fn;
      }
    }
    rows.push(row);
  }
  const all: Row = { family: 'overall', points: 0, anomalies: 0, vigil: emptyCounts(), zscore: emptyCounts() };
  for (const r of rows) {
    all.points += r.points;
    all.anomalies += r.anomalies;
    all.vigil = addCounts(all.vigil, r.vigil);
    all.zscore = addCounts(all.zscore, r.zscore);
  }
  return [...rows, all];
}

const f = (x: number) => x.toFixed(3);

function print(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log(
    ['family'.padEnd(14), 'points'.padStart(7), 'anom'.padStart(5), '│ vigil P', '    R', '   F1', '│ z-score P', '    R', '   F1'].join(' '),
  );
  for (const r of rows) {
    const v = prf(r.vigil);
    const z = prf(r.zscore);
    console.log(
      [
        r.family.padEnd(14),
        String(r.points).padStart(7),
        String(r.anomalies).padStart(5),
        '│  ',
        f(v.precision),
        f(v.recall),
        f(v.f1),
        '│    ',
        f(z.precision),
        f(z.recall),
        f(z.f1),
      ].join(' '),
    );
  }
}

const json = (rows: Row[]) =>
  rows.map((r) => ({ family: r.family, points: r.points, anomalies: r.anomalies, vigil: { ...r.vigil, ...prf(r.vigil) }, zscore: { ...r.zscore, ...prf(r.zscore) } }));

const t0 = performance.now();
const tuned = run(TUNED);
print(`${METHOD} vs trailing z-score — tuned seeds ${TUNED.join(',')}, ${SERIES} series per family and seed`, tuned);
const heldout = HELDOUT.length ? run(HELDOUT) : [];
if (heldout.length) print(`held-out seeds ${HELDOUT.join(',')} (never tuned on)`, heldout);
let e2e: E2eRow[] = [];
if (E2E) {
  const fams = E2E_FAMILIES.filter((f) => families.includes(f));
  console.log(`\nend to end: ${fams.length} families × ${E2E_SERIES} series of seed ${E2E_SEED} through vigil run --now, day by day`);
  e2e = runE2E(fams, E2E_SEED, E2E_SERIES, (line) => console.log(line));
  console.log(['family'.padEnd(14), 'points'.padStart(7), 'anom'.padStart(5), '│ vigil run P', '    R', '   F1', '│ same call as judge()'].join(' '));
  for (const r of e2e) {
    const v = prf(r.vigil);
    const pts = r.vigil.tp + r.vigil.fp + r.vigil.fn + r.vigil.tn;
    console.log([r.family.padEnd(14), String(pts).padStart(7), String(r.vigil.tp + r.vigil.fn).padStart(5), '│      ', f(v.precision), f(v.recall), f(v.f1), '│', `${r.agree} of ${r.judged}`].join(' '));
  }
}
const seconds = (performance.now() - t0) / 1000;
const judged = [...tuned, ...heldout].filter((r) => r.family === 'overall').reduce((a, r) => a + r.points, 0);
console.log(`\n${judged} points judged by both methods in ${seconds.toFixed(1)} s`);

mkdirSync('bench-results', { recursive: true });
const out = path.resolve('bench-results', 'anomaly.json');
writeFileSync(
  out,
  JSON.stringify({ method: METHOD, seriesPerFamily: SERIES, tunedSeeds: TUNED, heldoutSeeds: HELDOUT, tuned: json(tuned), heldout: json(heldout), e2e: e2e.map((r) => ({ ...r, ...prf(r.vigil) })), seconds }, null, 2) + '\n',
);
console.log(`written to ${path.relative(process.cwd(), out)}`);
