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
  {
    version: 3,
    description: 'alert incidents, their status history, and the notification outbox',
    sql: [
      `CREATE TABLE incidents (
        id VARCHAR PRIMARY KEY,
        check_id VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        notified_status VARCHAR,
        state VARCHAR NOT NULL,
        opened_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        resolved_at TIMESTAMPTZ,
        last_notified_at TIMESTAMPTZ,
        last_event VARCHAR,
        silenced_reason VARCHAR,
        silenced_until TIMESTAMPTZ,
        runbook VARCHAR,
        owner VARCHAR,
        message VARCHAR NOT NULL
      )`,
      `CREATE TABLE incident_events (
        incident_id VARCHAR NOT NULL,
        event_at TIMESTAMPTZ NOT NULL,
        status VARCHAR NOT NULL,
        event VARCHAR,
        run_id VARCHAR NOT NULL
      )`,
      // One row per message (a dataset's notifications of one run, for one channel). The channel is
      // named, never its URL or password; payload is the message model, which holds no secret.
      `CREATE TABLE outbox (
        idempotency_key VARCHAR PRIMARY KEY,
        channel VARCHAR NOT NULL,
        dataset VARCHAR NOT NULL,
        run_id VARCHAR,
        payload JSON NOT NULL,
        state VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TIMESTAMPTZ,
        last_error VARCHAR,
        created_at TIMESTAMPTZ NOT NULL,
        delivered_at TIMESTAMPTZ
      )`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
