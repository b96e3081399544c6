// Every secret a project's configuration holds: alert channels' URLs, passwords, keys and
// headers, warehouse connection URLs, the dashboard token, a PostgreSQL store's URL and the heartbeat URL.

import { channelSecrets, secretList, urlSecrets } from '../alerts/redact.js';
import type { Project } from './model.js';

export function projectSecrets(project: Project): string[] {
  const { config, alerts } = project;
  const out: string[] = [...channelSecrets(alerts.channels)];
  for (const c of Object.values(config.connections)) out.push(...urlSecrets(c.url, { path: false }));
  if (config.dashboard.token) out.push(config.dashboard.token);
  if (/^postgres(ql)?:\/\//i.test(config.store)) out.push(...urlSecrets(config.store, { path: false }));
  // A heartbeat URL's path or query is its secret (a Healthchecks ping UUID).
  if (config.heartbeat) out.push(...urlSecrets(config.heartbeat.url, { path: true }));
  return secretList(out);
}
