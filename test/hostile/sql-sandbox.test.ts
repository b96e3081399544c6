// sql: checks in a sandbox (issue: hardening, item 2): each dataset run's DuckDB reads only the
// folders its source reads, with its configuration locked, and runs only single SELECTs. Reading
// /etc/passwd, COPY … TO (outside and inside the data folder), ATTACH of the results store, SET,
// INSTALL and a second statement all fail with a clear error on that check; ordinary checks, a
// lookup in the source's folder by a relative path and a sql source still pass; the store is intact.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupProjects, makeProject, queryDb, vigil } from '../helpers.js';

afterAll(cleanupProjects);

interface Result { check: string; status: string; value: number | null; message: string }

describe('sql checks run in a sandbox', () => {
  it('every escape fails with a clear error on its own check; everything else passes and the store is intact', async () => {
    const dir = makeProject({
      'data/t.csv': 'id,v\n1,a\n2,b\n',
      'data/lookup.csv': 'k\n1\n',
      'other/secret.csv': 'password\nhunter2\n',
    });
    const store = path.join(dir, '.vigil', 'vigil.duckdb');
    const q = (s: string) => s.replaceAll("'", "''");
    const escapes: Record<string, string> = {
      passwd: "select count(*) from read_csv('/etc/passwd')",
      other_folder: "select count(*) from read_csv('../other/secret.csv')",
      copy_out: `copy (select 1) to '${q(path.join(dir, 'leak.csv'))}'`,
      copy_inside: `copy (select 1) to '${q(path.join(dir, 'data', 'leak.csv'))}'`,
      attach_store: `attach '${q(store)}' as s`,
      read_store: `select count(*) from '${q(store)}'`,
      unlock: 'set enable_external_access = true',
      install: 'install httpfs',
      two_statements: `select 1; copy (select 1) to '${q(path.join(dir, 'data', 'leak2.csv'))}'`,
    };
    const checks = Object.entries(escapes).map(([name, query]) => `  - sql: { name: ${name}, query: ${JSON.stringify(query)}, fail: 0 }`).join('\n');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'checks'), { recursive: true });
    writeFileSync(path.join(dir, 'checks', 't.yaml'), `dataset: t
source: ../data/t.csv
checks:
  - row_count: { fail: { min: 1 } }
  - sql: { name: lookup, query: "select count(*) from read_csv('../data/lookup.csv')", fail: { min: 1 } }
  - sql: { name: negative, query: "select count(*) from {{ source }} where id < 0", fail: 0 }
${checks}
`);
    writeFileSync(path.join(dir, 'checks', 's.yaml'), `dataset: s
source: { sql: "select * from read_csv('../data/t.csv') where id > 0" }
checks:
  - row_count: { fail: { min: 2 } }
`);
    // A first run records the store (so ATTACH has something to reach), the second is the one looked at.
    expect((await vigil(['run', 's'], { cwd: dir })).code).toBe(0);
    const r = await vigil(['run', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    const byName = new Map((JSON.parse(r.stdout) as { results: Result[] }).results.map((x) => [x.check, x]));

    expect(byName.get('t.row_count')).toMatchObject({ status: 'pass', value: 2 });
    expect(byName.get('t.lookup')).toMatchObject({ status: 'pass', value: 1 });
    expect(byName.get('t.negative')).toMatchObject({ status: 'pass', value: 0 });
    expect(byName.get('s.row_count')).toMatchObject({ status: 'pass', value: 2 });

    const denied = /Permission Error: Cannot access (file|directory) .* — check SQL may only read the dataset's own files \(.*data\/\)/;
    const notSelect = /check SQL must be a single SELECT statement/;
    const expected: Record<string, RegExp> = {
      passwd: denied, other_folder: denied, copy_out: notSelect, copy_inside: notSelect,
      attach_store: notSelect, read_store: denied, unlock: notSelect, install: notSelect, two_statements: /more than one statement/,
    };
    for (const [name, re] of Object.entries(expected)) {
      const res = byName.get(`t.${name}`);
      expect(res?.status, name).toBe('error');
      expect(res?.message, name).toMatch(re);
    }
    expect(byName.get('t.passwd')?.message).not.toMatch(/root:/);
    expect(existsSync(path.join(dir, 'leak.csv'))).toBe(false);
    expect(existsSync(path.join(dir, 'data', 'leak.csv'))).toBe(false);
    expect(existsSync(path.join(dir, 'data', 'leak2.csv'))).toBe(false);

    // The store was never attached by a check: it opens and reads as before.
    const status = await vigil(['status', '--json'], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    const runs = await queryDb(store, 'select status from runs order by started_at');
    expect(runs.map((x) => x.status)).toEqual(['completed', 'completed']);
  });
});
