// The results store: what a run writes (read back with a plain DuckDB after
// the CLI exits), append-only history, schema versioning, one transaction per
// dataset, and the latest results that `status` shows.

import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../src/config/loader.js';
import { DuckDBStore } from '../src/store/duckdb-store.js';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import type { CheckResult, DatasetRun } from '../src/store/store.js';
import { cleanupProjects, makeProject, queryDb, runProject, vigil, writeData } from './helpers.js';

afterAll(cleanupProjects);

async function count(file: string, sql: string): Promise<number> {
  const rows = await queryDb(file, `select count(*) as n from (${sql})`);
  return Number(rows[0]?.n);
}

const ORDERS = `dataset: orders
source: ../data/orders.parquet
owner: payments
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { columns: [order_id, amount], fail: 0 }
  - duplicates: { keys: [order_id], fail: 0 }
  - schema: { columns: { order_id: BIGINT, amount: any } }
`;
const CUSTOMERS = `dataset: customers
source: ../data/customers.csv
checks:
  - row_count: { fail: { min: 1 } }
  - nulls: { column: email, fail: 0 }
`;

async function makeStoreProject(): Promise<string> {
  const dir = makeProject({ 'checks/orders.yaml': ORDERS, 'checks/customers.yaml': CUSTOMERS });
  await writeData(dir, 'data/orders.parquet', 'select range as order_id, range * 1.5 as amount from range(40)');
  await writeData(dir, 'data/customers.csv', "select range as id, case when range = 3 then null else 'u' || range || '@x.io' end as email from range(10)");
  return dir;
}

describe('what vigil run records (read back after the CLI exits)', () => {
  let dir: string;
  let store: string;
  let firstRunId: string;
  let firstResults: Record<string, unknown>[];

  beforeAll(async () => {
    dir = await makeStoreProject();
    store = path.join(dir, '.vigil/vigil.duckdb');
    const res = await vigil(['run', '--json', '--no-alerts'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1); // customers.nulls.email fails
    firstRunId = (JSON.parse(res.stdout) as { run_id: string }).run_id;
    firstResults = await queryDb(store, `select * from check_results where run_id = '${firstRunId}' order by check_id`);
  });

  it('one runs row, completed, with its summary', async () => {
    const runs = await queryDb(store, 'select run_id, status, trigger, summary::VARCHAR as summary, finished_at is not null as finished, finished_at >= started_at as ordered from runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ run_id: firstRunId, status: 'completed', trigger: 'cli', finished: true, ordered: true });
    expect(JSON.parse(String(runs[0]?.summary))).toEqual({ pass: 6, warn: 0, fail: 1, error: 0 });
  });

  it('one dataset_runs row per dataset and one check_results row per check, all of this run', async () => {
    const ds = await queryDb(store, `select dataset, error, duration_ms, json_array_length(queries) as nq from dataset_runs where run_id = '${firstRunId}' order by dataset`);
    expect(ds.map((r) => r.dataset)).toEqual(['customers', 'orders']);
    for (const r of ds) {
      expect(r.error).toBeNull();
      expect(Number(r.duration_ms)).toBeGreaterThanOrEqual(0);
      expect(Number(r.nq)).toBeGreaterThan(0);
    }
    expect(firstResults.map((r) => r.check_id)).toEqual([
      'customers.nulls.email', 'customers.row_count',
      'orders.duplicates.order_id', 'orders.nulls.amount', 'orders.nulls.order_id', 'orders.row_count', 'orders.schema',
    ]);
    const email = firstResults.find((r) => r.check_id === 'customers.nulls.email');
    expect(email).toMatchObject({ dataset: 'customers', kind: 'nulls', name: 'nulls.email', status: 'fail', value: 1, unit: 'rows' });
    const rc = firstResults.find((r) => r.check_id === 'orders.row_count');
    expect(rc).toMatchObject({ status: 'pass', value: 40, owner: 'payments' });
  });

  it('records each dataset\'s schema once', async () => {
    expect(await count(store, 'select * from schema_snapshots')).toBe(2);
  });

  it('history is append-only: a second run doubles the rows and leaves the first run\'s rows as they were', async () => {
    const res = await vigil(['run', '--json', '--no-alerts'], { cwd: dir });
    expect(res.code).toBe(1);
    const secondRunId = (JSON.parse(res.stdout) as { run_id: string }).run_id;
    expect(secondRunId).not.toBe(firstRunId);
    expect(await count(store, 'select * from runs')).toBe(2);
    expect(await count(store, 'select * from dataset_runs')).toBe(4);
    expect(await count(store, 'select * from check_results')).toBe(14);
    expect(await count(store, `select * from check_results where run_id = '${secondRunId}'`)).toBe(7);
    const again = await queryDb(store, `select * from check_results where run_id = '${firstRunId}' order by check_id`);
    expect(again).toEqual(firstResults);
    // the schema did not change: no new snapshot
    expect(await count(store, 'select * from schema_snapshots')).toBe(2);
  });

  it('records the schema version in vigil_meta', async () => {
    const meta = await queryDb(store, 'select key, value from vigil_meta');
    expect(meta).toEqual([{ key: 'schema_version', value: String(SCHEMA_VERSION) }]);
  });
});

function result(dataset: string, name: string, over: Partial<CheckResult> = {}): CheckResult {
  return {
    check: `${dataset}.${name}`, dataset, kind: 'row_count', name, status: 'pass', value: 10, unit: 'rows',
    message: '10 rows', runbook: null, owner: null, tags: [], thresholds: {}, details: {},
    evaluated_at: '2026-01-01T00:00:00.000Z', duration_ms: 5, ...over,
  };
}

function datasetRun(dataset: string, results: CheckResult[], over: Partial<DatasetRun> = {}): DatasetRun {
  return {
    dataset, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', results,
    schema: [{ name: 'id', type: 'BIGINT' }], error: null, queries: [{ label: 'aggregates', sql: 'select 1', ms: 1 }], ...over,
  };
}

describe('the store API', () => {
  it('reopening does not re-migrate and keeps the data', async () => {
    const file = path.join(makeProject(), 'store/v.duckdb');
    const s1 = await DuckDBStore.open(file);
    await s1.beginRun({ runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z', trigger: 'test', selectors: [] });
    await s1.recordDataset('r1', datasetRun('a', [result('a', 'row_count')]));
    await s1.finishRun('r1', '2026-01-01T00:00:02.000Z', { pass: 1, warn: 0, fail: 0, error: 0 }, 'completed');
    await s1.close();
    for (let i = 0; i < 2; i++) {
      const s = await DuckDBStore.open(file);
      expect((await s.runs(10)).map((r) => r.run_id)).toEqual(['r1']);
      expect(await s.latestResults()).toHaveLength(1);
      await s.close();
    }
    expect(await queryDb(file, 'select key, value from vigil_meta')).toEqual([{ key: 'schema_version', value: String(SCHEMA_VERSION) }]);
    expect(await count(file, 'select * from check_results')).toBe(1);
  });

  it('refuses a store written by a newer vigil, with a clear message', async () => {
    const file = path.join(makeProject(), 'v.duckdb');
    await (await DuckDBStore.open(file)).close();
    const inst = await DuckDBInstance.create(file);
    const conn = await inst.connect();
    await conn.run(`UPDATE vigil_meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    conn.closeSync();
    inst.closeSync();
    await expect(DuckDBStore.open(file)).rejects.toThrow(/newer|upgrade/i);
  });

  describe('one transaction per dataset: a failure mid-record leaves no partial rows', () => {
    let file: string;
    const errors: string[] = [];

    beforeAll(async () => {
      file = path.join(makeProject(), 'tx.duckdb');
      const store = await DuckDBStore.open(file);
      try {
        await store.beginRun({ runId: 'run1', startedAt: '2026-01-01T00:00:00.000Z', trigger: 'test', selectors: [] });
        await store.recordDataset('run1', datasetRun('ok_before', [result('ok_before', 'row_count')]));

        // 1. JSON.stringify throws while building the check_results insert, after dataset_runs was inserted.
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        await store.recordDataset('run1', datasetRun('circular', [result('circular', 'a'), result('circular', 'b', { details: circular })]))
          .then(() => errors.push('circular: no error'), (e: Error) => errors.push(`circular: ${e.message}`));

        // 2. The database rejects the check_results insert (a value that is not a DOUBLE).
        await store.recordDataset('run1', datasetRun('badvalue', [result('badvalue', 'a'), result('badvalue', 'b', { value: 'not a number' as unknown as number })]))
          .then(() => errors.push('badvalue: no error'), (e: Error) => errors.push(`badvalue: ${e.message}`));

        // 3. The schema snapshot, the last statement, fails after both inserts.
        await store.recordDataset('run1', datasetRun('badschema', [result('badschema', 'a')], { schema: [{ name: 'id', type: 1n as unknown as string }] }))
          .then(() => errors.push('badschema: no error'), (e: Error) => errors.push(`badschema: ${e.message}`));

        // The store is still usable afterwards.
        await store.recordDataset('run1', datasetRun('ok_after', [result('ok_after', 'row_count'), result('ok_after', 'other')]));
        await store.finishRun('run1', '2026-01-01T00:00:05.000Z', { pass: 3, warn: 0, fail: 0, error: 0 }, 'completed');
      } finally {
        await store.close();
      }
    });

    it('each bad record was rejected', () => {
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e).not.toMatch(/no error/);
    });

    it('no dataset_runs, check_results or schema rows remain for the failed datasets', async () => {
      for (const ds of ['circular', 'badvalue', 'badschema']) {
        expect(await count(file, `select * from dataset_runs where dataset = '${ds}'`), ds).toBe(0);
        expect(await count(file, `select * from check_results where dataset = '${ds}'`), ds).toBe(0);
        expect(await count(file, `select * from schema_snapshots where dataset = '${ds}'`), ds).toBe(0);
      }
    });

    it('the good datasets before and after were recorded in full', async () => {
      expect((await queryDb(file, 'select dataset from dataset_runs order by dataset')).map((r) => r.dataset)).toEqual(['ok_after', 'ok_before']);
      expect(await count(file, 'select * from check_results')).toBe(3);
      expect(await count(file, `select * from runs where status = 'completed'`)).toBe(1);
    });
  });

  it('datasets finishing together are written together, and a bad one in the group costs only itself', async () => {
    const file = path.join(makeProject(), 'group.duckdb');
    const store = await DuckDBStore.open(file);
    let outcomes: PromiseSettledResult<void>[];
    try {
      await store.beginRun({ runId: 'run1', startedAt: '2026-01-01T00:00:00.000Z', trigger: 'test', selectors: [] });
      // None awaited before the next: they queue while the first is written and go in as a group.
      outcomes = await Promise.allSettled([
        store.recordDataset('run1', datasetRun('g1', [result('g1', 'a')])),
        store.recordDataset('run1', datasetRun('g2', [result('g2', 'a'), result('g2', 'b')])),
        store.recordDataset('run1', datasetRun('bad', [result('bad', 'a'), result('bad', 'b', { value: 'not a number' as unknown as number })])),
        store.recordDataset('run1', datasetRun('g3', [result('g3', 'a')], { schema: [{ name: 'id', type: 'BIGINT' }] })),
        ...Array.from({ length: 80 }, (_, i) => store.recordDataset('run1', datasetRun(`m${i}`, [result(`m${i}`, 'a')]))),
      ]);
    } finally {
      await store.close();
    }
    expect(outcomes.map((o) => o.status).filter((s) => s === 'rejected')).toHaveLength(1);
    expect(outcomes[2]?.status).toBe('rejected');
    expect(await count(file, `select * from check_results where dataset = 'bad'`)).toBe(0);
    expect(await count(file, `select * from dataset_runs where dataset = 'bad'`)).toBe(0);
    expect(await count(file, `select * from latest_results where dataset = 'bad'`)).toBe(0);
    expect(await count(file, 'select * from dataset_runs')).toBe(83);
    expect(await count(file, 'select * from check_results')).toBe(84);
    expect(await count(file, 'select * from latest_results')).toBe(84);
    expect(await count(file, `select * from schema_snapshots where dataset = 'g3'`)).toBe(1);
  });
});

describe('latest results (what status shows)', () => {
  it('after two runs the latest is the second run\'s; history keeps both', async () => {
    const dir = await makeStoreProject();
    await runProject(dir, { now: new Date('2026-01-01T00:00:00Z') });
    await writeData(dir, 'data/customers.csv', "select range as id, 'u' || range || '@x.io' as email from range(12)");
    await runProject(dir, { now: new Date('2026-01-02T00:00:00Z') });
    const { project } = loadProject({ cwd: dir });
    const store = await DuckDBStore.open(project.storePath);
    try {
      const latest = await store.latestResults();
      expect(latest).toHaveLength(7);
      expect(latest.find((r) => r.check === 'customers.nulls.email')).toMatchObject({ status: 'pass', value: 0 });
      expect(latest.find((r) => r.check === 'customers.row_count')).toMatchObject({ status: 'pass', value: 12 });
      expect((await store.runs(10))).toHaveLength(2);
    } finally {
      await store.close();
    }
    expect(await count(project.storePath, `select * from check_results where check_id = 'customers.nulls.email'`)).toBe(2);
  });

  it('the latest is the last run\'s even when --now of the last run is earlier than the one before', async () => {
    // e.g. a forward --now then a run on the real clock: "latest" means the run recorded last, not the largest
    // clock. (A CLI run back in time is a replay and records nothing; the store's rule is tested with recordPast.)
    const dir = await makeStoreProject();
    await runProject(dir, { now: new Date('2026-06-01T00:00:00Z') });
    await writeData(dir, 'data/customers.csv', "select range as id, 'u' || range || '@x.io' as email from range(12)");
    await runProject(dir, { now: new Date('2026-01-01T00:00:00Z'), recordPast: true });
    const { project } = loadProject({ cwd: dir });
    const store = await DuckDBStore.open(project.storePath);
    try {
      const latest = await store.latestResults();
      expect(latest).toHaveLength(7);
      expect(latest.find((r) => r.check === 'customers.row_count')).toMatchObject({ value: 12 });
      expect(latest.find((r) => r.check === 'customers.nulls.email')).toMatchObject({ status: 'pass', value: 0 });
    } finally {
      await store.close();
    }
  });
});
