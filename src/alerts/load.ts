// Loads the alert files (alerts: in vigil.yaml, a folder or list of folders):
// validates each with positions, then merges them (channel names unique across
// files, routes in file order, one policy) and cross-checks route channels.
// A file with errors is left out, like an invalid check file.

import path from 'node:path';
import { isDirectory, listYamlFiles } from '../config/files.js';
import { didYouMean, type Diagnostic } from '../config/diagnostics.js';
import { parseDuration } from '../config/duration.js';
import type { Position } from '../config/model.js';
import type { Config } from '../config/schema.js';
import { zodIssuesToDiagnostics } from '../config/zod-issues.js';
import { locate, readYamlFile, type KeyPath } from '../config/yaml-source.js';
import {
  CHANNEL_TYPES, PAGERDUTY_EVENTS_URL, alertFileSchema, channelSchemas, emptyAlerts, toMatch,
  type AlertsConfig, type ChannelDef, type ChannelType, type RouteDef, type SilenceDef,
} from './schema.js';

interface FileAlerts {
  file: string;
  channels: ChannelDef[];
  routes: RouteDef[];
  policy?: { pos: Position; minStatus?: 'warn' | 'fail'; repeatIntervalSeconds?: number; sendResolved?: boolean; groupWindowSeconds?: number };
  silences: SilenceDef[];
  /** Route channel references, checked once every file's channels are known. */
  refs: Array<{ name: string; pos: Position; path: KeyPath }>;
  /** Channel names written in the file, valid entries or not (so a broken channel is reported once, not at each route). */
  declared: string[];
}

export interface AlertsLoad {
  alerts: AlertsConfig;
  invalidFiles: string[];
}

/**
 * `folders` are relative to `root`; `explicit` says whether vigil.yaml named
 * them (a missing default alerts/ folder just means no alerting).
 */
export function loadAlerts(root: string, config: Config, explicit: { file: string; pos: { line: number; col: number } } | null,
  env: NodeJS.ProcessEnv, diagnostics: Diagnostic[], now = new Date()): AlertsLoad {
  const alerts = emptyAlerts();
  const folders = Array.isArray(config.alerts) ? config.alerts : [config.alerts];
  const files: string[] = [];
  for (const folder of folders) {
    const dir = path.resolve(root, folder);
    if (!isDirectory(dir)) {
      if (explicit) {
        diagnostics.push({ file: explicit.file, ...explicit.pos, severity: 'warning', path: ['alerts'],
          message: `alerts folder ${folder} not found (looked in ${dir}) — no alerts will be sent; create it or remove alerts: from vigil.yaml` });
      }
      continue;
    }
    files.push(...listYamlFiles(dir));
  }
  alerts.files = files;

  const invalidFiles: string[] = [];
  const loaded: FileAlerts[] = [];
  const all: FileAlerts[] = [];
  for (const file of files) {
    const problems: Diagnostic[] = [];
    const fa = loadAlertFile(file, env, problems, now);
    diagnostics.push(...problems);
    if (fa) all.push(fa);
    if (problems.some((p) => p.severity === 'error') || !fa) invalidFiles.push(file);
    else loaded.push(fa);
  }

  // Merge: channel names are unique across files.
  const channelAt = new Map<string, ChannelDef>();
  const dropped = new Set<string>();
  for (const fa of loaded) {
    for (const ch of fa.channels) {
      const other = channelAt.get(ch.name);
      if (other) {
        diagnostics.push({ ...ch.pos, severity: 'error', path: ['channels'],
          message: `channel ${ch.name} is already defined at ${path.relative(root, other.pos.file)}:${other.pos.line} — channel names must be unique across alert files` });
        dropped.add(fa.file);
      } else channelAt.set(ch.name, ch);
    }
  }
  // Route references: unknown channel names are errors (with did you mean), also across files.
  const names = [...new Set(all.flatMap((fa) => fa.declared))];
  for (const fa of all) {
    for (const ref of fa.refs) {
      if (!names.includes(ref.name)) {
        diagnostics.push({ ...ref.pos, severity: 'error', path: ref.path,
          message: `unknown channel '${ref.name}'${didYouMean(ref.name, names) || (names.length ? ` — channels are: ${names.join(', ')}` : ' — define it under channels: in an alert file')}` });
        dropped.add(fa.file);
      }
    }
  }
  let policyFrom: FileAlerts | undefined;
  for (const fa of loaded) {
    if (!fa.policy) continue;
    if (policyFrom?.policy) {
      diagnostics.push({ ...fa.policy.pos, severity: 'error', path: ['policy'],
        message: `policy is already set in ${path.relative(root, policyFrom.file)}:${policyFrom.policy.pos.line} — write policy: in one alert file only` });
      dropped.add(fa.file);
    } else policyFrom = fa;
  }

  for (const fa of loaded) {
    if (dropped.has(fa.file)) { invalidFiles.push(fa.file); continue; }
    alerts.channels.push(...fa.channels);
    alerts.routes.push(...fa.routes);
    alerts.silences.push(...fa.silences);
    if (fa === policyFrom && fa.policy) {
      if (fa.policy.minStatus) alerts.policy.minStatus = fa.policy.minStatus;
      if (fa.policy.repeatIntervalSeconds !== undefined) alerts.policy.repeatIntervalSeconds = fa.policy.repeatIntervalSeconds;
      if (fa.policy.sendResolved !== undefined) alerts.policy.sendResolved = fa.policy.sendResolved;
      if (fa.policy.groupWindowSeconds !== undefined) alerts.policy.groupWindowSeconds = fa.policy.groupWindowSeconds;
    }
  }
  // Routes of a dropped file may name channels that stayed: only the kept routes count.
  const kept = new Set(alerts.channels.map((c) => c.name));
  alerts.routes = alerts.routes.filter((r) => r.channels.every((c) => kept.has(c)));
  return { alerts, invalidFiles };
}

function loadAlertFile(file: string, env: NodeJS.ProcessEnv, problems: Diagnostic[], now: Date): FileAlerts | undefined {
  const src = readYamlFile(file, env);
  problems.push(...src.diagnostics);
  if (src.value === undefined) return undefined;
  // An empty file or one with only comments (like vigil init's) is no alerting, not an error.
  if (src.value === null) return { file, channels: [], routes: [], silences: [], refs: [], declared: [] };
  if (typeof src.value !== 'object' || Array.isArray(src.value)) {
    problems.push({ file, line: 1, col: 1, severity: 'error', message: 'an alert file is a mapping with channels:, routes:, policy: and silences: (all optional)' });
    return undefined;
  }
  const at = (p: KeyPath, key = false): Position => ({ file, ...locate(src, p, key) });
  const err = (p: KeyPath, message: string, key = false) => problems.push({ ...at(p, key), severity: 'error', path: p, message });

  const parsed = alertFileSchema.safeParse(src.value);
  if (!parsed.success) problems.push(...zodIssuesToDiagnostics(src, alertFileSchema, parsed.error.issues));
  const raw = src.value as Record<string, unknown>;
  const out: FileAlerts = { file, channels: [], routes: [], silences: [], refs: [], declared: [] };
  for (const c of Array.isArray(raw.channels) ? raw.channels : []) {
    const n = (c as { name?: unknown } | null)?.name;
    if (typeof n === 'string') out.declared.push(n);
  }
  (Array.isArray(raw.routes) ? raw.routes : []).forEach((r, i) => {
    const chans = (r as { channels?: unknown } | null)?.channels;
    if (!Array.isArray(chans)) return;
    chans.forEach((name, j) => {
      if (typeof name === 'string') out.refs.push({ name, pos: at(['routes', i, 'channels', j]), path: ['routes', i, 'channels', j] });
    });
  });

  // Channels: the type picks the schema, so errors speak of that type's keys only.
  const seen = new Map<string, Position>();
  (Array.isArray(raw.channels) ? raw.channels : []).forEach((entry, i) => {
    const p: KeyPath = ['channels', i];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      err(p, `each channel is a mapping with name:, type: (${CHANNEL_TYPES.join(', ')}) and the type's settings`);
      return;
    }
    const type = (entry as { type?: unknown }).type;
    if (typeof type !== 'string' || !(CHANNEL_TYPES as readonly string[]).includes(type)) {
      err([...p, 'type'], type === undefined ? `missing required key 'type': ${CHANNEL_TYPES.join(', ')}`
        : `unknown channel type '${String(type)}'${didYouMean(String(type), CHANNEL_TYPES) || ` — types are ${CHANNEL_TYPES.join(', ')}`}`);
      return;
    }
    const schema = channelSchemas[type as ChannelType];
    const res = schema.safeParse(entry);
    if (!res.success) {
      problems.push(...zodIssuesToDiagnostics(src, schema, res.error.issues, p));
      return;
    }
    const c = res.data;
    const pos = at([...p, 'name']);
    const dup = seen.get(c.name);
    if (dup) { err([...p, 'name'], `channel ${c.name} is defined twice in this file (also at line ${dup.line}) — channel names must be unique`); return; }
    seen.set(c.name, pos);
    if (c.type === 'slack') out.channels.push({ name: c.name, type: 'slack', webhookUrl: c.webhook_url, pos });
    else if (c.type === 'email') out.channels.push({ name: c.name, type: 'email', smtpUrl: c.smtp_url, from: c.from, to: Array.isArray(c.to) ? c.to : [c.to], pos });
    else if (c.type === 'pagerduty') out.channels.push({ name: c.name, type: 'pagerduty', routingKey: c.routing_key, url: c.url ?? PAGERDUTY_EVENTS_URL, pos });
    else if (c.type === 'webhook') out.channels.push({ name: c.name, type: 'webhook', url: c.url, secret: c.secret ?? null, headers: c.headers ?? {}, pos });
    else {
      const target = c.path !== undefined ? path.resolve(path.dirname(file), c.path) : null;
      out.channels.push({ name: c.name, type: 'file', path: target, stderr: c.stderr ?? target === null, pos });
    }
  });

  if (!parsed.success) return out;
  const data = parsed.data;
  (data.routes ?? []).forEach((r, i) => {
    const route: RouteDef = { match: r.match ? toMatch(r.match) : null, channels: r.channels, continue: r.continue ?? false, pos: at(['routes', i]) };
    out.routes.push(route);
  });
  // A route after a catch-all without continue can never match.
  const catchAll = out.routes.findIndex((r) => r.match === null && !r.continue);
  if (catchAll >= 0 && catchAll < out.routes.length - 1) {
    problems.push({ ...at(['routes', catchAll + 1]), severity: 'warning', path: ['routes', catchAll + 1],
      message: `this route is never reached: the route above (line ${out.routes[catchAll]?.pos.line}) has no match: and no continue: true, so it takes every notification` });
  }
  if (data.policy) {
    const p = data.policy;
    out.policy = { pos: at(['policy'], true) };
    if (p.min_status) out.policy.minStatus = p.min_status;
    if (p.repeat_interval !== undefined) out.policy.repeatIntervalSeconds = parseDuration(p.repeat_interval) ?? 4 * 3600;
    if (p.send_resolved !== undefined) out.policy.sendResolved = p.send_resolved;
    if (p.group_window !== undefined) out.policy.groupWindowSeconds = parseDuration(p.group_window) ?? 3600;
  }
  (data.silences ?? []).forEach((s, i) => {
    const until = new Date(s.until).toISOString();
    if (Date.parse(until) <= now.getTime()) {
      problems.push({ ...at(['silences', i, 'until']), severity: 'warning', path: ['silences', i, 'until'],
        message: `this silence ended at ${until} and mutes nothing now — remove it or move until: later` });
    }
    if (Object.keys(s.match).length === 0) {
      err(['silences', i, 'match'], 'a silence needs a non-empty match (e.g. { dataset: legacy_events }) — an empty one would mute every alert');
      return;
    }
    out.silences.push({ match: toMatch(s.match), until, reason: s.reason, pos: at(['silences', i]) });
  });
  return out;
}
