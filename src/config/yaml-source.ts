// A YAML file parsed with positions kept, so that any problem found later
// (by zod, by a cross-check, by the data) can point at file:line:col.

import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

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

export function readYamlFile(file: string, env: NodeJS.ProcessEnv): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const lineCounter = new LineCounter();
    const doc = parseDocument('', { lineCounter });
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    return {
      file, doc, lineCounter, value: undefined,
      diagnostics: [{ file, line: 1, col: 1, severity: 'error', message: `cannot read file: ${reason}` }],
    };
  }
  return parseYamlText(file, text, env);
}

export function parseYamlText(file: string, text: string, env: NodeJS.ProcessEnv): YamlSource {
  const lineCounter = new LineCounter();
  const refs: Array<{ start: number; text: string }> = [];
  const masked = text.replace(ENV_RE, (whole: string, _name: string, _fallback: string | undefined, offset: number) => {
    refs.push({ start: offset, text: whole });
    return MASK.repeat(whole.length);
  });
  const doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
  src.value = toValue(src, doc.contents as Node | null, [], env);
  return src;
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

/** Converts the document to plain values, interpolating ${VAR} in string scalars. */
function toValue(src: YamlSource, node: Node | null, path: Array<string | number>, env: NodeJS.ProcessEnv): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toValue(src, node.resolve(src.doc) as Node | null, path, env);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = toValue(src, pair.value as Node | null, [...path, key], env);
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => toValue(src, item as Node | null, [...path, i], env));
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string' && v.includes(MASK)) return interpolate(src, node, v, path, env);
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
