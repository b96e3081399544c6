// Robust statistics for the anomaly method: medians, MAD and the Theil–Sen
// line, which one bad point (or a few) cannot drag the way a mean or least squares can.

/** The median of `xs` (NaN for none). Does not modify `xs`. */
export function median(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** 1.4826 × the median absolute deviation: estimates σ of normal noise, ignoring up to half the points. */
export function madSigma(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

/** Pairs of points a Theil–Sen slope looks at, at most; above it, pairs are taken at evenly spread lags. */
const MAX_PAIRS = 4000;

/**
 * The Theil–Sen slope of y over t: the median of the slopes of pairs of points.
 * Up to ~29% of the points can be anywhere without moving it far. 0 with fewer than 2 distinct t.
 */
export function theilSenSlope(t: readonly number[], y: readonly number[]): number {
  const n = t.length;
  const slopes: number[] = [];
  const all = (n * (n - 1)) / 2;
  if (all <= MAX_PAIRS) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dt = t[j]! - t[i]!;
        if (dt !== 0) slopes.push((y[j]! - y[i]!) / dt);
      }
    }
  } else {
    // Deterministic subsample: every pair at a few lags spread over 1..n-1. Long lags carry the
    // slope best, so the lags are spread evenly rather than taken from the short end.
    const lags = Math.max(1, Math.floor(MAX_PAIRS / n));
    for (let k = 1; k <= lags; k++) {
      const lag = Math.max(1, Math.round((k * (n - 1)) / (lags + 1)));
      for (let i = 0; i + lag < n; i++) {
        const dt = t[i + lag]! - t[i]!;
        if (dt !== 0) slopes.push((y[i + lag]! - y[i]!) / dt);
      }
    }
  }
  return slopes.length === 0 ? 0 : median(slopes);
}
