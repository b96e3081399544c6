// A check's history points as the API's JSON (HistoryPoint[] in api-types.ts),
// written straight from the packed points into the bytes sent: byte for byte
// what JSON.stringify makes of the objects, without building them or any
// string per point (a 30-day chart is 720 points; every request of a cold
// chart pays this).

import { FIELDS, HistoryPoints, POINT_BYTES } from '../store/history-points.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const F64 = POINT_BYTES / 8;
const U32 = POINT_BYTES / 4;
const ascii = (s: string) => Buffer.from(s, 'latin1');
const STATUS = ['pass', 'warn', 'fail', 'error'].map((s) => ascii(`,"status":"${s}","runs":`));
const HOURS = Array.from({ length: 24 }, (_, h) => ascii(`${h < 10 ? '0' : ''}${h}:00:00.000Z","value":`));
const OPEN_POINT = ascii('{"at":"');
const NEXT_POINT = ascii(',{"at":"');
const MIN = ascii(',"min":');
const MAX = ascii(',"max":');
const NULL = ascii('null');
/** The most a point takes besides its numbers (each at most 24 characters as JSON.stringify writes it). */
const POINT_MAX = 8 + 24 + 21 + 7 + 7 + 20 + 10 + 1 + 4 * 24;

/** Bytes written into a buffer that grows as needed. */
class Bytes {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A short fragment, byte by byte (a native copy costs more than the loop for a few bytes). */
  put(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let j = 0; j < b.length; j++) buf[p++] = b[j] as number;
    this.pos = p;
  }

  text(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  /** A number as JSON.stringify writes it: integers digit by digit, the rest by String(). */
  num(v: number): void {
    if (v - v !== 0) { this.put(NULL); return; } // NaN (the store's null), ±Infinity
    if (Number.isSafeInteger(v)) { this.int(v); return; }
    this.pos += this.buf.write(String(v), this.pos, 'latin1');
  }

  int(v: number): void {
    const buf = this.buf;
    if (v < 0) { buf[this.pos++] = 45; v = -v; }
    if (v < 10) { buf[this.pos++] = 48 + v; return; }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (v >= 10) { const q = Math.floor(v / 10); buf[--p] = 48 + (v - q * 10); v = q; }
    buf[--p] = 48 + v;
  }
}

/** `head` (JSON text), then the points as a JSON array `[{"at":…,"value":…,"min":…,"max":…,"status":…,"runs":…}, …]`, then `tail`. */
export function historyBody(head: string, points: HistoryPoints, tail: string): Buffer {
  const n = points.length;
  const out = new Bytes(Buffer.byteLength(head) + tail.length + 2 + n * 110);
  out.text(head);
  out.ensure(1);
  out.buf[out.pos++] = 91; // [
  const typed = points.typed();
  const f64 = (i: number, offset: number) => (typed ? (typed.f64[i * F64 + offset / 8] as number) : points.bytes.readDoubleLE(i * POINT_BYTES + offset));
  const u32 = (i: number, offset: number) => (typed ? (typed.u32[i * U32 + offset / 4] as number) : points.bytes.readUInt32LE(i * POINT_BYTES + offset));
  // Whole-hour buckets share their day's prefix: toISOString() once per day, not once per point.
  let dayStart = NaN;
  let dayPrefix = Buffer.alloc(0);
  for (let i = 0; i < n; i++) {
    out.ensure(POINT_MAX);
    out.put(i ? NEXT_POINT : OPEN_POINT);
    const ms = f64(i, FIELDS.AT);
    if (ms % HOUR_MS === 0) {
      if (!(ms >= dayStart && ms < dayStart + DAY_MS)) {
        dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
        dayPrefix = ascii(new Date(ms).toISOString().slice(0, 11));
      }
      out.put(dayPrefix);
      out.put(HOURS[(ms - dayStart) / HOUR_MS] as Buffer);
    } else {
      out.pos += out.buf.write(`${new Date(ms).toISOString()}","value":`, out.pos, 'latin1');
    }
    out.num(f64(i, FIELDS.VALUE));
    out.put(MIN);
    out.num(f64(i, FIELDS.MIN));
    out.put(MAX);
    out.num(f64(i, FIELDS.MAX));
    out.put(STATUS[u32(i, FIELDS.WORST)] ?? (STATUS[3] as Buffer));
    out.int(u32(i, FIELDS.RUNS));
    out.buf[out.pos++] = 125; // }
  }
  out.ensure(1 + tail.length);
  out.buf[out.pos++] = 93; // ]
  out.text(tail);
  return out.buf.subarray(0, out.pos);
}

/** The points alone as their JSON array. */
export function historyPointsJson(points: HistoryPoints): string {
  return historyBody('', points, '').toString('latin1');
}
