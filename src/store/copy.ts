// Moving a DuckDB store into PostgreSQL (vigil store migrate): both brought to
// this vigil's schema by their own migrations, then every table the two have in
// common copied row for row, in the source's insertion order, in ONE target
// transaction — all or nothing; run it again (with --force) after a failure.
// Read models and revisions are copied as they are, so nothing is recomputed.

import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { VigilError, errorMessage } from '../util/errors.js';
import { DuckDBStore } from './duckdb-store.js';
import { PostgresStore } from './postgres-store.js';
import { PgSession, quoteIdent, type PgTx } from './postgres/session.js';
import { parseStoreUrl, redactUrl } from './postgres/url.js';

/** What each store keeps for itself: its migrations, and (the target's) live processes. */
const OWN = new Set(['vigil_migrations', 'vigil_meta', 'vigil_replicas']);
/** Rows per INSERT (well under PostgreSQL's 65,535 parameters for the widest table). */
const BATCH = 500;

export interface CopyReport {
  from: string;
  to: string;
  tables: Array<{ table: string; rows: number }>;
  /** Tables of the source the target does not have (older read models nothing reads any more). */
  notCopied: string[];
  ms: number;
}

const dq = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A value as the pg driver should bind it for a column of this PostgreSQL type. */
function bind(v: unknown, pgType: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v);
  if ((pgType === 'json' || pgType === 'jsonb') && typeof v !== 'string') return JSON.stringify(v);
  return v;
}

export async function copyDuckDBToPostgres(opts: { from: string; to: string; force: boolean }): Promise<CopyReport> {
  const t0 = Date.now();
  const to = redactUrl(opts.to);
  if (!existsSync(opts.from)) throw new VigilError('CONFIG_INVALID', `there is no DuckDB store at ${opts.from} — name it with --from PATH`);
  // Both at this vigil's schema first, by their own migrations (a store held by a running vigil serve is refused here).
  await (await DuckDBStore.open(opts.from)).close();
  await (await PostgresStore.open(opts.to)).close();

  const { url, schema } = parseStoreUrl(opts.to);
  const instance = await DuckDBInstance.create(opts.from, { access_mode: 'READ_ONLY' });
  const source = await instance.connect();
  const target = await PgSession.open(url, schema, 1);
  try {
    const read = async (sql: string) => (await source.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    const sourceTables = (await read(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name`))
      .map((r) => String(r.table_name)).filter((t) => !OWN.has(t));
    return await target.transaction(async (tx) => {
      const targetColumns = await columnsOf(tx, schema);
      const live = await tx.rows(`SELECT count(*)::int AS n FROM vigil_replicas WHERE last_seen >= now() - lease_ms * interval '1 millisecond'`);
      if (Number(live[0]?.n ?? 0) > 0) {
        throw new VigilError('CONFIG_INVALID', `${to} is in use by ${String(live[0]?.n)} vigil process(es) (vigil_replicas) — stop them before copying into it`);
      }
      const filled: string[] = [];
      for (const table of targetColumns.keys()) {
        if (OWN.has(table)) continue;
        if ((await tx.rows(`SELECT 1 FROM ${quoteIdent(table)} LIMIT 1`)).length) filled.push(table);
      }
      if (filled.length && !opts.force) {
        throw new VigilError('CONFIG_INVALID', `${to} already holds a store (rows in ${filled.join(', ')}) — nothing was copied; add --force to replace everything in it`);
      }
      const copied = [...targetColumns.keys()].filter((t) => !OWN.has(t));
      if (copied.length) await tx.run(`TRUNCATE ${copied.map(quoteIdent).join(', ')} RESTART IDENTITY`);

      const tables: CopyReport['tables'] = [];
      const notCopied: string[] = [];
      for (const table of sourceTables) {
        const columns = targetColumns.get(table);
        if (!columns) { notCopied.push(table); continue; }
        const sourceCols = (await read(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${table.replace(/'/g, "''")}' ORDER BY ordinal_position`))
          .map((r) => String(r.column_name));
        const missing = sourceCols.filter((c) => !columns.has(c));
        if (missing.length) throw new VigilError('STORE_FAILED', `${to} has no column ${missing.join(', ')} in ${table}: nothing was copied (is it a newer vigil's store?)`);
        const types = sourceCols.map((c) => columns.get(c) ?? 'text');
        const insertHead = `INSERT INTO ${quoteIdent(table)} (${sourceCols.map(quoteIdent).join(', ')}) VALUES `;
        let rows = 0;
        // In insertion order (rowid), so the target's identity columns keep the order the DuckDB store read by.
        for (let after = -1n; ;) {
          const batch = await read(`SELECT rowid AS vigil_copy_rowid, ${sourceCols.map(dq).join(', ')} FROM ${dq(table)} WHERE rowid > ${after} ORDER BY rowid LIMIT ${BATCH}`);
          if (batch.length === 0) break;
          after = BigInt(String(batch[batch.length - 1]?.vigil_copy_rowid));
          const values: unknown[] = [];
          const tuples = batch.map((r) => `(${sourceCols.map((c, i) => { values.push(bind(r[c], types[i] ?? 'text')); return '?'; }).join(', ')})`);
          await tx.run(insertHead + tuples.join(', '), values);
          rows += batch.length;
          if (batch.length < BATCH) break;
        }
        const [count] = await read(`SELECT count(*)::BIGINT AS n FROM ${dq(table)}`);
        if (Number(count?.n) !== rows) throw new VigilError('STORE_FAILED', `${table}: read ${rows} rows of ${String(count?.n)} — nothing was copied`);
        tables.push({ table, rows });
      }
      // The revision sequence goes on from the highest revision copied (the dashboard's caches key on it).
      const seq = await tx.rows(`SELECT 1 FROM information_schema.sequences WHERE sequence_schema = ? AND sequence_name = 'vigil_revision_seq'`, [schema]);
      if (seq.length) await tx.run(`SELECT setval('vigil_revision_seq', GREATEST((SELECT coalesce(max(revision), 0) FROM vigil_revisions), 1))`);
      return { from: opts.from, to, tables, notCopied, ms: Date.now() - t0 };
    });
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw new VigilError('STORE_FAILED', `copying into ${to} failed, nothing was copied: ${errorMessage(err).split(opts.to).join(to)}`, { cause: err });
  } finally {
    source.closeSync();
    instance.closeSync();
    await target.close();
  }
}

/** The target's tables, each with its columns and their types (identity columns left out: PostgreSQL numbers them). */
async function columnsOf(tx: PgTx, schema: string): Promise<Map<string, Map<string, string>>> {
  const rows = await tx.rows(`SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = ? AND c.is_identity = 'NO' ORDER BY c.table_name, c.ordinal_position`, [schema]);
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const t = String(r.table_name);
    (out.get(t) ?? out.set(t, new Map()).get(t)!).set(String(r.column_name), String(r.data_type));
  }
  return out;
}
