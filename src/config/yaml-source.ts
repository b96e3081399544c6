// A YAML file parsed with positions kept, so that any problem found later
// (by zod, by a cross-check, by the data) can point at file:line:col.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { MAX_YAML_BYTES } from './files.js';

export type KeyPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Plain JS value after ${ENV} interpolation. */
  value: unknown;
  diagnostics: Diagnostic[];
  /** ${…} references by source offset (masked while parsing). */
  refs?: Array<{ start: number; text: string }>;
}

/**
 * ${…} references are replaced by the same number of private-use characters
 * before parsing: "{" and "}" would otherwise end a flow mapping
 * (dashboard: { token: ${TOKEN} }), and equal length keeps every position
 * exact. Each scalar gets its references back when it is converted.
 */
const MASK = '\uE000';

let interpolations = 0;

/** How many scalars had ${…} replaced so far in this process (the project cache keeps no load that read the environment). */
export function interpolationCount(): number {
  return interpolations;
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Limits that keep one hostile or broken file from taking a process down: a check file
 * describes one dataset, so a megabyte is far more than any needs; aliases may repeat a
 * shared block (thresholds, tags) but not multiply it into millions of values (an alias
 * bomb of a few hundred bytes expands to 10^9); nesting deeper than any vigil file uses
 * is refused before it can exhaust the stack.
 */
export const YAML_LIMITS = { maxBytes: MAX_YAML_BYTES, maxAliasedValues: 100_000, maxDepth: 64 } as const;

/** A file that is not read: one diagnostic (at 1:1 unless given) and no value. */
function unreadable(file: string, message: string, at: { line: number; col: number } = { line: 1, col: 1 }): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument('', { lineCounter });
  return { file, doc, lineCounter, value: undefined, diagnostics: [{ file, ...at, severity: 'error', message }] };
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Reads at most YAML_LIMITS.maxBytes (+1, to tell a file that is too big) of a regular
 * file: a check file that is a FIFO, a device or a link to /dev/zero is refused instead of
 * read forever, and one that grows while being read is cut at the limit and refused.
 */
function readCapped(file: string): { text: string } | { problem: string } {
  let fd: number;
  try {
    // Non-blocking: opening a named pipe for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: `cannot read file: ${code === 'ENOENT' ? 'file not found' : String(err)}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: 'cannot read file: not a regular file (a folder, a pipe or a device) — vigil reads YAML from plain files only' };
    const limit = YAML_LIMITS.maxBytes;
    const tooBig = (size: number) => `file is ${megabytes(size)}: vigil reads YAML files of at most ${megabytes(limit)} — a check file describes one dataset; split it into several files, or move long lists out of it`;
    if (st.size > limit) return { problem: tooBig(st.size) };
    const buf = Buffer.alloc(limit + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > limit) return { problem: tooBig(got) };
    }
    return { text: buf.subarray(0, got).toString('utf8') };
  } catch (err) {
    return { problem: `cannot read file: ${String(err)}` };
  } finally {
    closeSync(fd);
  }
}

export function readYamlFile(file: string, env: NodeJS.ProcessEnv): YamlSource {
  const read = readCapped(file);
  if ('problem' in read) return unreadable(file, read.problem);
  return parseYamlText(file, read.text, env);
}

/**
 * The offset where [ and { nest deeper than `max`, or null. Quoted strings and comments are
 * skipped; a bracket inside a plain scalar may be miscounted, which only matters past `max`,
 * a depth no real file reaches. Checked before parsing: the parser takes seconds to run out
 * of stack on a file of a few hundred thousand brackets.
 */
function flowNestingBeyond(text: string, max: number): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      for (i++; i < text.length && text[i] !== ch; i++) if (ch === '"' && text[i] === '\\') i++;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > max) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth--;
    }
  }
  return null;
}

const TOO_DEEP = `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep — no vigil file needs that; flatten it`;

/** A limit of YAML_LIMITS crossed while converting: reported at `offset`, the file gets no value. */
class YamlLimitError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export function parseYamlText(file: string, text: string, env: NodeJS.ProcessEnv): YamlSource {
  if (Buffer.byteLength(text, 'utf8') > YAML_LIMITS.maxBytes) {
    return unreadable(file, `file is ${megabytes(Buffer.byteLength(text, 'utf8'))}: vigil reads YAML files of at most ${megabytes(YAML_LIMITS.maxBytes)} — split it into several files`);
  }
  const lineCounter = new LineCounter();
  const refs: Array<{ start: number; text: string }> = [];
  const masked = text.replace(ENV_RE, (whole: string, _name: string, _fallback: string | undefined, offset: number) => {
    refs.push({ start: offset, text: whole });
    return MASK.repeat(whole.length);
  });
  const deep = flowNestingBeyond(masked, YAML_LIMITS.maxDepth);
  if (deep !== null) {
    // The line counter fills while parsing: count the lines before the offset here.
    const before = masked.slice(0, deep);
    const line = before.split('\n').length;
    return unreadable(file, TOO_DEEP, { line, col: deep - before.lastIndexOf('\n') });
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // The parser recurses per nesting level: a file of 100,000 '[' ends its stack.
    if (err instanceof RangeError) return unreadable(file, TOO_DEEP);
    throw err;
  }
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    diagnostics.push({
      file, line: pos.line, col: pos.col, severity: 'error',
      message: `YAML syntax error: ${firstLine(e.message)}`,
    });
  }
  if (doc.errors.length > 0) return { file, doc, lineCounter, value: undefined, diagnostics };
  const src: YamlSource = { file, doc, lineCounter, value: undefined, diagnostics, refs };
  try {
    src.value = toValue({ src, env, aliased: 0, expanding: new Set(), targets: aliasTargets(doc) }, doc.contents as Node | null, [], 0);
  } catch (err) {
    if (!(err instanceof YamlLimitError)) throw err;
    const pos = lineCounter.linePos(err.offset);
    diagnostics.push({ file, line: pos.line, col: pos.col, severity: 'error', message: err.message });
    src.value = undefined;
  }
  return src;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

interface Conversion {
  src: YamlSource;
  env: NodeJS.ProcessEnv;
  /** Values produced under an alias so far (YAML_LIMITS.maxAliasedValues). */
  aliased: number;
  /** Anchored nodes being expanded through an alias right now: one met again refers to itself. */
  expanding: Set<Node>;
  targets: Map<Alias, Node>;
}

/**
 * What each alias refers to: the last node anchored with its name before it, found in one
 * pass (Alias.resolve() walks the whole document for every alias it resolves).
 */
function aliasTargets(doc: Document.Parsed): Map<Alias, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}

/**
 * Converts the document to plain values, interpolating ${VAR} in string scalars. Every value
 * reached through an alias counts against YAML_LIMITS.maxAliasedValues, so a document's size
 * after expansion is bounded however the aliases nest.
 */
function toValue(c: Conversion, node: Node | null, path: Array<string | number>, depth: number, alias: number | null = null): unknown {
  if (node === null || node === undefined) return null;
  const offset = node.range?.[0] ?? 0;
  if (depth > YAML_LIMITS.maxDepth) {
    throw new YamlLimitError(TOO_DEEP, offset);
  }
  // Reported at the outermost alias being expanded: the one written where the value is used.
  if (alias !== null && ++c.aliased > YAML_LIMITS.maxAliasedValues) {
    throw new YamlLimitError(`YAML aliases expand to more than ${YAML_LIMITS.maxAliasedValues.toLocaleString('en-US')} values (an alias bomb?) — `
      + 'use an alias to repeat a small block such as shared thresholds, not to multiply lists', alias);
  }
  if (isAlias(node)) {
    const target = c.targets.get(node);
    if (!target) return null;
    if (c.expanding.has(target)) throw new YamlLimitError(`YAML alias *${node.source} refers to a block that contains it, which would never end — remove the alias`, offset);
    c.expanding.add(target);
    try {
      return toValue(c, target, path, depth + 1, alias ?? offset);
    } finally {
      c.expanding.delete(target);
    }
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = toValue(c, pair.value as Node | null, [...path, key], depth + 1, alias);
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => toValue(c, item as Node | null, [...path, i], depth + 1, alias));
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string' && v.includes(MASK)) return interpolate(c.src, node, v, path, c.env);
    return v;
  }
  return (node as { toJSON?: () => unknown }).toJSON?.() ?? null;
}

/**
 * Replaces ${VAR} and ${VAR:-default}. An unset variable is reported at its
 * position and its reference is left as written, so the schema does not
 * report the same value a second time. A plain (unquoted) scalar that is a
 * single reference takes the type of what it expands to: port: ${PORT:-8080}.
 */
function interpolate(src: YamlSource, node: Node, text: string, path: KeyPath, env: NodeJS.ProcessEnv): string {
  interpolations++;
  const [from, , to] = node.range ?? [0, 0, 0];
  let out = text;
  for (const ref of (src.refs ?? []).filter((r) => r.start >= from && r.start < to)) {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(ref.text);
    const name = m?.[1] as string;
    const fallback = m?.[2];
    const value = env[name];
    let replacement: string;
    if (value !== undefined && value !== '') replacement = value;
    else if (fallback !== undefined) replacement = fallback;
    else {
      const pos = src.lineCounter.linePos(ref.start);
      src.diagnostics.push({
        line: pos.line, col: pos.col, file: src.file, severity: 'error', path, envVar: name,
        message: `environment variable ${name} is not set — export ${name}=… or write \${${name}:-default}`,
      });
      replacement = ref.text;
    }
    out = out.replace(MASK.repeat(ref.text.length), () => replacement);
  }
  return out;
}

/** Paths holding an unset ${VAR}: schema issues there repeat the env error. */
export function envPaths(src: YamlSource): Set<string> {
  return new Set(src.diagnostics.filter((d) => d.envVar !== undefined).map((d) => JSON.stringify(d.path ?? [])));
}

/** The plain value at `path`, or undefined when it is not there. */
export function valueAt(root: unknown, path: KeyPath): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function positionOf(src: YamlSource, node: { range?: [number, number, number] | null } | null | undefined): { line: number; col: number } {
  const offset = node?.range?.[0] ?? 0;
  const p = src.lineCounter.linePos(offset);
  return { line: p.line, col: p.col };
}

/**
 * Position of the value at `path` (or of its key when `key` is true). Falls
 * back to the deepest node that exists, so a missing key points at its parent.
 */
export function locate(src: YamlSource, path: KeyPath, key = false): { line: number; col: number } {
  let node: Node | null = src.doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
      if (node === null) { node = keyNode; }
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      keyNode = null;
      node = item;
    } else {
      break;
    }
  }
  if (key && keyNode) return positionOf(src, keyNode);
  return positionOf(src, node);
}

/** Position of the first scalar (key or value) equal to `text` below `path`. */
export function findScalar(src: YamlSource, path: KeyPath, text: string): { line: number; col: number } | undefined {
  let node: Node | null = src.doc.contents as Node | null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      node = (pair?.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = (node.items[seg] as Node | undefined) ?? null;
    } else {
      return undefined;
    }
  }
  const search = (n: Node | null): Node | undefined => {
    if (!n) return undefined;
    if (isScalar(n)) return String(n.value) === text ? n : undefined;
    if (isMap(n)) {
      for (const p of n.items) {
        const hit = search(p.key as Node) ?? search(p.value as Node | null);
        if (hit) return hit;
      }
    }
    if (isSeq(n)) for (const i of n.items) { const hit = search(i as Node); if (hit) return hit; }
    return undefined;
  };
  const hit = search(node);
  return hit ? positionOf(src, hit) : undefined;
}
