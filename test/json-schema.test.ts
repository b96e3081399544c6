// `vigil schema`: the JSON Schema of check files, for editors. It must parse,
// describe dataset/source/checks, match the copy shipped at the repo root, and
// accept what the loader accepts (checked with a small draft-07 subset validator).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { CHECK_KINDS, checkFileJsonSchema } from '../src/config/schema.js';
import { cleanupProjects, makeProject, REPO, vigil, writeFile } from './helpers.js';

afterAll(cleanupProjects);

type Schema = Record<string, unknown>;

/** A JSON Schema (draft-07 subset: the keywords the generated schema uses) validator; returns the problems. */
function validateJson(schema: Schema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as Schema[]).map((s) => validateJson(s, value, at));
    if (!branches.some((b) => b.length === 0)) out.push(`${at}: matches no anyOf branch (${branches.map((b) => b[0]).join(' | ')})`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type as string[] : [schema.type as string];
    const ok = types.some((t) => t === 'object' ? isObj(value)
      : t === 'array' ? Array.isArray(value)
        : t === 'integer' ? Number.isInteger(value)
          : t === 'null' ? value === null
            : typeof value === t);
    if (!ok) return [...out, `${at}: expected ${types.join('|')}`];
  }
  if (Array.isArray(schema.enum) && !(schema.enum as unknown[]).includes(value)) out.push(`${at}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${at}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) out.push(`${at}: shorter than ${schema.minLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${at}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) out.push(`${at}: not above ${schema.exclusiveMinimum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) out.push(`${at}: fewer than ${schema.minItems} items`);
    if (isObj(schema.items)) value.forEach((v, i) => out.push(...validateJson(schema.items as Schema, v, `${at}[${i}]`)));
  }
  if (isObj(value)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in value)) out.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(value)) {
      if (isObj(schema.propertyNames)) out.push(...validateJson(schema.propertyNames as Schema, k, `${at}.${k}(name)`));
      if (props[k]) out.push(...validateJson(props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${at}: unknown key ${k}`);
      else if (isObj(schema.additionalProperties)) out.push(...validateJson(schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  return out;
}

let cli: { code: number; stdout: string; stderr: string };
let schema: Schema;

beforeAll(async () => {
  cli = await vigil(['schema'], { cwd: REPO });
  schema = JSON.parse(cli.stdout) as Schema;
});

describe('vigil schema', () => {
  it('prints JSON that parses and exits 0', () => {
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout.trim().startsWith('{')).toBe(true);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('describes a check file: dataset, source and checks, all required, nothing else allowed', () => {
    expect(schema.type).toBe('object');
    const props = schema.properties as Record<string, Schema>;
    expect(Object.keys(props)).toEqual(expect.arrayContaining([
      'dataset', 'description', 'source', 'owner', 'tags', 'runbook', 'schedule', 'timezone', 'filter', 'upstream', 'slo', 'checks',
    ]));
    expect(schema.required).toEqual(expect.arrayContaining(['dataset', 'source', 'checks']));
    expect(schema.required).not.toContain('owner');
    expect(schema.additionalProperties).toBe(false);
    expect(props.checks?.type).toBe('array');
  });

  it('lists every check kind, each with the keys every check accepts', () => {
    const items = (schema.properties as Record<string, Schema>).checks?.items as Schema;
    const branches = items.anyOf as Schema[];
    const kinds = branches.flatMap((b) => Object.keys(b.properties as Schema));
    expect(kinds.sort()).toEqual([...CHECK_KINDS].sort());
    for (const b of branches) {
      const [kind, options] = Object.entries(b.properties as Record<string, Schema>)[0] as [string, Schema];
      expect(Object.keys(options.properties as Schema), kind).toEqual(expect.arrayContaining(['name', 'where', 'runbook', 'owner', 'tags', 'description']));
    }
  });

  it('is what the code generates (checkFileJsonSchema)', () => {
    expect(schema).toEqual(JSON.parse(JSON.stringify(checkFileJsonSchema())));
  });

  it('the repo copy vigil-checks.schema.json equals the vigil schema output', () => {
    const file = path.join(REPO, 'vigil-checks.schema.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`${file} is missing: generate it with ./bin/vigil schema > vigil-checks.schema.json`);
    }
    expect(JSON.parse(text)).toEqual(schema);
    expect(text, 'regenerate with ./bin/vigil schema > vigil-checks.schema.json').toBe(cli.stdout);
  });

  it('is shipped with the package', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { files?: string[] };
    expect(pkg.files).toContain('vigil-checks.schema.json');
  });
});

// The check file of SPEC §2, with a schema column typed null (any type).
const SPEC_EXAMPLE = readFileSync(path.join(REPO, 'test', 'fixtures', 'spec-example.yaml'), 'utf8')
  .replace('        updated_at: TIMESTAMP\n', '        updated_at: TIMESTAMP\n        note: null\n');

describe('the schema accepts valid check files and rejects invalid ones', () => {
  it('accepts the check file of SPEC section 2', () => {
    expect(validateJson(schema, parse(SPEC_EXAMPLE))).toEqual([]);
  });

  it('accepts every source form', () => {
    for (const source of [
      'data/*.csv',
      { path: 'data/x.txt', format: 'csv', options: { delim: ';', header: true } },
      { sql: "select * from read_parquet('x.parquet')" },
      { connection: 'warehouse', table: 'analytics.orders' },
    ]) {
      expect(validateJson(schema, { dataset: 'x', source, checks: [{ row_count: { fail: 0 } }] }), JSON.stringify(source)).toEqual([]);
    }
  });

  it.each([
    ['an unknown top-level key', { dataset: 'x', source: 'x.csv', schedul: '* * * * *', checks: [{ row_count: { fail: 0 } }] }],
    ['an unknown check kind', { dataset: 'x', source: 'x.csv', checks: [{ row_cont: { fail: 0 } }] }],
    ['an unknown key in a check', { dataset: 'x', source: 'x.csv', checks: [{ nulls: { colum: 'a', fail: 0 } }] }],
    ['a bad duration', { dataset: 'x', source: 'x.csv', checks: [{ freshness: { warn_after: '2 hours' } }] }],
    ['a bad percent', { dataset: 'x', source: 'x.csv', checks: [{ nulls: { column: 'a', fail: 'five%' } }] }],
    ['a negative threshold', { dataset: 'x', source: 'x.csv', checks: [{ row_count: { fail: -1 } }] }],
    ['a missing dataset', { source: 'x.csv', checks: [{ row_count: { fail: 0 } }] }],
    ['a missing source', { dataset: 'x', checks: [{ row_count: { fail: 0 } }] }],
    ['an empty checks list', { dataset: 'x', source: 'x.csv', checks: [] }],
    ['a sql check without name', { dataset: 'x', source: 'x.csv', checks: [{ sql: { query: 'select 1', fail: 0 } }] }],
    ['a bad source format', { dataset: 'x', source: { path: 'x', format: 'xlsx' }, checks: [{ row_count: { fail: 0 } }] }],
    ['a bad extra_columns level', { dataset: 'x', source: 'x.csv', checks: [{ schema: { extra_columns: 'maybe' } }] }],
  ])('rejects %s', (_name, doc) => {
    expect(validateJson(schema, doc)).not.toEqual([]);
  });

  it('whatever the loader accepts, the schema accepts (fast-check)', () => {
    const dir = makeProject({});
    const col = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    const count = fc.integer({ min: 0, max: 10_000 });
    const pct = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 9 })).map(([a, b]) => `${a}.${b}%`);
    const range = fc.record({ min: fc.integer({ min: 0, max: 50 }), max: fc.integer({ min: 50, max: 100 }) }, { requiredKeys: [] })
      .filter((r) => r.min !== undefined || r.max !== undefined);
    const threshold = fc.oneof(count, pct, range);
    const duration = fc.array(fc.tuple(fc.integer({ min: 1, max: 99 }), fc.constantFrom('s', 'm', 'h', 'd', 'w')), { minLength: 1, maxLength: 2 })
      .map((ps) => ps.map(([n, u]) => `${n}${u}`).join(''));
    const check = fc.oneof(
      fc.record({ freshness: fc.record({ column: col, warn_after: duration, fail_after: duration }, { requiredKeys: ['fail_after'] }) }),
      fc.record({ row_count: fc.record({ fail: fc.oneof(count, range), where: fc.constant('x > 0') }, { requiredKeys: ['fail'] }) }),
      fc.record({ nulls: fc.record({ column: col, warn: threshold, fail: threshold }, { requiredKeys: ['column', 'fail'] }) }),
      fc.record({ duplicates: fc.record({ keys: fc.oneof(col, fc.array(col, { minLength: 1, maxLength: 3 })), fail: threshold }) }),
      fc.record({ schema: fc.record({ columns: fc.dictionary(col, fc.constantFrom('BIGINT', 'VARCHAR', null), { minKeys: 1, maxKeys: 3 }), drift: fc.constantFrom('ignore', 'warn', 'fail') }, { requiredKeys: [] }) }),
    );
    let accepted = 0;
    fc.assert(fc.property(fc.array(check, { minLength: 1, maxLength: 4 }), fc.option(duration, { nil: undefined }), (checks, timeout) => {
      // Name every check so that generated duplicates do not collide.
      const named = checks.map((c, i) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { ...v, name: `c${i}` }])));
      const doc = { dataset: 'gen', source: 'gen.parquet', ...(timeout ? { timeout } : {}), checks: named };
      writeFile(dir, 'checks/gen.yaml', stringify(doc));
      const { diagnostics } = loadProject({ cwd: dir, env: {} });
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length === 0) {
        accepted++;
        expect(validateJson(schema, doc), stringify(doc)).toEqual([]);
      }
    }), { numRuns: 100 });
    expect(accepted, 'the generator should mostly produce valid files').toBeGreaterThan(80);
  });
});
