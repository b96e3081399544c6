// vigil alerts test [CHANNEL]: sends a clearly marked test message straight to
// one channel (or every channel), not through the outbox, and says per channel
// whether it arrived. Exit 0 all sent, 1 any failed, 3 invalid configuration.

import { defaultChannelTypes } from '../alerts/channels/index.js';
import type { AlertMessage } from '../alerts/message.js';
import { dashboardLink } from '../alerts/plan.js';
import { channelSecrets, makeRedactor } from '../alerts/redact.js';
import { didYouMean } from '../config/diagnostics.js';
import { loadProject } from '../config/loader.js';
import { colors, printDiagnostics } from './output.js';

export function testMessage(channel: string, dashboardUrl: string | null, now = new Date()): AlertMessage {
  const at = now.toISOString();
  return {
    key: `test-${channel}-${now.getTime()}`, channel, dataset: 'vigil-test', runId: null, createdAt: at, test: true,
    description: 'A test message from vigil alerts test. Nothing is wrong with your data.',
    owner: null, tags: ['test'], runbook: null, dashboardUrl, atRisk: [],
    items: [{
      event: 'opened', incidentId: 'test', at, check: 'vigil-test.example', name: 'example', kind: 'row_count', dataset: 'vigil-test',
      status: 'warn', previousStatus: null, value: 0, unit: 'rows', message: 'this is how a check appears in an alert',
      thresholds: { warn: { min: 1 } }, runbook: null, owner: null, tags: ['test'], openedAt: at,
    }],
  };
}

export async function alertsTestCommand(channel: string | undefined, opts: { config?: string }): Promise<number> {
  const { project, diagnostics } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
  const alertProblems = diagnostics.filter((d) => d.severity === 'error' && (project.alerts.files.includes(d.file) || d.file === project.configFile));
  if (alertProblems.length) {
    printDiagnostics(alertProblems);
    process.stderr.write(`alert configuration invalid: nothing sent (${alertProblems.length} problem${alertProblems.length === 1 ? '' : 's'})\n`);
    return 3;
  }
  const all = project.alerts.channels;
  if (all.length === 0) {
    process.stderr.write(`vigil alerts test: no channels — add one under channels: in an alert file (${project.alerts.files.length ? project.alerts.files.join(', ') : 'alerts/*.yaml'})\n`);
    return 3;
  }
  const chosen = channel === undefined ? all : all.filter((c) => c.name === channel);
  if (channel !== undefined && chosen.length === 0) {
    process.stderr.write(`vigil alerts test: no channel '${channel}'${didYouMean(channel, all.map((c) => c.name))}; channels: ${all.map((c) => c.name).join(', ')}\n`);
    return 3;
  }
  const redact = makeRedactor(channelSecrets(all));
  const registry = defaultChannelTypes();
  const results = await Promise.all(chosen.map(async (def) => {
    const ch = registry.create(def);
    try {
      let d = await ch.send(testMessage(def.name, dashboardLink(project, 'vigil-test')), { timeoutMs: 15_000 });
      // Throttled: one more try once Slack says so, if that is soon.
      if (!d.ok && d.retryable && d.retryAfterMs !== undefined && d.retryAfterMs <= 10_000) {
        const wait = d.retryAfterMs;
        await new Promise((r) => setTimeout(r, wait));
        d = await ch.send(testMessage(def.name, dashboardLink(project, 'vigil-test')), { timeoutMs: 15_000 });
      }
      return { name: def.name, type: def.type, d };
    } finally {
      await ch.close();
    }
  }));
  for (const r of results) {
    if (r.d.ok) process.stdout.write(`${r.name} (${r.type}): ${colors.green('sent')}\n`);
    else process.stdout.write(`${r.name} (${r.type}): ${colors.red('failed')}: ${redact(r.d.error)}${r.d.retryable ? ' (temporary: try again later)' : ''}\n`);
  }
  return results.every((r) => r.d.ok) ? 0 : 1;
}
