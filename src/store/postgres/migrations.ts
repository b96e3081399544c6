// The PostgreSQL store's schema, versioned like the DuckDB store's
// (../migrations.ts) and never edited once landed. PostgreSQL stores begin at
// version 9, the DuckDB store's shape at the time (its tables in one step);
// every later DuckDB version needs its counterpart here (a test holds them).

import type { PgTx } from './session.js';

export interface PgMigration {
  version: number;
  description: string;
  sql: string[];
  run?: (tx: PgTx) => Promise<void>;
}

const rollupTable = (name: string) => `CREATE TABLE ${name} (
  check_id text NOT NULL,
  bucket timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  last_value double precision,
  min_value double precision,
  max_value double precision,
  worst smallint NOT NULL,
  runs integer NOT NULL,
  failing_runs integer NOT NULL,
  PRIMARY KEY (check_id, bucket)
)`;

export const PG_MIGRATIONS: ReadonlyArray<PgMigration> = [
  {
    version: 9,
    description: 'the store as the DuckDB store has it at version 9: runs, results, schemas, skipped ticks, incidents, outbox, read models, revisions',
    sql: [
      `CREATE TABLE runs (
        run_id text PRIMARY KEY,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        status text NOT NULL,
        trigger text NOT NULL,
        selectors json NOT NULL,
        summary json
      )`,
      `CREATE INDEX runs_started ON runs (started_at DESC)`,
      `CREATE INDEX runs_running ON runs (status) WHERE status = 'running'`,
      `CREATE TABLE dataset_runs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text NOT NULL,
        dataset text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        duration_ms double precision NOT NULL,
        error text,
        queries json NOT NULL
      )`,
      `CREATE INDEX dataset_runs_dataset ON dataset_runs (dataset, finished_at)`,
      `CREATE TABLE check_results (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text NOT NULL,
        check_id text NOT NULL,
        dataset text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        value double precision,
        unit text NOT NULL,
        message text NOT NULL,
        runbook text,
        owner text,
        tags json NOT NULL,
        thresholds json NOT NULL,
        details json NOT NULL,
        evaluated_at timestamptz NOT NULL,
        duration_ms double precision NOT NULL
      )`,
      `CREATE INDEX check_results_check ON check_results (check_id, evaluated_at)`,
      `CREATE INDEX check_results_run ON check_results (dataset, run_id)`,
      `CREATE TABLE schema_snapshots (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dataset text NOT NULL,
        run_id text NOT NULL,
        recorded_at timestamptz NOT NULL,
        columns json NOT NULL
      )`,
      `CREATE INDEX schema_snapshots_dataset ON schema_snapshots (dataset, recorded_at DESC, seq DESC)`,
      `CREATE TABLE skipped_ticks (
        dataset text NOT NULL,
        skipped_at timestamptz NOT NULL,
        reason text NOT NULL
      )`,
      `CREATE TABLE incidents (
        id text PRIMARY KEY,
        check_id text NOT NULL,
        dataset text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL,
        notified_status text,
        state text NOT NULL,
        opened_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        resolved_at timestamptz,
        last_notified_at timestamptz,
        last_event text,
        silenced_reason text,
        silenced_until timestamptz,
        runbook text,
        owner text,
        message text NOT NULL
      )`,
      `CREATE INDEX incidents_open ON incidents (dataset) WHERE state = 'open'`,
      `CREATE TABLE incident_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id text NOT NULL,
        event_at timestamptz NOT NULL,
        status text NOT NULL,
        event text,
        run_id text NOT NULL
      )`,
      `CREATE INDEX incident_events_incident ON incident_events (incident_id)`,
      `CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        idempotency_key text PRIMARY KEY,
        channel text NOT NULL,
        dataset text NOT NULL,
        run_id text,
        payload json NOT NULL,
        state text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL,
        delivered_at timestamptz
      )`,
      `CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE state = 'pending'`,
      `CREATE TABLE latest_results (
        check_id text PRIMARY KEY,
        run_id text NOT NULL,
        dataset text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        value double precision,
        unit text NOT NULL,
        message text NOT NULL,
        runbook text,
        owner text,
        tags json NOT NULL,
        thresholds json NOT NULL,
        details json NOT NULL,
        evaluated_at timestamptz NOT NULL,
        duration_ms double precision NOT NULL,
        run_started_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL
      )`,
      rollupTable('check_rollups_hour'),
      rollupTable('check_rollups_day'),
      `CREATE INDEX check_rollups_hour_bucket ON check_rollups_hour (bucket)`,
      `CREATE TABLE dataset_run_summaries (
        run_id text NOT NULL,
        dataset text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        duration_ms double precision NOT NULL,
        status text NOT NULL,
        error text
      )`,
      `CREATE INDEX dataset_run_summaries_dataset ON dataset_run_summaries (dataset, started_at DESC)`,
      `CREATE TABLE check_history_window (
        check_id text PRIMARY KEY,
        newest_day integer NOT NULL,
        earlier bytea NOT NULL,
        latest bytea NOT NULL,
        version text NOT NULL
      )`,
      `CREATE TABLE vigil_revisions (scope text PRIMARY KEY, revision bigint NOT NULL)`,
      // Revisions come from one sequence: every process sharing the store numbers its writes past everyone's.
      `CREATE SEQUENCE vigil_revision_seq`,
    ],
  },
  {
    version: 10,
    description: 'runs say their datasets, tick and process; the processes sharing the store (replicas) and their leases; ticks claimed once; outbox rows claimed with a lease',
    sql: [
      `ALTER TABLE runs ADD COLUMN datasets json`,
      `ALTER TABLE runs ADD COLUMN scheduled_for timestamptz`,
      `ALTER TABLE runs ADD COLUMN replica text`,
      `CREATE INDEX runs_replica_running ON runs (replica) WHERE status = 'running'`,
      // One row per process that has the store open; a scheduler (vigil serve) renews last_seen every
      // third of the lease. A process whose last_seen is older than its lease is dead.
      `CREATE TABLE vigil_replicas (
        id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        scheduler boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        lease_ms integer NOT NULL,
        running json NOT NULL DEFAULT '[]'
      )`,
      // A dataset's tick is run by the process whose INSERT made this row; done once its run is recorded.
      `CREATE TABLE schedule_claims (
        dataset text NOT NULL,
        scheduled_for timestamptz NOT NULL,
        replica text NOT NULL,
        claimed_at timestamptz NOT NULL,
        done boolean NOT NULL DEFAULT false,
        PRIMARY KEY (dataset, scheduled_for)
      )`,
      `CREATE INDEX schedule_claims_open ON schedule_claims (replica) WHERE NOT done`,
      `ALTER TABLE outbox ADD COLUMN claimed_by text`,
      `ALTER TABLE outbox ADD COLUMN claimed_until timestamptz`,
    ],
  },
  {
    version: 11,
    description: 'on call without editing files: who acknowledged an incident (when, why), and silences kept in the store',
    sql: [
      `ALTER TABLE incidents ADD COLUMN acknowledged_by text`,
      `ALTER TABLE incidents ADD COLUMN acknowledged_at timestamptz`,
      `ALTER TABLE incidents ADD COLUMN ack_reason text`,
      `CREATE TABLE silences (
        id text PRIMARY KEY,
        match json NOT NULL,
        selector text NOT NULL,
        reason text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        expired_at timestamptz,
        expired_by text
      )`,
      `CREATE INDEX silences_ends ON silences (ends_at)`,
    ],
  },
  {
    version: 12,
    description: 'incidents.last_sent_at: when a notification of the incident reached a channel (last_notified_at is when one was queued); earlier incidents take their queued time',
    sql: [
      `ALTER TABLE incidents ADD COLUMN last_sent_at timestamptz`,
      `UPDATE incidents SET last_sent_at = last_notified_at`,
    ],
  },
];
