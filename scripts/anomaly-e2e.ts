// npm run bench:anomaly -- --e2e: the benchmark's daily count series run through the real
// command, `vigil run --now DAY --json`, day by day, in a project with one dataset per series
// and a `row_count` check with `anomaly:` learning from its own history. Scores what the runs
// said (warn = anomalous) like the direct benchmark, and how often they agree with judge().

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyCounts, generate, scoreSeries, vigilDetector, type Counts, type Family, type Series } from './anomaly-series.js';

const DAY = 86_400_000;
/** Runs happen at 06:00 UTC of each day (the series' points are at 00:00). */
const RUN_OFFSET = 6 * 3_600_000;
const VIGIL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vigil');

/** Families whose points are one count a day, as a history of daily runs gives them. */
export const E2E_FAMILIES: readonly Family[] = ['flat', 'trending', 'weekly', 'level_shift', 'past_incident', 'small_counts', 'cold_start'];

export interface E2eRow {
  family: Family;
  vigil: Counts;
  /** points where the run's status and judge() called the same */
  agree: number;
  judged: number;
}

function checkFile(name: string, s: Series): string {
  const weeks = Math.round(s.trainingMs / (7 * DAY));
  const training = s.opts.seasonality === 'day_of_week' ? `${weeks}w` : `${Math.round(s.trainingMs / DAY)}d`;
  return [
    `dataset: ${name}`,
    `source: ../data/${name}.csv`,
    'checks:',
    '  - row_count:',
    `      anomaly: { training: ${training}, seasonality: ${s.opts.seasonality}, min_points: ${s.opts.minPoints}, sensitivity: ${s.opts.sensitivity} }`,
    '',
  ].join('\n');
}

/** A CSV of `n` rows. */
function rows(n: number): string {
  return 'id\n' + '1\n'.repeat(n);
}

export function runE2E(families: readonly Family[], seed: number, perFamily: number, log: (line: string) => void): E2eRow[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-anomaly-e2e-'));
  try {
    mkdirSync(path.join(dir, 'checks'));
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'vigil.yaml'), 'checks: checks\nstore: store.duckdb\ntimezone: UTC\n');
    const all: { name: string; s: Series }[] = [];
    for (const family of families) {
      for (let i = 0; i < perFamily; i++) {
        const s = generate(family, seed, i);
        const name = `${family}_${i}`;
        all.push({ name, s });
        writeFileSync(path.join(dir, 'checks', `${name}.yaml`), checkFile(name, s));
      }
    }
    const days = Math.max(...all.map(({ s }) => s.points.length));
    const flagged = new Map<string, Map<number, boolean>>(all.map(({ name }) => [name, new Map()]));
    for (let d = 0; d < days; d++) {
      let at = 0;
      for (const { name, s } of all) {
        const p = s.points[d];
        if (!p) continue;
        at = p.at;
        writeFileSync(path.join(dir, 'data', `${name}.csv`), rows(p.value));
      }
      const now = new Date(at + RUN_OFFSET).toISOString();
      const r = spawnSync(process.execPath, [VIGIL, 'run', '--now', now, '--json', '--no-alerts'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0 && r.status !== 1) throw new Error(`vigil run --now ${now} exited ${r.status}: ${r.stderr}`);
      const run = JSON.parse(r.stdout) as { results: { check: string; status: string }[] };
      for (const res of run.results) {
        const name = res.check.replace(/\.row_count$/, '');
        flagged.get(name)?.set(d, res.status === 'warn');
      }
      if (d % 20 === 0) log(`  e2e: day ${d + 1} of ${days}`);
    }
    const out = new Map<Family, E2eRow>();
    for (const { name, s } of all) {
      const row = out.get(s.family) ?? { family: s.family, vigil: emptyCounts(), agree: 0, judged: 0 };
      const byDay = flagged.get(name)!;
      const dayOf = (at: number) => Math.round((at - s.points[0]!.at) / DAY);
      const direct = new Map<number, boolean>();
      scoreSeries(s, (training, judged, series) => {
        const f = vigilDetector(training, judged, series);
        direct.set(dayOf(judged.at), f);
        return f;
      });
      const c = scoreSeries(s, (_t, judged) => byDay.get(dayOf(judged.at)) ?? false);
      row.vigil = { tp: row.vigil.tp + c.tp, fp: row.vigil.fp + c.fp, fn: row.vigil.fn + c.fn, tn: row.vigil.tn + c.tn };
      for (const [d, f] of direct) {
        row.judged++;
        if ((byDay.get(d) ?? false) === f) row.agree++;
      }
      out.set(s.family, row);
    }
    return [...out.values()];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
