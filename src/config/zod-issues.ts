// Turns zod issues into diagnostics that point at the offending key or value
// and say how to fix it ("did you mean …" for unknown keys).

import type { z } from 'zod';
import { didYouMean, type Diagnostic } from './diagnostics.js';
import { envPaths, locate, valueAt, type KeyPath, type YamlSource } from './yaml-source.js';

interface ZodDefLike {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** Keys an object at `path` inside `schema` may have (union members merged). */
export function keysAt(schema: z.ZodType, path: KeyPath): string[] {
  const out = new Set<string>();
  const walk = (s: z.ZodType, rest: KeyPath) => {
    const def = defOf(s);
    switch (def.type) {
      case 'optional': case 'default': case 'nullable': case 'prefault': case 'readonly': case 'catch':
        if (def.innerType) walk(def.innerType, rest);
        return;
      case 'pipe':
        if (def.in) walk(def.in, rest);
        return;
      case 'union':
        for (const o of def.options ?? []) walk(o, rest);
        return;
      case 'array':
        if (rest.length && typeof rest[0] === 'number' && def.element) walk(def.element, rest.slice(1));
        return;
      case 'record':
        if (rest.length && def.valueType) walk(def.valueType, rest.slice(1));
        return;
      case 'object': {
        const shape = def.shape ?? {};
        if (rest.length === 0) { for (const k of Object.keys(shape)) out.add(k); return; }
        const next = shape[String(rest[0])];
        if (next) walk(next, rest.slice(1));
        return;
      }
      default:
        return;
    }
  };
  walk(schema, path);
  return [...out];
}

export function zodIssuesToDiagnostics(
  src: YamlSource,
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  prefix: KeyPath = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const unset = envPaths(src);
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as Array<string | number>)];
    if (unset.has(JSON.stringify(path))) continue;
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, issue.path as KeyPath);
      for (const key of issue.keys) {
        const pos = locate(src, [...path, key], true);
        const hint = didYouMean(key, allowed) || (allowed.length ? ` — allowed here: ${allowed.join(', ')}` : '');
        out.push({ file: src.file, ...pos, severity: 'error', path: [...path, key], message: `unknown key '${key}'${hint}` });
      }
      continue;
    }
    const last = path.length ? path[path.length - 1] : undefined;
    let message = issue.message;
    const generic = /^Invalid input/.test(message);
    if (issue.code !== 'custom' && path.length > 0 && valueAt(src.value, path) === undefined && typeof last === 'string') {
      message = generic ? `missing required key '${last}'` : `missing required key '${last}': ${message}`;
    } else if (/^Invalid input: expected (\w+), received (\w+)$/.test(message) && last !== undefined) {
      message = `${String(last)}: ${message.replace('Invalid input: ', '')}`;
    } else if (typeof last === 'string' && !message.includes(last)) {
      message = `${last}: ${message}`;
    }
    const pos = locate(src, path);
    out.push({ file: src.file, ...pos, severity: 'error', path, message });
  }
  return out;
}
