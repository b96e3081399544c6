// One formatter for durations, counts and values: the CLI's table, an alert's
// "observed" text, a check's message and the dashboard (which loads the same
// compiled module) must write one value the same way.

import { describe, expect, it } from 'vitest';
import { formatObserved, observedVsThreshold } from '../src/alerts/message.js';
import type { NotificationItem } from '../src/alerts/routing.js';
import { formatResultValue } from '../src/cli/output.js';
import { countOf, durationAxisUnit, formatDuration, formatValue } from '../src/util/format.js';

describe('one formatter', () => {
  it('a freshness age of 2436d 21h reads the same in the table and in the alert (it was "348w" and "2436d 21h")', () => {
    const age = 2436 * 86400 + 21 * 3600 + 12;
    expect(formatResultValue({ value: age, unit: 'seconds' })).toBe('2436d 21h');
    expect(formatObserved({ value: age, unit: 'seconds' })).toBe('2436d 21h');
    const item = { value: age, unit: 'seconds', thresholds: { warn_after: '2h', fail_after: '1d' } } as unknown as NotificationItem;
    expect(observedVsThreshold(item)).toBe('observed 2436d 21h; fail above 1d, warn above 2h');
  });

  it('counts take their noun in the singular for exactly one', () => {
    expect(formatValue(1, 'rows')).toBe('1 row');
    expect(formatValue(0, 'rows')).toBe('0 rows');
    expect(formatValue(50036, 'rows')).toBe('50,036 rows');
    expect(formatValue(1, 'columns')).toBe('1 column');
    expect(formatValue(1, 'seconds')).toBe('1s');
    expect(formatValue(0.25, 'value')).toBe('0.25');
    expect(formatValue(null, 'rows')).toBe('—');
    expect(countOf(1, 'duplicate row')).toBe('1 duplicate row');
    expect(countOf(1000, 'row')).toBe('1000 rows'); // messages keep SPEC's plain digits
  });

  it('durations: two adjacent units at most, days the largest, the second one dropped when zero', () => {
    expect(formatDuration(59.6)).toBe('1m');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(90061)).toBe('1d 1h');
    expect(formatDuration(-90)).toBe('-1m 30s');
    expect(formatDuration(-0.2)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('—');
  });

  it('a chart of durations picks one axis unit from its largest value', () => {
    expect(durationAxisUnit(30)).toEqual({ unit: 'seconds', size: 1 });
    expect(durationAxisUnit(6 * 3600)).toEqual({ unit: 'hours', size: 3600 });
    expect(durationAxisUnit(4166 * 86400)).toEqual({ unit: 'days', size: 86400 });
  });
});
