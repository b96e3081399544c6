// `vigil validate` and the loader's diagnostics: every problem in every file,
// each at its exact file:line:col (1-based) with the words a user needs to fix it.
// Positions are asserted through loadProject (fast); exit codes and the printed
// form through the real CLI.

import path from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/diagnostics.js';
import { loadProject } from '../src/config/loader.js';
import { cleanupProjects, makeProject, REPO, vigil } from './helpers.js';

afterAll(cleanupProjects);

interface Loaded {
  dir: string;
  /** Diagnostics with `file` relative to the project folder. */
  diags: Diagnostic[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

function load(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Loaded {
  const dir = makeProject(files);
  const { diagnostics } = loadProject({ cwd: dir, env });
  const diags = diagnostics.map((d) => ({ ...d, file: path.relative(dir, d.file) }));
  return { dir, diags, errors: diags.filter((d) => d.severity === 'error'), warnings: diags.filter((d) => d.severity === 'warning') };
}

const at = (d: Pick<Diagnostic, 'file' | 'line' | 'col'>): string => `${d.file}:${d.line}:${d.col}`;
const show = (list: Diagnostic[]): string => list.map((d) => `${at(d)}: ${d.message}`).join('\n');

/** Exactly one error, at `where` (file:line:col), whose message matches every pattern. */
function expectOneError(l: Loaded, where: string, words: RegExp[]): Diagnostic {
  expect(l.errors.map(at), show(l.diags)).toEqual([where]);
  const e = l.errors[0] as Diagnostic;
  for (const w of words) expect(e.message).toMatch(w);
  return e;
}

const HEAD = 'dataset: t\nsource: data.csv\nchecks:\n'; // lines 1-3; the first check is on line 4

interface Case {
  name: string;
  yaml: string;
  /** line:col in checks/t.yaml */
  pos: string;
  words: RegExp[];
}

const CASES: Case[] = [
  {
    name: 'unknown key inside a nulls check → did you mean column',
    yaml: `${HEAD}  - nulls:\n      colum: a\n      fail: 0\n`,
    pos: '5:7', words: [/unknown key 'colum'/, /did you mean 'column'/],
  },
  {
    name: 'unknown top-level key → did you mean schedule',
    yaml: 'dataset: t\nsource: data.csv\nschedul: "0 * * * *"\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '3:1', words: [/unknown key 'schedul'/, /did you mean 'schedule'/],
  },
  {
    name: 'unknown key warn_afterr in a freshness check → did you mean warn_after',
    yaml: `${HEAD}  - freshness:\n      fail_after: 6h\n      warn_afterr: 2h\n`,
    pos: '6:7', words: [/unknown key 'warn_afterr'/, /did you mean 'warn_after'/],
  },
  {
    name: 'unknown check kind → did you mean row_count',
    yaml: `${HEAD}  - row_cont: { fail: 0 }\n`,
    pos: '4:5', words: [/unknown check kind 'row_cont'/, /did you mean 'row_count'/],
  },
  {
    name: 'bad duration → the format with examples',
    yaml: `${HEAD}  - freshness:\n      warn_after: 2 hours\n`,
    pos: '5:19', words: [/warn_after/, /duration/, /'2 hours'/, /2h/, /90s/, /1h30m/],
  },
  {
    name: 'bad percent → how to write one',
    yaml: `${HEAD}  - nulls:\n      column: a\n      warn: "five%"\n`,
    pos: '6:13', words: [/warn/, /percent/, /'five%'/, /1\.5%/],
  },
  {
    name: 'negative count threshold',
    yaml: `${HEAD}  - row_count:\n      fail: -1\n`,
    pos: '5:13', words: [/fail/, /negative/],
  },
  {
    name: '{ min: 5, max: 1 } → min greater than max',
    yaml: `${HEAD}  - row_count:\n      fail: { min: 5, max: 1 }\n`,
    pos: '5:13', words: [/min \(5\)/, /max \(1\)/, /greater/],
  },
  {
    name: 'a percent on row_count makes no sense',
    yaml: `${HEAD}  - row_count:\n      fail: 5%\n`,
    pos: '5:7', words: [/percent/, /row_count/],
  },
  {
    name: 'columns: [...] together with name:',
    yaml: `${HEAD}  - nulls:\n      columns: [a, b]\n      name: ab_nulls\n      fail: 0\n`,
    pos: '6:7', words: [/name/, /columns/],
  },
  {
    name: 'column and columns together',
    yaml: `${HEAD}  - nulls:\n      column: a\n      columns: [b]\n      fail: 0\n`,
    pos: '6:7', words: [/column/, /columns/, /not both/],
  },
  {
    name: 'schema check with an empty columns: {}',
    yaml: `${HEAD}  - schema:\n      columns: {}\n`,
    pos: '5:7', words: [/columns/, /empty/],
  },
  {
    name: 'sql check without a name',
    yaml: `${HEAD}  - sql:\n      query: "select count(*) from {{ source }}"\n      fail: 0\n`,
    pos: '5:7', words: [/sql checks need a name/, /name: /],
  },
  {
    name: 'sql check without a query',
    yaml: `${HEAD}  - sql:\n      name: q\n      fail: 0\n`,
    pos: '5:7', words: [/query/],
  },
  {
    name: 'where on a sql check',
    yaml: `${HEAD}  - sql:\n      name: q\n      query: "select count(*) from {{ source }}"\n      where: amount > 0\n      fail: 0\n`,
    pos: '7:7', words: [/where/, /sql/, /query/],
  },
  {
    name: 'nulls check with neither warn nor fail',
    yaml: `${HEAD}  - nulls: { column: a }\n`,
    pos: '4:5', words: [/nulls/, /threshold/, /warn/, /fail/],
  },
  {
    name: 'sql check with neither warn nor fail',
    yaml: `${HEAD}  - sql: { name: q, query: "select 1" }\n`,
    pos: '4:5', words: [/sql/, /threshold/, /warn/, /fail/],
  },
  {
    name: 'freshness with neither warn_after nor fail_after',
    yaml: `${HEAD}  - freshness: { column: updated_at }\n`,
    pos: '4:16', words: [/freshness/, /warn_after/, /fail_after/],
  },
  {
    name: 'duplicate check id asks for name:',
    yaml: `${HEAD}  - nulls: { column: a, fail: 0 }\n  - nulls: { column: a, warn: 1 }\n`,
    pos: '5:5', words: [/duplicate/, /t\.nulls\.a/, /line 4/, /name: nulls\.a_2 /, /^[^…]*$/],
  },
  {
    name: 'duplicate check id through columns: [...]',
    yaml: `${HEAD}  - nulls: { columns: [a, b], fail: 0 }\n  - nulls: { column: b, warn: 1 }\n`,
    pos: '5:5', words: [/duplicate/, /t\.nulls\.b/, /name:/, /^[^…]*$/],
  },
  {
    name: 'duplicate check id inside columns: [...] asks to take it out of the list (name: cannot go there)',
    yaml: `${HEAD}  - nulls: { column: b, warn: 1 }\n  - nulls: { columns: [a, b], fail: 0 }\n`,
    pos: '5:5', words: [/duplicate/, /t\.nulls\.b/, /take it out of this columns: list/, /line 4/, /^[^…]*$/],
  },
  {
    name: 'two kinds in one list item',
    yaml: `${HEAD}  - nulls: { column: a, fail: 0 }\n    row_count: { fail: 0 }\n`,
    pos: '4:5', words: [/one kind/, /nulls, row_count/],
  },
  {
    name: 'bad cron schedule',
    yaml: 'dataset: t\nsource: data.csv\nschedule: "every hour"\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '3:11', words: [/schedule/, /'every hour'/, /cron/, /\*\/15 \* \* \* \*/],
  },
  {
    name: 'cron with 4 fields',
    yaml: 'dataset: t\nsource: data.csv\nschedule: "* * * *"\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '3:11', words: [/schedule/, /5 fields/],
  },
  {
    name: 'bad timezone',
    yaml: 'dataset: t\nsource: data.csv\ntimezone: Mars/Olympus\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '3:11', words: [/timezone/, /Mars\/Olympus/, /UTC/],
  },
  {
    name: 'YAML syntax error: a flow map closed with ]',
    yaml: `${HEAD}  - row_count: { fail: 0 ]\n`,
    pos: '4:26', words: [/YAML syntax error/],
  },
  {
    name: 'YAML syntax error: a key given twice',
    yaml: 'dataset: t\ndataset: u\nsource: data.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '2:1', words: [/YAML syntax error/, /unique/],
  },
  {
    name: 'YAML syntax error: tab indentation',
    yaml: 'dataset: t\nsource: data.csv\nchecks:\n\t- row_count: { fail: 0 }\n',
    pos: '4:1', words: [/YAML syntax error/, /[Tt]ab/],
  },
  {
    name: 'a check file that is a list, not a mapping',
    yaml: '- dataset: t\n- source: data.csv\n',
    pos: '1:1', words: [/mapping/, /dataset:/, /source:/, /checks:/],
  },
  {
    name: 'check file missing dataset:',
    yaml: 'source: data.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '1:1', words: [/dataset/],
  },
  {
    name: 'check file missing source:',
    yaml: 'dataset: t\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '1:1', words: [/source/, /missing|needs|required/i],
  },
  {
    name: 'check file missing checks:',
    yaml: 'dataset: t\nsource: data.csv\n',
    pos: '1:1', words: [/checks/],
  },
  {
    name: 'empty checks: []',
    yaml: 'dataset: t\nsource: data.csv\nchecks: []\n',
    pos: '3:9', words: [/checks/, /at least one/],
  },
  {
    name: 'dataset name with a space',
    yaml: 'dataset: my orders\nsource: data.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '1:10', words: [/dataset/, /letters, digits/],
  },
  {
    name: 'a source whose format cannot be told from its extension',
    yaml: 'dataset: t\nsource: data.xlsx\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '2:9', words: [/format/, /data\.xlsx/, /format: csv/],
  },
  {
    name: 'SLO objective naming a check not in the file',
    yaml: 'dataset: t\nsource: data.csv\nslo:\n  objectives:\n    - check: row_cont\n      target: 99%\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '5:14', words: [/SLO/, /'row_cont'/, /not in this file/, /did you mean 'row_count'/],
  },
  {
    name: 'SLO target above 100%',
    yaml: 'dataset: t\nsource: data.csv\nslo:\n  objectives:\n    - check: row_count\n      target: 150%\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '6:15', words: [/target/, /150%/, /100%/],
  },
  {
    name: 'a value of the wrong type is not reported as missing',
    yaml: 'dataset: t\nsource: data.csv\ntags: finance\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '3:7', words: [/tags/, /array|list/i, /^(?!.*missing)/],
  },
  {
    name: 'unknown connection',
    yaml: 'dataset: t\nsource: { connection: wh, table: a.b }\nchecks:\n  - row_count: { fail: 0 }\n',
    pos: '2:23', words: [/connection/, /'wh'/, /connections:/],
  },
];

describe('one problem, its exact position and a message that says how to fix it', () => {
  it.each(CASES)('$name', ({ yaml, pos, words }) => {
    expectOneError(load({ 'checks/t.yaml': yaml }), `checks/t.yaml:${pos}`, words);
  });

  it('duplicate dataset names across two files: the second file, pointing at the first', () => {
    const l = load({
      'checks/a.yaml': 'dataset: orders\nsource: a.csv\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/b.yaml': '# the same name again\ndataset: orders\nsource: b.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    });
    expectOneError(l, 'checks/b.yaml:2:10', [/orders/, /already defined/, /checks\/a\.yaml:1/, /unique/]);
  });

  it('unknown upstream dataset is a warning at the upstream entry, not an error', () => {
    const l = load({
      'checks/o.yaml': 'dataset: orders\nsource: o.csv\nupstream: [customers, raw_ordrs]\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/r.yaml': 'dataset: raw_orders\nsource: r.csv\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/c.yaml': 'dataset: customers\nsource: c.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    });
    expect(l.errors, show(l.diags)).toEqual([]);
    expect(l.warnings.map(at)).toEqual(['checks/o.yaml:3:23']);
    expect(l.warnings[0]?.message).toMatch(/raw_ordrs/);
    expect(l.warnings[0]?.message).toMatch(/did you mean 'raw_orders'/);
  });

  it('an external source declared once is no warning anywhere; external: true on a dataset of the project is one', () => {
    const l = load({
      'checks/o.yaml': 'dataset: orders\nsource: o.csv\nupstream:\n  - customers\n  - { name: stripe.charges, external: true, owner: payments }\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/p.yaml': 'dataset: payments\nsource: p.csv\nupstream: [stripe.charges, { name: orders, external: true }]\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/c.yaml': 'dataset: customers\nsource: c.csv\nchecks:\n  - row_count: { fail: 0 }\n',
    });
    expect(l.errors, show(l.diags)).toEqual([]);
    expect(l.warnings.map(at), show(l.warnings)).toEqual(['checks/p.yaml:3:28']);
    expect(l.warnings[0]?.message).toMatch(/orders of payments is declared external, but it is a dataset of this project — drop external: true/);
  });

  it('an upstream entry that is neither a name nor { name, external } says what it may be', () => {
    const l = load({ 'checks/o.yaml': 'dataset: orders\nsource: o.csv\nupstream: [{ table: raw }]\nchecks:\n  - row_count: { fail: 0 }\n' });
    expect(l.errors.map(at), show(l.diags)).toEqual(['checks/o.yaml:3:12']);
    expect(l.errors[0]?.message).toMatch(/upstream|name/);
  });

  it('an upstream cycle is an error at each upstream entry along it, naming the cycle', () => {
    const l = load({
      'checks/a.yaml': 'dataset: a\nsource: a.csv\nupstream: [c]\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/b.yaml': 'dataset: b\nsource: b.csv\nupstream: [a]\nchecks:\n  - row_count: { fail: 0 }\n',
      'checks/c.yaml': 'dataset: c\nsource: c.csv\nupstream: [x, b]\nchecks:\n  - row_count: { fail: 0 }\n',
    });
    expect(l.errors.map(at).sort()).toEqual(['checks/a.yaml:3:12', 'checks/b.yaml:3:12', 'checks/c.yaml:3:15']);
    for (const e of l.errors) expect(e.message).toMatch(/cycle: a → b → c → a/);
  });

  it('the complete check file of SPEC section 2 is valid', () => {
    const l = load({ 'checks/orders.yaml': SPEC_EXAMPLE });
    expect(l.errors, show(l.diags)).toEqual([]);
    // its upstream datasets are not in this project: warnings only
    expect(l.warnings.map((w) => w.message).join('\n')).toMatch(/raw_orders/);
  });
});

describe('every problem in one go', () => {
  it('one file: all its problems, head and checks alike, in one load', () => {
    const l = load({
      'checks/t.yaml': [
        'dataset: t', //                     1
        'source: data.csv', //               2
        'ownr: team', //                      3  unknown key
        'checks:', //                        4
        '  - nulls:', //                     5
        '      colum: a', //                 6  unknown key
        '      fail: 0', //                  7
        '  - freshness:', //                 8
        '      warn_after: 2 hours', //      9  bad duration
        '  - row_cont: { fail: 0 }', //     10  unknown kind
        '  - row_count:', //                11
        '      fail: { min: 5, max: 1 }', // 12  min > max
        '',
      ].join('\n'),
    });
    expect(l.errors.map(at).sort()).toEqual([
      'checks/t.yaml:10:5', 'checks/t.yaml:12:13', 'checks/t.yaml:3:1', 'checks/t.yaml:6:7', 'checks/t.yaml:9:19',
    ]);
  });

  it('vigil.yaml: an unknown key does not hide a bad schedule', () => {
    const l = load({
      'vigil.yaml': 'timezon: UTC\nschedule: "every hour"\n',
      'checks/t.yaml': `${HEAD}  - row_count: { fail: 0 }\n`,
    });
    expect(l.errors.map(at).sort(), show(l.diags)).toEqual(['vigil.yaml:1:1', 'vigil.yaml:2:11']);
    expect(l.errors.find((e) => e.line === 1)?.message).toMatch(/did you mean 'timezone'/);
    expect(l.errors.find((e) => e.line === 2)?.message).toMatch(/schedule/);
  });

  it('vigil.yaml: bad timezone and bad schedule are both reported', () => {
    const l = load({
      'vigil.yaml': 'schedule: "every hour"\ntimezone: Nope/Nowhere\n',
      'checks/t.yaml': `${HEAD}  - row_count: { fail: 0 }\n`,
    });
    expect(l.errors.map(at).sort(), show(l.diags)).toEqual(['vigil.yaml:1:11', 'vigil.yaml:2:11']);
  });

  it('vigil.yaml problems do not hide check-file problems', () => {
    const l = load({
      'vigil.yaml': 'stor: x.duckdb\n',
      'checks/t.yaml': `${HEAD}  - row_cont: { fail: 0 }\n`,
    });
    expect(l.errors.map(at).sort(), show(l.diags)).toEqual(['checks/t.yaml:4:5', 'vigil.yaml:1:1']);
    expect(l.errors.find((e) => e.file === 'vigil.yaml')?.message).toMatch(/did you mean 'store'/);
  });

  it('a check file with a head problem still has its SLO objectives checked', () => {
    const l = load({
      'checks/t.yaml': 'dataset: t\nsource: data.csv\nownr: team\nslo:\n  objectives:\n    - check: row_cont\n      target: 99%\nchecks:\n  - row_count: { fail: 0 }\n',
    });
    expect(l.errors.map(at).sort(), show(l.diags)).toEqual(['checks/t.yaml:3:1', 'checks/t.yaml:6:14']);
  });

  it('a missing checks folder names the folder it looked in', () => {
    const l = load({ 'vigil.yaml': 'checks: checkz\n' });
    const e = expectOneError(l, 'vigil.yaml:1:9', [/checkz/, /not found/]);
    expect(e.message).toContain(path.join(l.dir, 'checkz'));
  });
});

// Spawned CLIs run concurrently (each test uses its own temp project and its local expect).
describe.concurrent('vigil validate (CLI)', () => {
  it('prints every problem of every file as file:line:col: message and exits 3', async ({ expect }) => {
    const dir = makeProject({
      'checks/a.yaml': `${HEAD}  - nulls:\n      colum: a\n      fail: 0\n  - freshness:\n      warn_after: 2 hours\n`,
      'checks/sub/b.yaml': 'dataset: b\nsource: b.csv\nchecks:\n  - row_cont: { fail: 0 }\n',
    });
    const r = await vigil(['validate'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    const out = `${r.stdout}\n${r.stderr}`;
    const lines = out.split('\n').filter((l) => /^checks\/\S+:\d+:\d+: /.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^checks\/a\.yaml:5:7: unknown key 'colum' — did you mean 'column'\?/);
    expect(lines[1]).toMatch(/^checks\/a\.yaml:8:19: warn_after: bad duration '2 hours': .*1h30m/);
    expect(lines[2]).toMatch(/^checks\/sub\/b\.yaml:4:5: unknown check kind 'row_cont' — did you mean 'row_count'\?/);
    expect(out).toMatch(/3 problems/);
    expect(out).not.toMatch(/^valid/m);
  });

  it('a valid project exits 0 and says valid', async ({ expect }) => {
    const dir = makeProject({
      'vigil.yaml': 'timezone: Europe/Berlin\nschedule: "*/5 * * * *"\n',
      'checks/t.yaml': 'dataset: t\nsource: ../data/t.csv\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - nulls: { columns: [id, v], fail: 0 }\n',
      'data/t.csv': 'id,v\n1,2\n',
    });
    const r = await vigil(['validate'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^valid: 1 dataset, 3 checks$/m);
    expect(r.stderr).toBe('');
  });

  it('an unknown upstream and a source that cannot be read now are warnings: exit 0', async ({ expect }) => {
    const dir = makeProject({
      'checks/t.yaml': 'dataset: t\nsource: ../data/not-yet.parquet\nupstream: [raw_t]\nchecks:\n  - nulls: { column: id, fail: 0 }\n',
    });
    const r = await vigil(['validate'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = `${r.stdout}\n${r.stderr}`;
    // (the exact position of the upstream warning is asserted in the loader test above)
    expect(out).toMatch(/^checks\/t\.yaml:\d+:\d+: warning: .*upstream raw_t/m);
    expect(out).toMatch(/^checks\/t\.yaml:\d+:\d+: warning: .*cannot be read/m);
    expect(out).toMatch(/^valid: 1 dataset, 1 check, 2 warnings$/m);
  });

  it('checks column names and queries against a source that can be read', async ({ expect }) => {
    const dir = makeProject({
      'data/o.csv': 'id,amount,customer_id\n1,10,5\n2,20,6\n',
      'checks/o.yaml': [
        'dataset: orders', //                                     1
        'source: ../data/o.csv', //                               2
        'checks:', //                                             3
        '  - nulls:', //                                          4
        '      column: customr_id', //                            5  col 15
        '      fail: 0', //                                       6
        '  - row_count:', //                                      7
        '      where: amout > 0', //                              8  col 14
        '      fail: { min: 1 }', //                              9
        '  - sql:', //                                           10
        '      name: neg', //                                    11
        '      query: "selec count(*) from {{ source }}"', //    12  col 14
        '      fail: 0', //                                      13
        '  - duplicates: { keys: [id, custmer], fail: 0 }', //   14  col 30
        '  - schema:', //                                        15
        '      columns: { id: BIGINT, amount: BIGINT }', //      16
        '',
      ].join('\n'),
      'checks/p.yaml': 'dataset: payments\nsource: ../data/o.csv\nfilter: "stauts <> \'test\'"\nchecks:\n  - row_count: { fail: { min: 1 } }\n  - nulls: { column: id, fail: 0 }\n',
    });
    const r = await vigil(['validate', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    const json = JSON.parse(r.stdout) as { errors: Array<{ file: string; line: number; col: number; message: string }> };
    const file = path.join(dir, 'checks/o.yaml');
    const inO = json.errors.filter((e) => e.file === file);
    const inP = json.errors.filter((e) => e.file === path.join(dir, 'checks/p.yaml'));
    expect(inO).toHaveLength(4);
    const [col, where, sql, dup] = inO;
    expect([col, dup].map((e) => `${e?.line}:${e?.col}`)).toEqual(['5:15', '14:30']);
    expect(col?.message).toMatch(/unknown column customr_id/);
    expect(col?.message).toMatch(/did you mean 'customer_id'/);
    expect(col?.message).toMatch(/id, amount, customer_id/);
    expect(where?.message).toMatch(/amout/);
    expect(sql?.message).toMatch(/orders\.neg/);
    expect(sql?.message).toMatch(/syntax error/i);
    expect(dup?.message).toMatch(/unknown column custmer/);
    expect(dup?.message).toMatch(/id, amount, customer_id/);
    // a where: or query: that does not compile points at the expression itself, like an unknown column does
    expect({ where: `${where?.line}:${where?.col}`, query: `${sql?.line}:${sql?.col}` }).toEqual({ where: '8:14', query: '12:14' });
    // a dataset filter: that does not compile is one problem, at the filter (not one per check)
    expect(inP.map((e) => `${e.line}:${e.col}`)).toEqual(['3:9']);
    expect(inP[0]?.message).toMatch(/stauts/);
  });
});

describe('the loader never throws (fast-check)', () => {
  const dir = makeProject({});
  const file = path.join(dir, 'checks', 't.yaml');
  mkdirSync(path.dirname(file), { recursive: true });

  function loadText(text: string): Diagnostic[] {
    writeFileSync(file, text);
    const { diagnostics } = loadProject({ cwd: dir, env: {} });
    for (const d of diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.col).toBeGreaterThanOrEqual(1);
      expect(d.message.length).toBeGreaterThan(0);
    }
    return diagnostics;
  }

  const anyValue = fc.oneof(
    fc.string(),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('2h', '1h30m', '0s', '-1h', '1.5%', '%', '100%', 'NaN', '1e400', '${X}', '${X:-5}', '{{ source }}', '', ' ', '~'),
  );

  it('random values of warn_after, fail, keys, column, target, schedule', () => {
    fc.assert(fc.property(anyValue, anyValue, anyValue, anyValue, anyValue, anyValue, (warnAfter, failV, keys, column, target, schedule) => {
      const doc = {
        dataset: 't', source: 'data.csv', schedule,
        slo: { objectives: [{ check: 'row_count', target }] },
        checks: [
          { freshness: { warn_after: warnAfter, column } },
          { row_count: { fail: failV } },
          { nulls: { column, fail: failV, warn: warnAfter } },
          { duplicates: { keys, fail: failV } },
          { schema: { columns: keys } },
          { sql: { name: column, query: warnAfter, fail: failV } },
        ],
      };
      loadText(stringify(doc));
    }), { numRuns: 100 });
  });

  it('random values pasted unquoted into the YAML text', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
      const diags = loadText(`dataset: t\nsource: data.csv\nchecks:\n  - freshness:\n      warn_after: ${a}\n  - duplicates:\n      keys: ${b}\n      fail: ${c}\n`);
      expect(Array.isArray(diags)).toBe(true);
    }), { numRuns: 100 });
  });

  it('keys named like Object.prototype members (toString, constructor) are unknown keys, not a crash', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      const diags = loadText(`dataset: t\nsource: data.csv\n${key}: ""\nchecks:\n  - row_count: { fail: 0 }\n`);
      expect(diags.some((d) => d.message.includes(`unknown key '${key}'`)), key).toBe(true);
      expect(loadText(`${key}: ""\n`).length, key).toBeGreaterThan(0);
    }
  });

  it('random whole files', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v))), (text) => {
      loadText(text);
    }), { numRuns: 100 });
  });

  it('a valid duration is accepted, anything else is rejected with the hint', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w')), { minLength: 1, maxLength: 3 }),
      (parts) => {
        const d = parts.map(([n, u]) => `${n}${u}`).join('');
        const diags = loadText(`${HEAD}  - freshness: { warn_after: "${d}" }\n`);
        expect(diags.filter((x) => x.severity === 'error')).toEqual([]);
      },
    ), { numRuns: 40 });
    fc.assert(fc.property(fc.string().filter((s) => !/^\s*(\d+[smhdw])+\s*$/.test(s)), (s) => {
      const diags = loadText(`${HEAD}  - freshness: { warn_after: ${JSON.stringify(s)} }\n`);
      const errors = diags.filter((x) => x.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/1h30m/);
    }), { numRuns: 60 });
  });
});

// The check file of SPEC §2, verbatim.
const SPEC_EXAMPLE = readFileSync(path.join(REPO, 'test', 'fixtures', 'spec-example.yaml'), 'utf8');
