// Threshold semantics (N, "P%", { min, max }, fail before warn) and durations (SPEC §2 "Thresholds").
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { breaches, levelFor, type Level } from '../src/checks/thresholds.js';
import type { Threshold } from '../src/config/schema.js';
import { formatDuration, parseDuration } from '../src/config/duration.js';
import { cleanupProjects, makeProject, runProject, writeData } from './helpers.js';

afterAll(cleanupProjects);

const RANK: Record<Level, number> = { pass: 0, warn: 1, fail: 2 };
const UNITS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
type Unit = keyof typeof UNITS;
const UNIT_ORDER: Unit[] = ['w', 'd', 'h', 'm', 's'];

const count = fc.integer({ min: 0, max: 1_000_000 });
const rowsArb = fc.integer({ min: 1, max: 1_000_000 });
/** A percent as users write it, with up to two decimals: "0%", "1.5%", "99.99%". */
const percentArb = fc.integer({ min: 0, max: 10_000 }).map((h) => ({ p: h / 100, text: `${h / 100}%` }));
const minMaxArb: fc.Arbitrary<{ min?: number; max?: number }> = fc.oneof(
  fc.tuple(count, count).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
  count.map((min) => ({ min })),
  count.map((max) => ({ max })),
);
const thresholdArb: fc.Arbitrary<Threshold> = fc.oneof(count, percentArb.map((x) => x.text), minMaxArb);

describe('breaches (property)', () => {
  it('a number N is breached exactly when value > N', () => {
    fc.assert(fc.property(count, count, fc.option(rowsArb, { nil: null }), (n, v, rows) => {
      expect(breaches(n, v, rows)).toBe(v > n);
    }));
  });

  it('"P%" is breached exactly when value / rows * 100 > P', () => {
    fc.assert(fc.property(percentArb, count, rowsArb, ({ p, text }, v, rows) => {
      expect(breaches(text, v, rows)).toBe((v / rows) * 100 > p);
    }));
  });

  it('"P%" is never breached with 0 rows (0 rows → 0%)', () => {
    fc.assert(fc.property(percentArb, count, fc.constantFrom(0, null), ({ text }, v, rows) => {
      expect(breaches(text, v, rows)).toBe(false);
    }));
  });

  it('{ min, max } is breached exactly when value is outside [min, max] (bounds included)', () => {
    fc.assert(fc.property(minMaxArb, count, (t, v) => {
      const outside = (t.min !== undefined && v < t.min) || (t.max !== undefined && v > t.max);
      expect(breaches(t, v, null)).toBe(outside);
      if (t.min !== undefined) expect(breaches(t, t.min, null)).toBe(false);
      if (t.max !== undefined) expect(breaches(t, t.max, null)).toBe(false);
    }));
  });

  it('number and percent thresholds are monotonic in the value', () => {
    fc.assert(fc.property(fc.oneof(count, percentArb.map((x) => x.text)), count, count, rowsArb, (t, a, b, rows) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      if (breaches(t, lo, rows)) expect(breaches(t, hi, rows)).toBe(true);
    }));
  });
});

describe('levelFor (property)', () => {
  it('checks fail before warn', () => {
    fc.assert(fc.property(fc.option(thresholdArb, { nil: undefined }), fc.option(thresholdArb, { nil: undefined }), count, rowsArb,
      (warn, fail, v, rows) => {
        const levels: { warn?: Threshold; fail?: Threshold } = {};
        if (warn !== undefined) levels.warn = warn;
        if (fail !== undefined) levels.fail = fail;
        const expected: Level = fail !== undefined && breaches(fail, v, rows) ? 'fail'
          : warn !== undefined && breaches(warn, v, rows) ? 'warn' : 'pass';
        expect(levelFor(levels, v, rows)).toBe(expected);
      }));
  });

  it('is fail whenever fail is breached, even if warn is a looser or tighter bound', () => {
    fc.assert(fc.property(count, count, count, (w, f, v) => {
      fc.pre(v > f);
      expect(levelFor({ warn: w, fail: f }, v, 100)).toBe('fail');
    }));
  });

  it('with no thresholds breached is pass', () => {
    fc.assert(fc.property(count, count, (n, v) => {
      fc.pre(v <= n);
      expect(levelFor({ warn: n, fail: n }, v, 10)).toBe('pass');
      expect(levelFor({}, v, 10)).toBe('pass');
    }));
  });

  it('never gets better as the value grows, for count thresholds with warn ≤ fail', () => {
    fc.assert(fc.property(count, count, count, count, (a, b, x, y) => {
      const warn = Math.min(a, b);
      const fail = Math.max(a, b);
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      expect(RANK[levelFor({ warn, fail }, hi, 1)]).toBeGreaterThanOrEqual(RANK[levelFor({ warn, fail }, lo, 1)]);
    }));
  });

  it('examples', () => {
    expect(levelFor({ warn: 5, fail: 10 }, 20, null)).toBe('fail');
    expect(levelFor({ warn: 5, fail: 10 }, 7, null)).toBe('warn');
    expect(levelFor({ warn: 5, fail: 10 }, 5, null)).toBe('pass');
    expect(levelFor({ warn: 10, fail: 5 }, 7, null)).toBe('fail');
    expect(levelFor({ warn: '1%', fail: '5%' }, 3, 100)).toBe('warn');
    expect(levelFor({ warn: '1%', fail: '5%' }, 6, 100)).toBe('fail');
    expect(levelFor({ warn: '1%', fail: '5%' }, 1, 100)).toBe('pass');
    expect(levelFor({ warn: '1.5%', fail: '5%' }, 2, 100)).toBe('warn');
    expect(levelFor({ fail: '0%' }, 1, 0)).toBe('pass');
    expect(levelFor({ fail: '0%' }, 1, 1_000_000)).toBe('fail');
    expect(levelFor({ warn: { min: 1000, max: 5000 }, fail: { min: 1 } }, 0, null)).toBe('fail');
    expect(levelFor({ warn: { min: 1000, max: 5000 }, fail: { min: 1 } }, 999, null)).toBe('warn');
    expect(levelFor({ warn: { min: 1000, max: 5000 }, fail: { min: 1 } }, 5000, null)).toBe('pass');
    expect(levelFor({ warn: { min: 1000, max: 5000 }, fail: { min: 1 } }, 5001, null)).toBe('warn');
  });
});

describe('durations', () => {
  it('examples from the SPEC', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('1w')).toBe(604800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1w2d3h4m5s')).toBe(604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    expect(parseDuration('0s')).toBe(0);
  });

  it('rejects what is not an integer with a unit', () => {
    for (const bad of ['', 'h', '10', '1.5h', '-1h', '1x', '1 h', 'h1', '1h30', 'one hour']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });

  it('a single part is the integer times its unit (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...UNIT_ORDER), (n, u) => {
      expect(parseDuration(`${n}${u}`)).toBe(n * UNITS[u]);
    }));
  });

  it('a concatenation is the sum of its parts (property)', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(...UNIT_ORDER)).map(([n, u]) => `${n}${u}`);
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
      const sum = parts.reduce((s, p) => s + (parseDuration(p) as number), 0);
      expect(parseDuration(parts.join(''))).toBe(sum);
    }));
  });

  it('formatDuration examples', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(90)).toBe('1m 30s');
    expect(formatDuration(5400)).toBe('1h 30m');
    expect(formatDuration(7800)).toBe('2h 10m');
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3d 4h');
    // Days at most: weeks would print the same age as "348w" here and "2436d 21h" there.
    expect(formatDuration(2 * 604800)).toBe('14d');
    expect(formatDuration(2436 * 86400 + 21 * 3600 + 59)).toBe('2436d 21h');
    expect(formatDuration(-300)).toBe('-5m');
    expect(formatDuration(3 * 86400)).toBe('3d');
  });

  it('formatDuration → parseDuration round-trips values made of two adjacent units (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat(), (i, aRaw, bRaw) => {
      const big = UNIT_ORDER[i] as Unit;
      const small = UNIT_ORDER[i + 1] as Unit;
      const bigger = UNIT_ORDER[i - 1];
      // a stays below one of the next larger unit, b below one big unit
      const a = 1 + (aRaw % ((bigger ? UNITS[bigger] / UNITS[big] : 500) - 1));
      const b = bRaw % (UNITS[big] / UNITS[small]);
      const seconds = a * UNITS[big] + b * UNITS[small];
      expect(parseDuration(formatDuration(seconds).replaceAll(' ', ''))).toBe(seconds);
    }));
  });

  it('formatDuration never overstates, and is within one unit below its largest (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 604800 }), (seconds) => {
      const text = formatDuration(seconds);
      expect(text).toMatch(/^\d+[wdhms]( \d+[wdhms])?$/);
      const back = parseDuration(text.replaceAll(' ', '')) as number;
      expect(back).toBeLessThanOrEqual(seconds);
      const largest = text[text.search(/[wdhms]/)] as Unit;
      const below = UNIT_ORDER[UNIT_ORDER.indexOf(largest) + 1];
      expect(seconds - back).toBeLessThan(below ? UNITS[below] : 1);
    }));
  });
});

describe('thresholds in check files', () => {
  /** 100 rows; v is NULL on ids 1..10. */
  const DATA = `select range + 1 as id, case when range < 10 then NULL else range end as v,
    case when range < 50 then 'a' else 'b' end as grp from range(100)`;

  it.each(['parquet', 'csv'] as const)('number, percent, min/max and fail-before-warn on %s', async (format) => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.${format}
checks:
  - nulls: { name: n_at, column: v, fail: 10 }
  - nulls: { name: n_over, column: v, fail: 9 }
  - nulls: { name: p_at, column: v, fail: "10%" }
  - nulls: { name: p_over, column: v, fail: "9.99%" }
  - nulls: { name: p_where, column: v, where: "grp = 'a'", fail: "19.9%" }
  - nulls: { name: mm_in, column: v, fail: { min: 10, max: 10 } }
  - nulls: { name: mm_low, column: v, warn: { min: 11 } }
  - nulls: { name: mm_high, column: v, fail: { max: 9 } }
  - nulls: { name: both_breached, column: v, warn: 1, fail: 5 }
  - nulls: { name: warn_only_breached, column: v, warn: 5, fail: 50 }
  - nulls: { name: inverted, column: v, warn: 20, fail: 8 }
  - nulls: { name: percent_warn, column: v, warn: "5%", fail: "50%" }
`,
    });
    await writeData(dir, `data/t.${format}`, DATA);
    const { byId } = await runProject(dir);
    const expected: Record<string, string> = {
      n_at: 'pass', n_over: 'fail', p_at: 'pass', p_over: 'fail', p_where: 'fail',
      mm_in: 'pass', mm_low: 'warn', mm_high: 'fail',
      both_breached: 'fail', warn_only_breached: 'warn', inverted: 'fail', percent_warn: 'warn',
    };
    const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, byId.get(`t.${k}`)?.status]));
    expect(actual).toEqual(expected);
    for (const k of Object.keys(expected)) expect(byId.get(`t.${k}`)?.value, k).toBe(10);
    expect(byId.get('t.p_where')?.details).toMatchObject({ rows: 50 });
    expect(byId.get('t.p_over')?.message).toContain('fail above 9.99%');
    expect(byId.get('t.mm_high')?.message).toContain('fail above 9');
    expect(byId.get('t.mm_low')?.message).toContain('warn below 11');
    expect(byId.get('t.percent_warn')?.thresholds).toEqual({ warn: '5%', fail: '50%' });
  });

  it('a percent over 0 rows is 0%', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.parquet
filter: "id > 1000"
checks:
  - nulls: { column: v, fail: "0%" }
  - duplicates: { keys: [grp], fail: "0%" }
  - sql: { name: constant, query: "select 5", fail: "0%" }
  - row_count: { fail: { max: 0 } }
`,
    });
    await writeData(dir, 'data/t.parquet', DATA);
    const { byId } = await runProject(dir);
    expect(byId.get('t.nulls.v')).toMatchObject({ status: 'pass', value: 0 });
    expect(byId.get('t.nulls.v')?.message).toContain('(0%)');
    expect(byId.get('t.duplicates.grp')).toMatchObject({ status: 'pass', value: 0 });
    expect(byId.get('t.constant')).toMatchObject({ status: 'pass', value: 5 });
    expect(byId.get('t.row_count')).toMatchObject({ status: 'pass', value: 0 });
  });

  it('durations in freshness limits: 1h30m is 5400 seconds', async () => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - freshness: { name: at_limit, column: ts, fail_after: 1h30m }
  - freshness: { name: over_limit, column: ts, fail_after: 89m59s }
  - freshness: { name: in_seconds, column: ts, fail_after: 5400s }
`,
    });
    await writeData(dir, 'data/t.parquet', "select TIMESTAMP '2024-06-15 10:30:00' as ts");
    const { byId } = await runProject(dir, { now: new Date('2024-06-15T12:00:00Z') });
    expect(byId.get('t.at_limit')).toMatchObject({ status: 'pass', value: 5400 });
    expect(byId.get('t.over_limit')).toMatchObject({ status: 'fail', value: 5400 });
    expect(byId.get('t.in_seconds')).toMatchObject({ status: 'pass', value: 5400 });
    expect(byId.get('t.at_limit')?.message).toContain('1h 30m');
  });

  it.each([
    ['min above max', 'row_count: { fail: { min: 5, max: 1 } }', /min \(5\) is greater than max \(1\)/],
    ['no threshold', 'nulls: { column: v }', /threshold/],
    ['negative count', 'nulls: { column: v, fail: -1 }', /negative/],
    ['bad percent', 'nulls: { column: v, fail: "abc%" }', /percent/],
    ['bad duration', 'freshness: { column: v, fail_after: 1.5h }', /duration/],
  ])('rejects %s as a validation error', async (_label, check, message) => {
    const dir = makeProject({
      'checks/t.yaml': `dataset: t
source: ../data/t.parquet
checks:
  - ${check}
`,
    });
    await writeData(dir, 'data/t.parquet', DATA);
    await expect(runProject(dir)).rejects.toThrow(message);
  });
});
