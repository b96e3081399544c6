// vigil ack / vigil silence add|list|expire: on call without editing files.
// Through a running `vigil serve` when there is one (it holds the store), else
// on the store directly; both take the same path (src/alerts/oncall.ts).
// Exit codes: 0 done, 1 nothing to do it on (unknown, ambiguous, resolved), 3 usage.

import { existsSync } from 'node:fs';
import os from 'node:os';
import { acknowledgeIncident, expireSilence, listSilences, newSilence, storedSilenceJson, whoOf, type SilenceJson } from '../alerts/oncall.js';
import { loadProject } from '../config/loader.js';
import type { Project } from '../config/model.js';
import { openRuntime } from '../run/runtime.js';
import { storeMayExist } from '../store/open.js';
import type { Store } from '../store/store.js';
import { incidentJson } from '../server/incidents-api.js';
import type { IncidentJson } from '../server/api-types.js';
import { createLogger } from '../util/log.js';
import { formatDuration } from '../util/format.js';
import { daemonRequest, findDaemon, type DaemonHandle } from './daemon-client.js';
import { colors, table, writeJson } from './output.js';
import { deliverAlerts } from './run.js';

interface Common { config?: string; json?: boolean; by?: string }

/** --by, else $VIGIL_USER, else the login name. */
function defaultBy(by: string | undefined): string {
  let login = 'cli';
  try { login = os.userInfo().username || login; } catch { /* no passwd entry */ }
  return whoOf(by, whoOf(process.env.VIGIL_USER, login));
}

function fail(json: boolean | undefined, message: string, code = 1): number {
  if (json) writeJson({ error: message });
  else process.stderr.write(`vigil: ${message}\n`);
  return code;
}

/** Runs `direct` on the store, or `viaDaemon` when a vigil serve of this project holds it. */
async function withStore(opts: Common, viaDaemon: (d: DaemonHandle, project: Project) => Promise<number>,
  direct: (store: Store, project: Project) => Promise<number>, needsStore = true): Promise<number> {
  const { project } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const daemon = await findDaemon(project);
  if (daemon) return viaDaemon(daemon, project);
  if (needsStore && !storeMayExist(project.storePath, existsSync)) return fail(opts.json, `no store yet at ${project.storePath} — run vigil run first`);
  const log = createLogger();
  const runtime = await openRuntime(project, { log });
  try {
    return await direct(runtime.store, project);
  } finally {
    await runtime.close();
  }
}

function ackLine(i: IncidentJson, outcome: string): string {
  const a = i.acknowledged;
  if (outcome === 'already' && a) return `${i.id} ${i.check} (${i.status}) was already acknowledged by ${a.by} at ${a.at}${a.reason ? `: ${a.reason}` : ''}`;
  return `acknowledged ${i.id} ${i.check} (${i.status}) as ${a?.by ?? '?'}${a?.reason ? `: ${a.reason}` : ''} — no more reminders; it still escalates and resolves`;
}

export async function ackCommand(incident: string, opts: Common & { reason?: string }): Promise<number> {
  const by = defaultBy(opts.by);
  const reason = opts.reason?.trim() ? opts.reason.trim() : null;
  const print = (outcome: string, i: IncidentJson): number => {
    if (opts.json) writeJson({ outcome, incident: i });
    else process.stdout.write(`${ackLine(i, outcome)}\n`);
    return 0;
  };
  return withStore(opts, async (d) => {
    const { status, body } = await daemonRequest<{ outcome?: string; incident?: IncidentJson; error?: string }>(d, 'POST', `/api/incidents/${encodeURIComponent(incident)}/ack`, { by, ...(reason ? { reason } : {}) });
    if (status !== 200 || !body.incident || !body.outcome) return fail(opts.json, body.error ?? `vigil serve answered ${status}`);
    return print(body.outcome, body.incident);
  }, async (store, project) => {
    const r = await acknowledgeIncident(store, project, incident, by, reason, new Date());
    if (r.incident === null) return fail(opts.json, 'error' in r ? r.error : `no incident ${incident}`);
    if (r.outcome === 'resolved') return fail(opts.json, `incident ${r.incident.id} is resolved: there is nothing to acknowledge`);
    const code = print(r.outcome, incidentJson({ ...r.incident, history: [] }));
    // Without a daemon nobody else sends the 'acknowledged' notification.
    if (r.outcome === 'acknowledged') await deliverAlerts(project, store, createLogger());
    return code;
  });
}

function silenceLine(s: SilenceJson, now = Date.now()): string {
  const left = Date.parse(s.ends_at) - now;
  const ends = s.state === 'active' ? `until ${s.ends_at} (${formatDuration(left / 1000)} left)` : s.state === 'expired' ? `expired ${s.expired_at ?? ''} by ${s.expired_by ?? '?'}` : `ended ${s.ends_at}`;
  return `silence ${s.id ?? s.source}: ${s.selector} ${ends}${s.created_by ? ` · by ${s.created_by}` : ''} · ${s.reason}`;
}

export async function silenceAddCommand(selector: string[], opts: Common & { for?: string; until?: string; reason?: string }): Promise<number> {
  const by = defaultBy(opts.by);
  const request = { selector, ...(opts.for !== undefined ? { for: opts.for } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}), reason: opts.reason, by };
  // Checked here first: a mistake is a usage error (3) whether or not a daemon runs.
  const made = newSilence(request, new Date());
  if (typeof made === 'string') return fail(opts.json, made, 3);
  const print = (s: SilenceJson): number => {
    if (opts.json) writeJson({ silence: s });
    else process.stdout.write(`added ${silenceLine(s)}\n`);
    return 0;
  };
  return withStore(opts, async (d) => {
    const { status, body } = await daemonRequest<{ silence?: SilenceJson; error?: string }>(d, 'POST', '/api/silences', request);
    if (status !== 201 || !body.silence) return fail(opts.json, body.error ?? `vigil serve answered ${status}`, status === 400 ? 3 : 1);
    return print(body.silence);
  }, async (store) => {
    await store.addSilence(made);
    return print(storedSilenceJson(made, new Date()));
  }, false);
}

export async function silenceListCommand(opts: Common & { all?: boolean }): Promise<number> {
  const show = (list: SilenceJson[]): number => {
    if (opts.json) { writeJson({ silences: list }); return 0; }
    if (!list.length) { process.stdout.write(opts.all ? 'no silence, stored or in alert files\n' : 'no active silence (vigil silence list --all shows ended ones too)\n'); return 0; }
    const now = Date.now();
    const rows = list.map((s) => [s.id ?? s.source, s.selector, s.state === 'active' ? colors.yellow('active') : colors.dim(s.state),
      s.state === 'active' ? `${s.ends_at} (${formatDuration((Date.parse(s.ends_at) - now) / 1000)} left)` : s.state === 'expired' ? `${s.expired_at ?? ''} by ${s.expired_by ?? '?'}` : s.ends_at,
      s.created_by ?? 'alert file', s.reason]);
    process.stdout.write(`${table([['ID', 'SELECTOR', 'STATE', 'ENDS', 'BY', 'REASON'].map((h) => colors.dim(h)), ...rows])}\n`);
    return 0;
  };
  return withStore(opts, async (d) => {
    const { status, body } = await daemonRequest<{ silences?: SilenceJson[]; error?: string }>(d, 'GET', `/api/silences${opts.all ? '?all=true' : ''}`);
    if (status !== 200 || !body.silences) return fail(opts.json, body.error ?? `vigil serve answered ${status}`);
    return show(body.silences);
  }, async (store, project) => show(await listSilences(store, project, new Date(), opts.all === true)), false);
}

export async function silenceExpireCommand(id: string, opts: Common): Promise<number> {
  const by = defaultBy(opts.by);
  const print = (s: SilenceJson, already: boolean): number => {
    if (opts.json) writeJson({ silence: s, already });
    else process.stdout.write(already ? `silence ${s.id ?? id} had already ${s.state === 'expired' ? `been expired by ${s.expired_by ?? '?'}` : 'ended'}: nothing changed\n` : `expired ${silenceLine(s)}\n`);
    return 0;
  };
  return withStore(opts, async (d) => {
    const { status, body } = await daemonRequest<{ silence?: SilenceJson; already?: boolean; error?: string }>(d, 'POST', `/api/silences/${encodeURIComponent(id)}/expire`, { by });
    if (status !== 200 || !body.silence) return fail(opts.json, body.error ?? `vigil serve answered ${status}`);
    return print(body.silence, body.already === true);
  }, async (store) => {
    const now = new Date();
    const r = await expireSilence(store, id, by, now);
    if ('error' in r) return fail(opts.json, r.error);
    return print(storedSilenceJson(r.silence, now), r.already);
  });
}
