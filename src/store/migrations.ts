// Store schema, versioned. A migration is appended, never edited: stores in
// the field upgrade by applying the ones they have not seen, in order.

export const MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string[] }> = [
  {
    version: 1,
    description: 'runs, dataset runs, check results, schema snapshots',
    sql: [
      `CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,
        trigger VARCHAR NOT NULL,
        selectors JSON NOT NULL,
        summary JSON
      )`,
      `CREATE TABLE dataset_runs (
        run_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL,
        error VARCHAR,
        queries JSON NOT NULL
      )`,
      `CREATE TABLE check_results (
        run_id VARCHAR NOT NULL,
        check_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        value DOUBLE,
        unit VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        runbook VARCHAR,
        owner VARCHAR,
        tags JSON NOT NULL,
        thresholds JSON NOT NULL,
        details JSON NOT NULL,
        evaluated_at TIMESTAMPTZ NOT NULL,
        duration_ms DOUBLE NOT NULL
      )`,
      `CREATE TABLE schema_snapshots (
        dataset VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        columns JSON NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'ticks of vigil serve that were skipped because the dataset was still running',
    sql: [
      `CREATE TABLE skipped_ticks (
        dataset VARCHAR NOT NULL,
        skipped_at TIMESTAMPTZ NOT NULL,
        reason VARCHAR NOT NULL
      )`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
