// A check's history points as data: fixed-width little-endian records in
// bucket order, the form both stores keep a check's recent hours in and hand
// to readers — reading them is indexing, not parsing, and cutting them to a
// window is a binary search.

import type { HistoryRow } from './store.js';

import { endianness } from 'node:os';

/**
 * One record: bucket start (epoch ms) | last value | min | max (float64; NaN stands for null) |
 * worst status rank | runs | failing runs (uint32) | 4 bytes of padding, so that every float64 of
 * every record is 8-byte aligned and a reader can look at the points as typed arrays.
 */
export const POINT_BYTES = 48;
const AT = 0;
const VALUE = 8;
const MIN = 16;
const MAX = 24;
const WORST = 32;
const RUNS = 36;
const FAILING = 40;
/** Typed arrays read in the machine's byte order: the packed form is little-endian. */
const NATIVE_LE = endianness() === 'LE';

const nullable = (v: number): number | null => (Number.isNaN(v) ? null : v);
const packed = (v: number | null): number => (v === null ? NaN : v);

export class HistoryPoints {
  /** `bytes` holds whole records, in bucket order (the caller's promise; from() and the stores keep it). */
  constructor(readonly bytes: Buffer) {}

  private views: { f64: Float64Array; u32: Uint32Array } | null | undefined;

  /**
   * The records as float64 and uint32 arrays (index = byte offset / 8 or / 4), for readers that go
   * through every point (a serializer); null on a big-endian machine (use the accessors). Copies the
   * bytes once when they are not 8-byte aligned in memory.
   */
  typed(): { f64: Float64Array; u32: Uint32Array } | null {
    if (this.views !== undefined) return this.views;
    if (!NATIVE_LE) return (this.views = null);
    let b = this.bytes;
    if (b.byteOffset % 8 !== 0) {
      const copy = new Uint8Array(new ArrayBuffer(b.length));
      copy.set(b);
      b = Buffer.from(copy.buffer);
    }
    const words = Math.floor(b.length / 8);
    this.views = { f64: new Float64Array(b.buffer, b.byteOffset, words), u32: new Uint32Array(b.buffer, b.byteOffset, words * 2) };
    return this.views;
  }

  static readonly EMPTY = new HistoryPoints(Buffer.alloc(0));

  static from(rows: ReadonlyArray<HistoryRow>): HistoryPoints {
    const out = Buffer.alloc(rows.length * POINT_BYTES);
    rows.forEach((r, i) => writePoint(out, i * POINT_BYTES, r));
    return new HistoryPoints(out);
  }

  get length(): number {
    return Math.floor(this.bytes.length / POINT_BYTES);
  }

  atMs(i: number): number { return this.bytes.readDoubleLE(i * POINT_BYTES + AT); }
  /** Last value in the bucket (null when it had none, or when it was NaN). */
  value(i: number): number | null { return nullable(this.bytes.readDoubleLE(i * POINT_BYTES + VALUE)); }
  min(i: number): number | null { return nullable(this.bytes.readDoubleLE(i * POINT_BYTES + MIN)); }
  max(i: number): number | null { return nullable(this.bytes.readDoubleLE(i * POINT_BYTES + MAX)); }
  worst(i: number): number { return this.bytes.readUInt32LE(i * POINT_BYTES + WORST); }
  runs(i: number): number { return this.bytes.readUInt32LE(i * POINT_BYTES + RUNS); }
  failing(i: number): number { return this.bytes.readUInt32LE(i * POINT_BYTES + FAILING); }

  row(i: number): HistoryRow {
    return {
      at: new Date(this.atMs(i)).toISOString(), value: this.value(i), min: this.min(i), max: this.max(i),
      worst: this.worst(i), runs: this.runs(i), failing: this.failing(i),
    };
  }

  rows(): HistoryRow[] {
    return Array.from({ length: this.length }, (_, i) => this.row(i));
  }

  /** Index of the first point whose bucket starts at or after `ms` (length when none does). */
  firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.atMs(mid) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The points whose bucket starts in [fromMs, toMs], as a view of these bytes. */
  between(fromMs: number, toMs: number): HistoryPoints {
    const start = this.firstAtOrAfter(fromMs);
    const end = this.firstAtOrAfter(toMs + 1);
    return start < end ? new HistoryPoints(this.bytes.subarray(start * POINT_BYTES, end * POINT_BYTES)) : HistoryPoints.EMPTY;
  }

  /** These points with `point` put in its place: replacing the one of the same bucket, or inserted in order. */
  with(point: HistoryRow): HistoryPoints {
    const ms = Date.parse(point.at);
    const i = this.firstAtOrAfter(ms);
    const same = i < this.length && this.atMs(i) === ms;
    const out = Buffer.alloc(this.bytes.length + (same ? 0 : POINT_BYTES));
    this.bytes.copy(out, 0, 0, i * POINT_BYTES);
    writePoint(out, i * POINT_BYTES, point);
    this.bytes.copy(out, (i + 1) * POINT_BYTES, (same ? i + 1 : i) * POINT_BYTES);
    return new HistoryPoints(out);
  }

  /** Both runs of points joined (`later` starts after this one ends). */
  concat(later: HistoryPoints): HistoryPoints {
    if (later.length === 0) return this;
    if (this.length === 0) return later;
    return new HistoryPoints(Buffer.concat([this.bytes, later.bytes]));
  }
}

/** Field offsets in a record, in bytes: for readers of typed(). */
export const FIELDS = { AT, VALUE, MIN, MAX, WORST, RUNS, FAILING } as const;

function writePoint(out: Buffer, offset: number, r: HistoryRow): void {
  out.writeDoubleLE(Date.parse(r.at), offset + AT);
  out.writeDoubleLE(packed(r.value), offset + VALUE);
  out.writeDoubleLE(packed(r.min), offset + MIN);
  out.writeDoubleLE(packed(r.max), offset + MAX);
  out.writeUInt32LE(r.worst, offset + WORST);
  out.writeUInt32LE(r.runs, offset + RUNS);
  out.writeUInt32LE(r.failing, offset + FAILING);
  out.writeUInt32LE(0, offset + FAILING + 4);
}
