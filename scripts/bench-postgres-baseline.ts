// The best hand-written SQL for the PostgreSQL bench's checks, sent with `pg` in
// one process: what `vigil run` on that table is measured against
// (scripts/bench-postgres.ts). Usage: node bench-postgres-baseline.js <strategy> <table>, with
// the server's URL in BENCH_PG_URL. Prints the measured values as JSON.
//   combined  one statement: every aggregate with FILTER, and the GROUP BY of the key
//   separate  the aggregates, then the GROUP BY: two statements
// Both also read the columns from the catalog, as a schema check must.

import pg from 'pg';

const NULL_COLUMNS = ['customer_id', 'email', 'amount', 'country', 'score'];

async function main(): Promise<void> {
  const [strategy, table] = process.argv.slice(2);
  const url = process.env.BENCH_PG_URL;
  if (!url || !table || (strategy !== 'combined' && strategy !== 'separate')) {
    process.stderr.write('usage: BENCH_PG_URL=… node bench-postgres-baseline.js combined|separate <table>\n');
    process.exit(2);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query('SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [table]);
    const aggregates = `count(*) AS row_count, max(updated_at) AS max_ts, ${NULL_COLUMNS.map((c) => `count(*) - count(${c}) AS nulls_${c}`).join(', ')}`;
    const groups = `SELECT id, count(*) AS n FROM ${table} WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1`;
    const duplicates = `coalesce(sum(n - 1), 0) AS duplicate_rows, count(*) AS duplicate_keys, (SELECT json_agg(json_build_object('id', id, 'n', n)) FROM (SELECT * FROM g ORDER BY n DESC, id LIMIT 5) s) AS sample`;
    let row: Record<string, unknown>;
    if (strategy === 'combined') {
      row = (await client.query(`WITH g AS MATERIALIZED (${groups}) SELECT * FROM (SELECT ${aggregates} FROM ${table}) a, (SELECT ${duplicates} FROM g) d`)).rows[0];
    } else {
      const a = (await client.query(`SELECT ${aggregates} FROM ${table}`)).rows[0];
      const d = (await client.query(`WITH g AS MATERIALIZED (${groups}) SELECT ${duplicates} FROM g`)).rows[0];
      row = { ...a, ...d };
    }
    process.stdout.write(`${JSON.stringify({ strategy, columns: columns.rows.length, ...row })}\n`);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
