// `anomaly:` in check files (SPEC section 7): what loads, with which defaults,
// and every misuse `vigil validate` reports at its file:line:col with a fix.

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/diagnostics.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, vigil, writeData } from './helpers.js';

afterAll(cleanupProjects);

const HEAD = 'dataset: t\nsource: data.csv\nchecks:\n'; // the first check is on line 4

function load(yaml: string): { errors: Diagnostic[]; warnings: Diagnostic[]; checks: ReturnType<typeof loadProject>['project']['datasets'][number]['checks'] } {
  const dir = makeProject({ 'checks/t.yaml': yaml });
  const { project, diagnostics } = loadProject({ cwd: dir });
  return {
    errors: diagnostics.filter((d) => d.severity === 'error'),
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
    checks: project.datasets[0]?.checks ?? [],
  };
}
const at = (d: Diagnostic) => `${d.line}:${d.col}`;

describe('anomaly: loads', () => {
  it('on every kind with a numeric value, with the defaults of SPEC section 7, and needs no threshold', () => {
    const l = load(`${HEAD}  - row_count: { anomaly: {} }\n  - freshness: { column: at, anomaly: { direction: up } }\n`
      + '  - nulls: { column: email, anomaly: { timestamp_column: created_at, bucket: 1h, seasonality: hour_of_day, training: 14d } }\n'
      + '  - duplicates: { keys: [id], anomaly: { min_change: 5, level: fail } }\n'
      + '  - sql: { name: revenue, query: "select sum(x) from {{ source }}", anomaly: { seasonality: day_of_week, training: 8w, sensitivity: 4, min_change: 10% } }\n');
    expect(l.errors.map((e) => e.message)).toEqual([]);
    expect(l.warnings).toEqual([]);
    const [rc, fr, nu, du, sq] = l.checks;
    expect(rc?.anomaly).toEqual({ bucket: '1d', trainingSeconds: 28 * 86400, minPoints: 7, seasonality: 'none', sensitivity: 3, direction: 'both', level: 'warn' });
    expect(fr?.anomaly?.direction).toBe('up');
    expect(nu?.anomaly).toMatchObject({ timestampColumn: 'created_at', bucket: '1h', seasonality: 'hour_of_day', trainingSeconds: 14 * 86400 });
    expect(du?.anomaly).toMatchObject({ minChange: { amount: 5, percent: false }, level: 'fail' });
    expect(sq?.anomaly).toMatchObject({ seasonality: 'day_of_week', trainingSeconds: 56 * 86400, sensitivity: 4, minChange: { amount: 10, percent: true } });
  });

  it('keeps thresholds next to a history-based anomaly (they are checked first)', () => {
    const l = load(`${HEAD}  - row_count: { fail: { min: 1 }, anomaly: { training: 14d } }\n`);
    expect(l.errors).toEqual([]);
    expect(l.checks[0]?.fail).toEqual({ min: 1 });
  });
});

describe('anomaly: misuse, at file:line:col with a fix', () => {
  const cases: Array<{ name: string; yaml: string; pos: string; words: RegExp[] }> = [
    {
      name: 'warn next to timestamp_column → put thresholds in a second check',
      yaml: `${HEAD}  - row_count:\n      warn: { min: 10 }\n      anomaly: { timestamp_column: created_at }\n`,
      pos: '5:7', words: [/warn cannot be used with anomaly\.timestamp_column/, /second row_count check/],
    },
    {
      name: 'timestamp_column on a kind other than row_count / nulls',
      yaml: `${HEAD}  - duplicates:\n      keys: [id]\n      anomaly:\n        timestamp_column: created_at\n`,
      pos: '7:9', words: [/row_count and nulls only/, /remove timestamp_column/],
    },
    {
      name: '1h bucket + day_of_week + 28d: too few points of each weekday',
      yaml: `${HEAD}  - row_count:\n      anomaly:\n        timestamp_column: created_at\n        bucket: 1h\n        seasonality: day_of_week\n        training: 28d\n`,
      pos: '9:9', words: [/gives 4 such points/, /min_points 7/, /training: 7w/],
    },
    {
      name: 'hour_of_day with a 1d bucket',
      yaml: `${HEAD}  - row_count:\n      anomaly: { timestamp_column: created_at, bucket: 1d, seasonality: hour_of_day }\n`,
      pos: '5:60', words: [/hour_of_day needs bucket: 1h/, /day_of_week/],
    },
    {
      name: 'bucket without timestamp_column',
      yaml: `${HEAD}  - sql: { name: s, query: "select 1", anomaly: { bucket: 1h } }\n`,
      pos: '4:51', words: [/bucket only applies with timestamp_column/],
    },
    {
      name: 'an unknown seasonality',
      yaml: `${HEAD}  - row_count: { anomaly: { seasonality: weekly } }\n`,
      pos: '4:42', words: [/seasonality must be none, day_of_week or hour_of_day/],
    },
    {
      name: 'a bad min_change',
      yaml: `${HEAD}  - row_count: { anomaly: { min_change: lots } }\n`,
      pos: '4:41', words: [/min_change/, /bad percent 'lots'/, /1\.5%/],
    },
    {
      name: 'a check with neither threshold nor anomaly says both ways out',
      yaml: `${HEAD}  - row_count: {}\n`,
      pos: '4:5', words: [/needs a threshold/, /anomaly/],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = load(c.yaml);
      expect(l.errors.map(at), l.errors.map((e) => `${at(e)} ${e.message}`).join('\n')).toEqual([c.pos]);
      for (const w of c.words) expect(l.errors[0]?.message).toMatch(w);
    });
  }

  it('day_of_week from history with a short training is a warning (the points per weekday depend on the schedule)', () => {
    const l = load(`${HEAD}  - sql: { name: s, query: "select 1", anomaly: { seasonality: day_of_week } }\n`);
    expect(l.errors).toEqual([]);
    expect(l.warnings.map((w) => w.message).join('\n')).toMatch(/training: 7w or more/);
    expect(l.checks).toHaveLength(1);
  });
});

describe('vigil validate: timestamp_column against the data', () => {
  it('names a column that does not exist and one that is not a time, at the column', async () => {
    const dir = makeProject({
      'checks/o.yaml': [
        'dataset: orders', //                                                        1
        'source: ../data/o.parquet', //                                              2
        'checks:', //                                                                3
        '  - row_count:', //                                                         4
        '      anomaly: { timestamp_column: created_a }', //                     5 col 35
        '  - nulls:', //                                                             6
        '      column: email', //                                                    7
        '      anomaly:', //                                                         8
        '        timestamp_column: id', //                                           9 col 27
        '  - row_count: { name: ok, anomaly: { timestamp_column: created_at } }', // 10
        '',
      ].join('\n'),
    });
    await writeData(dir, 'data/o.parquet', "select range AS id, 'a' || range AS email, TIMESTAMP '2026-01-01' + INTERVAL (range) HOUR AS created_at FROM range(10)");
    const r = await vigil(['validate', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    const errors = (JSON.parse(r.stdout) as { errors: Array<{ file: string; line: number; col: number; message: string }> }).errors;
    expect(errors.map((e) => `${path.basename(e.file)}:${e.line}:${e.col}`)).toEqual(['o.yaml:5:36', 'o.yaml:9:27']);
    expect(errors[0]?.message).toMatch(/unknown column created_a/);
    expect(errors[0]?.message).toMatch(/did you mean 'created_at'/);
    expect(errors[1]?.message).toMatch(/timestamp_column id is BIGINT, not a timestamp or date/);
  });
});
