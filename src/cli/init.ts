// vigil init: scaffold a working project (vigil.yaml, an example check file
// with a small data file it can run against, its runbook, and an alerts file).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkFileJsonSchema } from '../config/schema.js';

const FILES: Record<string, string> = {
  'vigil.yaml': `# vigil project config — every key has a default.
checks: checks                 # folder of check files (one per dataset)
store: .vigil/vigil.duckdb     # results store
timezone: UTC                  # how naive timestamps are read
schedule: "0 * * * *"          # default schedule for vigil serve
timeout: 5m                    # per-dataset run timeout
duckdb: { threads: 2 }
alerts: alerts
`,
  'checks/example.yaml': `# yaml-language-server: $schema=../vigil-checks.schema.json
dataset: example
description: A small example extract — point source at your own files.
source: ../data/example.csv
owner: data-team
tags: [example]
runbook: ../runbooks/example.md     # a Markdown file of the project (the dashboard shows it), or an http(s) link
checks:
  - freshness:
      column: updated_at
      warn_after: 1d
      fail_after: 7d
  - row_count:
      fail: { min: 1 }
  - nulls:
      column: email
      missing_values: [""]
      warn: 10%
      fail: 50%
  - duplicates:
      keys: [id]
      fail: 0
  - schema:
      columns:
        id: BIGINT
        email: VARCHAR
        updated_at: TIMESTAMP
`,
  'runbooks/example.md': `# Runbook: example

What to do when a check of the \`example\` dataset alerts. Every alert links
here (the dashboard renders this file at /datasets/example/runbook) and to the
dataset's and the incident's dashboard pages. Keep it short: the reader was
just woken up.

## Who owns it

- Team: data-team (\`owner:\` in checks/example.yaml)
- Escalate to: *name, channel or rota*

## First five minutes

1. Open the incident page linked from the alert: which check, since when,
   what the value was against its threshold.
2. If you are on it, press **Acknowledge** there (or \`vigil ack INCIDENT
   --reason "…"\`): reminders stop, escalations still come.
3. If it is known and harmless for a while, **Silence…** it with a reason
   (or \`vigil silence add example --for 2h --reason "…"\`).

## By check

### freshness

The newest \`updated_at\` is too old: the load did not run or wrote nothing.
Check the loader's last run and its logs; re-run it; then \`vigil run example\`.

### row_count

No rows: the extract is empty or the source path is wrong.

### nulls.email

More missing emails than usual: check the upstream form or API change.

### duplicates.id

The same id loaded twice: a retried load without deduplication.

### schema

A column was added, removed or retyped upstream: agree the change with the
producer, then update \`columns:\` in checks/example.yaml.
`,
  'alerts/alerts.yaml': `# Where notifications go (see the README, Alerts). Until Slack or email is set
# up, the console channel prints each message vigil would send on stderr.
channels:
  - name: console
    type: file
    stderr: true
  # - name: data-alerts
  #   type: slack
  #   webhook_url: \${SLACK_WEBHOOK_URL}
  # - name: oncall-email
  #   type: email
  #   smtp_url: \${SMTP_URL}          # smtp://user:pass@host:587 or smtps://…
  #   from: vigil@example.com
  #   to: [oncall@example.com]
routes:                             # first match wins unless continue: true
  - channels: [console]             # no match: the catch-all
policy:
  min_status: warn
  repeat_interval: 4h
  send_resolved: true
`,
};

function exampleCsv(now: Date): string {
  const lines = ['id,email,updated_at'];
  for (let i = 1; i <= 20; i++) {
    const t = new Date(now.getTime() - i * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${i},user${i}@example.com,${t}`);
  }
  return `${lines.join('\n')}\n`;
}

export function initCommand(opts: { dir?: string }): number {
  const root = path.resolve(opts.dir ?? '.');
  // checks/example.yaml names ../vigil-checks.schema.json for editors: it must exist in the new project.
  const files = {
    ...FILES,
    'data/example.csv': exampleCsv(new Date()),
    'vigil-checks.schema.json': `${JSON.stringify(checkFileJsonSchema(), null, 2)}\n`,
  };
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    if (existsSync(full)) {
      process.stdout.write(`kept    ${rel} (already exists)\n`);
      continue;
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    process.stdout.write(`created ${rel}\n`);
  }
  const rel = path.relative(process.cwd(), root);
  const cd = rel && rel !== '.' ? `cd ${rel.includes(' ') ? JSON.stringify(rel) : rel} && ` : '';
  const bin = process.argv[1] ?? 'bin/vigil';
  const binRel = path.relative(process.cwd(), bin);
  const self = binRel && !binRel.startsWith('..') ? binRel : bin;
  process.stdout.write(
    `\nnext: ${cd}vigil validate && vigil run\n` +
      `(vigil not on your PATH? run npm link in vigil's folder, or call it as ${self}; ` +
      `vigil schema > vigil-checks.schema.json refreshes the editor schema after an upgrade)\n`,
  );
  return 0;
}
