// The vigil command line: parses arguments and hands off to one file per
// command, loaded only when that command runs (start-up stays small).
// Exit codes are the contract (see README); usage errors exit 3.

import { Command, CommanderError } from 'commander';
import { errorMessage } from '../util/errors.js';

// `vigil status | head -1`: a reader that stops reading is not an error (the run still records).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const program = new Command();
program
  .name('vigil')
  .description('Data quality and observability monitor: checks as YAML files, run through DuckDB, recorded.')
  .version('0.1.0')
  .option('-c, --config <path>', 'path of vigil.yaml (default: ./vigil.yaml)')
  .exitOverride()
  .showHelpAfterError('(vigil --help lists the commands)');

let exitCode = 0;
const globalConfig = (): { config?: string } => {
  const c = program.opts<{ config?: string }>().config;
  return c !== undefined ? { config: c } : {};
};

program.command('validate')
  .description('check vigil.yaml and every check file; print every problem as file:line:col: message (exit 0 or 3)')
  .option('--json', 'print { errors, warnings } as JSON')
  .option('--no-data', 'do not read sources to check column names and queries')
  .action(async (o: { json?: boolean; data?: boolean }) => { exitCode = await (await import('./validate.js')).validateCommand({ ...globalConfig(), ...o }); });

program.command('run')
  .description('run the selected checks once, record the results, print a table (exit 0 pass/warn, 1 fail, 2 error, 3 invalid config)')
  .argument('[selectors...]', 'dataset names, tag:NAME or owner:NAME (OR-ed); default: every dataset')
  .option('--json', 'print only the run as JSON on stdout')
  .option('--now <iso>', 'fix the clock for freshness (also env VIGIL_NOW)')
  .option('--no-alerts', 'do not send alerts for this run')
  .option('--plan <strategy>', 'force the query plan: single (default), split or fused')
  .action(async (selectors: string[], o: { json?: boolean; now?: string; alerts?: boolean; plan?: string }) => {
    exitCode = await (await import('./run.js')).runCommand(selectors, { ...globalConfig(), ...o });
  });

program.command('backtest')
  .description('replay a check\'s anomaly detection over the last days: each point with its expected band and whether it would have alerted (from the data with timestamp_column, else from recorded runs)')
  .argument('<check>', 'check id, <dataset>.<name>')
  .option('--days <n>', 'how many days back (default 30)')
  .option('--now <iso>', 'replay as of this time (also env VIGIL_NOW)')
  .option('--json', 'print { check, source, points, alerts } as JSON')
  .action(async (check: string, o: { days?: string; now?: string; json?: boolean }) => {
    exitCode = await (await import('./backtest.js')).backtestCommand(check, { ...globalConfig(), ...o });
  });

program.command('serve')
  .description('run every dataset on its schedule, serve /healthz, /metrics and the API; reloads check files on change')
  .action(async () => { exitCode = await (await import('./serve.js')).serveCommand(globalConfig()); });

program.command('status')
  .description('the latest result of every check, from the store')
  .option('--json', 'print as JSON')
  .action(async (o: { json?: boolean }) => { exitCode = await (await import('./status.js')).statusCommand({ ...globalConfig(), ...o }); });

const alerts = program.command('alerts').description('alert channels: test them');
alerts.command('test')
  .description('send a test message to one channel (or every channel), straight away, and say whether it arrived (exit 0 all sent, 1 any failed, 3 invalid config)')
  .argument('[channel]', 'channel name; default: every channel')
  .action(async (channel: string | undefined) => { exitCode = await (await import('./alerts.js')).alertsTestCommand(channel, globalConfig()); });
program.command('ack')
  .description('acknowledge an open incident: its reminders stop (it still escalates and resolves); routed channels are told who took it')
  .argument('<incident>', 'incident id, or a unique start of one (at least 4 characters), as GET /api/incidents and the incidents page show it')
  .option('--by <name>', 'who takes it (default: $VIGIL_USER or your login name)')
  .option('--reason <text>', 'why, or what you are doing about it')
  .option('--json', 'print { outcome, incident } as JSON')
  .action(async (incident: string, o: { by?: string; reason?: string; json?: boolean }) => {
    exitCode = await (await import('./oncall.js')).ackCommand(incident, { ...globalConfig(), ...o });
  });

const silence = program.command('silence').description('silences kept in the store: mute matching notifications for a while, without editing alert files');
silence.command('add')
  .description('mute the notifications of incidents the selector matches, from now for --for (or until --until)')
  .argument('<selector...>', 'a dataset name, tag:NAME, owner:NAME, kind:KIND, status:STATUS or check:DATASET.CHECK; different keys must all match')
  .option('--for <duration>', 'how long, e.g. 2h, 30m, 1d')
  .option('--until <iso>', 'or when it ends (ISO-8601)')
  .option('--reason <text>', 'why (required: the next person on call reads it)')
  .option('--by <name>', 'who adds it (default: $VIGIL_USER or your login name)')
  .option('--json', 'print { silence } as JSON')
  .action(async (selector: string[], o: { for?: string; until?: string; reason?: string; by?: string; json?: boolean }) => {
    exitCode = await (await import('./oncall.js')).silenceAddCommand(selector, { ...globalConfig(), ...o });
  });
silence.command('list')
  .description('active silences, stored and from alert files (--all: ended and expired ones too)')
  .option('--all', 'also list silences that ended or were expired')
  .option('--json', 'print { silences } as JSON')
  .action(async (o: { all?: boolean; json?: boolean }) => { exitCode = await (await import('./oncall.js')).silenceListCommand({ ...globalConfig(), ...o }); });
silence.command('expire')
  .description('end a stored silence now (a silence in an alert file ends when you remove it there)')
  .argument('<id>', 'silence id, or a unique start of one (at least 4 characters)')
  .option('--by <name>', 'who ends it (default: $VIGIL_USER or your login name)')
  .option('--json', 'print { silence, already } as JSON')
  .action(async (id: string, o: { by?: string; json?: boolean }) => { exitCode = await (await import('./oncall.js')).silenceExpireCommand(id, { ...globalConfig(), ...o }); });

const store = program.command('store').description('the results store: move it');
store.command('migrate')
  .description('copy the project\'s DuckDB store (or --from FILE) into a PostgreSQL store, in one transaction; prints the rows copied per table (exit 0, 2 failed, 3 refused)')
  .requiredOption('--to <url>', 'the PostgreSQL store: postgres://user:password@host:5432/database[?schema=NAME]')
  .option('--from <file>', 'the DuckDB store file (default: the project\'s store)')
  .option('--force', 'replace whatever the target store holds')
  .option('--json', 'print what was copied as JSON')
  .action(async (o: { to?: string; from?: string; force?: boolean; json?: boolean }) => { exitCode = await (await import('./store.js')).storeMigrateCommand({ ...globalConfig(), ...o }); });
program.command('lineage')
  .description('the dataset graph from upstream: with each dataset\'s current status')
  .option('--format <format>', 'text, mermaid or json', 'text')
  .action(async (o: { format?: string }) => { exitCode = await (await import('./lineage.js')).lineageCommand({ ...globalConfig(), ...o }); });

program.command('schema')
  .description('print the JSON Schema of check files (for editor autocompletion)')
  .action(async () => { exitCode = (await import('./schema.js')).schemaCommand(); });

program.command('init')
  .description('scaffold vigil.yaml, checks/example.yaml, runbooks/example.md, alerts/alerts.yaml and a small example data file')
  .argument('[dir]', 'folder to scaffold into', '.')
  .action(async (dir: string) => { exitCode = (await import('./init.js')).initCommand({ dir }); });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 3;
  } else {
    process.stderr.write(`vigil: ${errorMessage(err)}\n`);
    exitCode = 2;
  }
}
process.exitCode = exitCode;
