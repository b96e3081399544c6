// schema: expected columns and types (after aliasing), extra columns, and
// drift against the schema recorded by the previous run. Reads metadata only.

import type { SchemaCheckSpec } from '../config/schema.js';
import type { CheckKind } from './kind.js';
import { countOf } from '../util/format.js';

const ALIASES: Record<string, string> = {
  INT: 'INTEGER', INT4: 'INTEGER', SIGNED: 'INTEGER',
  INT8: 'BIGINT', LONG: 'BIGINT',
  INT2: 'SMALLINT', SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  TEXT: 'VARCHAR', STRING: 'VARCHAR', CHAR: 'VARCHAR', BPCHAR: 'VARCHAR', 'CHARACTER VARYING': 'VARCHAR', CHARACTER: 'VARCHAR',
  FLOAT8: 'DOUBLE', 'DOUBLE PRECISION': 'DOUBLE',
  REAL: 'FLOAT', FLOAT4: 'FLOAT',
  BOOL: 'BOOLEAN', LOGICAL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP', 'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  'TIME WITHOUT TIME ZONE': 'TIME', TIMETZ: 'TIME WITH TIME ZONE',
  NUMERIC: 'DECIMAL',
  BYTEA: 'BLOB', BINARY: 'BLOB', VARBINARY: 'BLOB',
};

/** Canonical form of a type name: upper case, aliases resolved, VARCHAR(n) → VARCHAR. */
export function normalizeType(type: string): { base: string; params: string | null } {
  // PostgreSQL writes a precision inside the name: timestamp(3) without time zone.
  const t = type.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1')
    .replace(/^(TIMESTAMP|TIME)\((\d+)\) (WITH(?:OUT)? TIME ZONE)$/, '$1 $3($2)');
  const m = /^([A-Z0-9_ ]+?)(?:\((.*)\))?$/.exec(t);
  const rawBase = (m?.[1] ?? t).trim();
  const base = ALIASES[rawBase] ?? rawBase;
  let params = m?.[2] ?? null;
  if (base === 'VARCHAR') params = null;
  return { base, params };
}

/** Whether an actual type satisfies an expected one (DECIMAL without precision matches any). */
export function typeMatches(expected: string, actual: string): boolean {
  const e = normalizeType(expected);
  const a = normalizeType(actual);
  if (e.base !== a.base) return false;
  if (e.params === null) return true;
  return e.params === a.params;
}

function sameType(a: string, b: string): boolean {
  const x = normalizeType(a);
  const y = normalizeType(b);
  return x.base === y.base && x.params === y.params;
}

type Lvl = 'warn' | 'fail';
const RANK = { pass: 0, warn: 1, fail: 2 } as const;

export const schema: CheckKind = {
  kind: 'schema',
  unit: 'columns',
  expand: () => [{ name: 'schema' }],
  validate(options) {
    const o = options as SchemaCheckSpec;
    if (o.columns !== undefined && Object.keys(o.columns).length === 0) {
      return [{ path: ['columns'], message: 'columns is empty: list the expected columns (name: TYPE), or remove columns to watch drift only' }];
    }
    return [];
  },
  columns: (check) => Object.keys((check.options as SchemaCheckSpec).columns ?? {}),
  plan(check) {
    const o = check.options as SchemaCheckSpec;
    const extraLevel = o.extra_columns ?? 'warn';
    const driftLevel = o.drift ?? 'warn';
    return {
      needs: [],
      evaluate(ectx) {
        const actual = new Map(ectx.columns.map((c) => [c.name, c.type]));
        // SQL identifiers are case-insensitive: an expected ID finds a column id when no ID exists.
        const find = (name: string) => actual.get(name) ?? ectx.columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type;
        const expectedNames = new Set(Object.keys(o.columns ?? {}).map((n) => n.toLowerCase()));
        const flagged = new Map<string, Lvl>();
        const flag = (column: string, level: Lvl) => {
          const prev = flagged.get(column);
          if (!prev || RANK[level] > RANK[prev]) flagged.set(column, level);
        };
        const expectedSection = { missing: [] as string[], retyped: [] as Array<{ column: string; expected: string; actual: string }>, extra: [] as string[] };
        if (o.columns) {
          for (const [name, type] of Object.entries(o.columns)) {
            const got = find(name);
            if (got === undefined) {
              expectedSection.missing.push(name);
              flag(name, 'fail');
            } else if (type !== null && type.toLowerCase() !== 'any' && !typeMatches(type, got)) {
              expectedSection.retyped.push({ column: name, expected: type, actual: got });
              flag(name, 'fail');
            }
          }
          for (const c of ectx.columns) {
            if (!(c.name in o.columns) && !expectedNames.has(c.name.toLowerCase())) {
              expectedSection.extra.push(c.name);
              if (extraLevel !== 'allow') flag(c.name, extraLevel);
            }
          }
        }
        const drift = { added: [] as string[], removed: [] as string[], retyped: [] as Array<{ column: string; from: string; to: string }> };
        const prev = ectx.previousSchema;
        if (prev) {
          const before = new Map(prev.map((c) => [c.name, c.type]));
          for (const c of ectx.columns) {
            const was = before.get(c.name);
            if (was === undefined) drift.added.push(c.name);
            else if (!sameType(was, c.type)) drift.retyped.push({ column: c.name, from: was, to: c.type });
          }
          for (const c of prev) if (!actual.has(c.name)) drift.removed.push(c.name);
          if (driftLevel !== 'ignore') {
            for (const n of [...drift.added, ...drift.removed, ...drift.retyped.map((r) => r.column)]) flag(n, driftLevel);
          }
        }
        let status: 'pass' | Lvl = 'pass';
        for (const l of flagged.values()) if (RANK[l] > RANK[status]) status = l;

        const parts: string[] = [];
        if (expectedSection.missing.length) parts.push(`missing ${expectedSection.missing.join(', ')}`);
        for (const r of expectedSection.retyped) parts.push(`${r.column} is ${r.actual}, expected ${r.expected}`);
        if (expectedSection.extra.length && extraLevel !== 'allow') parts.push(`extra ${expectedSection.extra.join(', ')}`);
        if (driftLevel !== 'ignore') {
          if (drift.added.length) parts.push(`added since last run: ${drift.added.join(', ')}`);
          if (drift.removed.length) parts.push(`removed since last run: ${drift.removed.join(', ')}`);
          for (const r of drift.retyped) parts.push(`${r.column} changed ${r.from} → ${r.to}`);
        }
        const count = flagged.size;
        const baseline = prev ? '' : ' (first run: schema recorded as the baseline)';
        const n = ectx.columns.length;
        let ok: string;
        if (o.columns) {
          const declared = Object.keys(o.columns).length;
          const extras = expectedSection.extra.length;
          ok = `all ${countOf(declared, 'expected column')} present with matching types${extras ? ` (${countOf(extras, 'extra column')} allowed)` : ''}`;
        } else {
          ok = prev ? `${countOf(n, 'column')}, no change since the last run` : countOf(n, 'column');
        }
        const message = count === 0
          ? `${ok}${baseline}`
          : `${countOf(count, 'column')} ${count === 1 ? 'differs' : 'differ'}: ${parts.join('; ')}${baseline}`;
        return {
          status, value: count, unit: 'columns', message,
          thresholds: { extra_columns: extraLevel, drift: driftLevel },
          details: { expected: expectedSection, drift, columns: ectx.columns.length, baseline: prev === null },
        };
      },
    };
  },
};
