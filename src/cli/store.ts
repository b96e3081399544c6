// vigil store migrate: copies the project's DuckDB store (or --from FILE) into a
// PostgreSQL store (--to URL), all or nothing, and prints what it copied.

import path from 'node:path';
import { loadProject } from '../config/loader.js';
import { copyDuckDBToPostgres } from '../store/copy.js';
import { storeScheme } from '../store/open.js';
import { VigilError, errorMessage } from '../util/errors.js';
import { writeJson } from './output.js';

export async function storeMigrateCommand(opts: { config?: string; to?: string; from?: string; force?: boolean; json?: boolean }): Promise<number> {
  const fail = (code: number, message: string) => {
    if (opts.json) writeJson({ errors: [{ file: '', line: 0, col: 0, message }] });
    else process.stderr.write(`vigil store migrate: ${message}\n`);
    return code;
  };
  if (!opts.to || storeScheme(opts.to) !== 'postgres') return fail(3, 'give the PostgreSQL store to copy into: --to postgres://user:password@host:5432/database (?schema=NAME, default vigil)');
  let from = opts.from;
  if (from === undefined) {
    const { project } = loadProject(opts.config !== undefined ? { configPath: opts.config } : {});
    if (storeScheme(project.storePath) !== 'file') return fail(3, 'the project\'s store is not a DuckDB file: name the one to copy with --from PATH');
    from = project.storePath;
  } else if (storeScheme(from) !== 'file') {
    return fail(3, '--from must be a DuckDB store file (copying between two PostgreSQL stores is pg_dump\'s job)');
  } else {
    from = path.resolve(from);
  }
  try {
    const report = await copyDuckDBToPostgres({ from, to: opts.to, force: opts.force === true });
    if (opts.json) { writeJson(report); return 0; }
    const width = Math.max(...report.tables.map((t) => t.table.length), 5);
    process.stdout.write(`copied ${report.from} → ${report.to} in ${(report.ms / 1000).toFixed(1)}s (one transaction):\n`);
    for (const t of report.tables) process.stdout.write(`  ${t.table.padEnd(width)}  ${t.rows.toLocaleString('en-US').padStart(10)}\n`);
    if (report.notCopied.length) process.stdout.write(`not copied (no such table in the PostgreSQL store; nothing reads them): ${report.notCopied.join(', ')}\n`);
    process.stdout.write(`to use it: store: "${report.to.replace(/:\*\*\*@/, ':${PASSWORD}@')}" in vigil.yaml (or store: "\${VIGIL_STORE_URL}")\n`);
    return 0;
  } catch (err) {
    const refused = err instanceof VigilError && err.code === 'CONFIG_INVALID';
    return fail(refused ? 3 : 2, errorMessage(err));
  }
}
