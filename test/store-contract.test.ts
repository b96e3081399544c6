// One store contract, run against both stores: the DuckDB file and PostgreSQL
// (a real server started here). The same writes give the same answers on both
// — every read of the Store interface — and the PostgreSQL store is shared:
// what one process writes, another sees (its revision included).

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../src/checks/kind.js';
import { openStore } from '../src/store/open.js';
import type { CheckResult, DatasetRun, IncidentPlanner, IncidentRow, Store } from '../src/store/store.js';
import { cleanupProjects, makeProject } from './helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

let pg: PgServer;
let dbs = 0;
beforeAll(async () => { pg = await startPostgres(); }, 60_000);
afterAll(async () => { await pg?.destroy(); cleanupProjects(); });

interface Kind {
  name: string;
  /** A new, empty store location. */
  fresh(): Promise<string>;
}

const KINDS: Kind[] = [
  { name: 'DuckDB', fresh: () => Promise.resolve(path.join(makeProject(), '.vigil', 'vigil.duckdb')) },
  { name: 'PostgreSQL', fresh: async () => { const db = `contract${++dbs}`; await pg.createDatabase(db); return pg.urlFor(db); } },
];

function result(dataset: string, name: string, status: Status, value: number | null, at: string, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check: `${dataset}.${name}`, dataset, kind: name.split('.')[0] ?? name, name, status, value, unit: 'rows', message: `${name} is ${value}`,
    runbook: 'https://runbooks.example/x', owner: 'data', tags: ['t1', 'a'], thresholds: { fail: { min: 1 }, warn: { min: 5 } },
    details: { zeta: 1, alpha: [1, 2], nested: { b: 'x', a: null } }, evaluated_at: at, duration_ms: 12.5, ...extra,
  };
}

function datasetRun(dataset: string, at: string, results: CheckResult[], extra: Partial<DatasetRun> = {}): DatasetRun {
  const end = new Date(Date.parse(at) + 1500).toISOString();
  return { dataset, startedAt: at, finishedAt: end, results, schema: [{ name: 'id', type: 'BIGINT' }], error: null, queries: [{ label: 'scan', sql: 'select 1', ms: 3 }], ...extra };
}

/** Opens an incident per failing check, resolves it when it passes; one outbox row per change. */
const planner = (runId: string, results: CheckResult[]): IncidentPlanner => (open) => {
  const out: ReturnType<IncidentPlanner> = { incidents: [], history: [], outbox: [] };
  for (const r of results) {
    const current = open.get(r.check);
    const failing = r.status === 'fail' || r.status === 'error';
    if (!current && failing) {
      const row: IncidentRow = {
        id: `inc-${r.check}-${runId}`, checkId: r.check, dataset: r.dataset, kind: r.kind, state: 'open', status: r.status, notifiedStatus: r.status,
        openedAt: r.evaluated_at, lastSeenAt: r.evaluated_at, resolvedAt: null, lastNotifiedAt: r.evaluated_at, lastSentAt: null, lastEvent: 'opened',
        silencedReason: null, silencedUntil: null, runbook: r.runbook, owner: r.owner, message: r.message,
      };
      out.incidents.push({ row, insert: true });
      out.history.push({ incidentId: row.id, at: r.evaluated_at, status: r.status, event: 'opened', runId });
    } else if (current && !failing) {
      const row: IncidentRow = { ...current, state: 'resolved', status: current.status, resolvedAt: r.evaluated_at, lastSeenAt: r.evaluated_at, lastEvent: 'resolved' };
      out.incidents.push({ row, insert: false });
      out.history.push({ incidentId: row.id, at: r.evaluated_at, status: r.status, event: 'resolved', runId });
    } else continue;
    out.outbox.push({
      key: `${runId}:${r.check}:slack`, channel: 'slack', dataset: r.dataset, runId, payload: { text: `${r.check} ${r.status}`, blocks: [{ z: 1, a: 2 }] },
      state: 'pending', attempts: 0, nextAttemptAt: null, lastError: null, createdAt: r.evaluated_at, deliveredAt: null,
    });
  }
  return out;
};

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:15:00.000Z');
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

/** The same writes on any store: six runs over three days, a schema change, an incident opened and resolved, a skipped tick, a run left running. */
async function writeScenario(store: Store): Promise<void> {
  const plan: Array<{ h: number; orders: number; customers: Status }> = [
    { h: 0, orders: 10, customers: 'pass' }, { h: 0.5, orders: 0, customers: 'pass' }, { h: 1, orders: 12, customers: 'fail' },
    { h: 26, orders: 14, customers: 'fail' }, { h: 27, orders: 1e21, customers: 'pass' }, { h: 50, orders: 2.5, customers: 'warn' },
  ];
  for (const [i, p] of plan.entries()) {
    const runId = `run-${i}`;
    // Odd runs are scheduled ticks of orders (their scheduled_for on the hour before they started).
    await store.beginRun({ runId, startedAt: at(p.h), trigger: i % 2 ? 'schedule' : 'cli', selectors: i % 2 ? ['orders'] : [],
      ...(i % 2 ? { datasets: ['orders'], scheduledFor: new Date(Math.floor(Date.parse(at(p.h)) / HOUR) * HOUR).toISOString() } : {}) });
    const orders = [result('orders', 'row_count', p.orders > 0 ? 'pass' : 'fail', p.orders, at(p.h)), result('orders', 'nulls.amount', 'pass', 0, at(p.h))];
    const customers = [result('customers', 'row_count', p.customers, p.customers === 'pass' ? 3 : null, at(p.h))];
    // One after the other: rows written at the same instant by concurrent writes have no defined order.
    await store.recordDataset(runId, datasetRun('orders', at(p.h), orders, i >= 4 ? { schema: [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }] } : {}), planner(runId, orders));
    await store.recordDataset(runId, datasetRun('customers', at(p.h), customers, p.customers === 'fail' ? { error: 'boom', schema: null } : {}), planner(runId, customers));
    await store.finishRun(runId, new Date(Date.parse(at(p.h)) + 2000).toISOString(), { pass: 2, warn: 0, fail: 1, error: 0 }, 'completed');
  }
  await store.recordSkippedTick('orders', at(50.1), 'still running');
  await store.recordSkippedTick('orders', at(50.2), 'still running');
  const due = await store.dueOutbox(at(60), 2);
  if (due[0]) await store.updateOutbox(due[0].key, { state: 'delivered', attempts: 1, nextAttemptAt: null, lastError: null, deliveredAt: at(60) });
  // Sent: the incident's lastSentAt, which never moves back.
  await store.recordSent(['inc-orders.row_count-run-1'], at(60));
  await store.recordSent(['inc-orders.row_count-run-1', 'no-such-incident'], at(59));
  await store.recordSent([], at(61));
  // A permanent failure after that delivery: a delivery problem of the channel.
  if (due[1]) await store.updateOutbox(due[1].key, { state: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'HTTP 400: invalid_payload', deliveredAt: null });
}

/** Every read of the Store interface, as a user of the CLI or the API would get it. */
async function readEverything(store: Store) {
  const history = async (check: string, res: 'run' | 'hour' | 'day') => {
    const h = await store.checkHistory(check, new Date(T0 - 2 * HOUR), new Date(T0 + 60 * HOUR), res);
    return h.points.rows();
  };
  return {
    runs: await store.runs(100),
    latest: await store.latestResults(),
    latestStates: await store.latestStates(),
    latestState: await store.latestState('orders.row_count'),
    missing: await store.latestState('nope'),
    lastSchema: await store.lastSchema('orders'),
    lastSchemas: [...await store.lastSchemas()],
    snapshots: await store.schemaSnapshots('orders'),
    lastDatasetRuns: [...await store.lastDatasetRuns()].map(([k, v]) => [k, v.toISOString()]),
    lastTicks: [...await store.lastTicks()].map(([k, v]) => [k, v.toISOString()]),
    skipped: [...await store.skippedTicks()],
    incidents: await store.incidents({}),
    openIncidents: await store.incidents({ state: 'open', dataset: 'customers' }),
    openCounts: [...await store.openIncidentCounts()],
    outbox: await store.outbox(),
    pending: await store.outbox({ state: 'pending' }),
    due: await store.dueOutbox(at(100), 10),
    deliveryProblems: await store.deliveryProblems(),
    recent: await store.recentDatasetRuns('orders', 4),
    notPassing: [...await store.notPassingChecks('orders', ['run-1', 'run-2', 'run-0'])],
    historyRun: await history('orders.row_count', 'run'),
    historyHour: await history('orders.row_count', 'hour'),
    historyDay: await history('customers.row_count', 'day'),
    hourly: [...await store.hourlyCounts(['orders.row_count', 'customers.row_count', 'none'], new Date(T0))],
    windows: [...await store.windowCounts([
      { checkId: 'customers.row_count', after: new Date(T0 - HOUR), upto: new Date(T0 + 30 * HOUR) },
      { checkId: 'orders.row_count', after: new Date(T0 + 20 * HOUR), upto: new Date(T0 + 60 * HOUR) },
      { checkId: 'none', after: new Date(T0), upto: new Date(T0 + HOUR) },
    ])],
    values: [...await store.checkValues([
      { checkId: 'orders.row_count', from: new Date(T0 + 0.5 * HOUR), to: new Date(T0 + 50 * HOUR) },
      { checkId: 'customers.row_count', from: new Date(T0 - HOUR), to: new Date(T0 + 60 * HOUR) },
      { checkId: 'none', from: new Date(T0), to: new Date(T0 + HOUR) },
    ])],
  };
}

const answers = new Map<string, Awaited<ReturnType<typeof readEverything>>>();

describe.each(KINDS)('the store contract on $name', (kind) => {
  let location: string;
  let store: Store;
  let read: Awaited<ReturnType<typeof readEverything>>;

  beforeAll(async () => {
    location = await kind.fresh();
    store = await openStore(location);
    await writeScenario(store);
    read = await readEverything(store);
    answers.set(kind.name, read);
  }, 120_000);
  afterAll(async () => { await store?.close(); });

  it('runs: newest first, with status, trigger, selectors and summary', () => {
    expect(read.runs.map((r) => r.run_id)).toEqual(['run-5', 'run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
    expect(read.runs[0]).toMatchObject({ status: 'completed', trigger: 'schedule', selectors: ['orders'], summary: { pass: 2, warn: 0, fail: 1, error: 0 } });
    expect(read.runs[0]?.replica).toBe(store.coordination.replica);
  });

  it('latest results: one per check, the last run\'s, values as written (1e21 included), JSON key order kept', () => {
    expect(read.latest.map((r) => r.check)).toEqual(['customers.row_count', 'orders.nulls.amount', 'orders.row_count']);
    expect(read.latestState).toMatchObject({ check: 'orders.row_count', value: 2.5, status: 'pass', run_id: 'run-5' });
    expect(read.missing).toBeNull();
    expect(JSON.stringify(read.latestState?.details)).toBe('{"zeta":1,"alpha":[1,2],"nested":{"b":"x","a":null}}');
    expect(read.historyRun.map((p) => p.value)).toContain(1e21);
  });

  it('schemas: a snapshot only when the columns change', () => {
    expect(read.snapshots.map((s) => [s.run_id, s.columns.length])).toEqual([['run-0', 1], ['run-4', 2]]);
    expect(read.lastSchema).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }]);
  });

  it('incidents and outbox: opened and resolved in the results\' transaction; a delivered row leaves the due list', () => {
    expect(read.incidents.map((i) => [i.checkId, i.state])).toEqual([['customers.row_count', 'resolved'], ['orders.row_count', 'resolved']]);
    expect(read.incidents[0]?.history.map((h) => h.event)).toEqual(['opened', 'resolved']);
    expect(read.openCounts).toEqual([]);
    expect(read.outbox).toHaveLength(4);
    expect(read.outbox[0]).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(read.due.map((o) => o.key)).toEqual(read.pending.map((o) => o.key));
    expect(read.due).toHaveLength(2);
  });

  it('notifications sent: an incident\'s lastSentAt is when one reached a channel; a failure for good since a channel\'s last delivery is a delivery problem until a later one is delivered', async () => {
    expect(read.incidents.map((i) => [i.id, i.lastSentAt])).toEqual([
      ['inc-customers.row_count-run-2', null],
      ['inc-orders.row_count-run-1', at(60)],
    ]);
    expect(read.deliveryProblems).toEqual([{ channel: 'slack', failed: 1, since: at(1), lastError: 'HTTP 400: invalid_payload', dataset: 'orders' }]);
    // A later row delivered: the channel works again.
    const [later] = await store.dueOutbox(at(100), 10).then((rows) => rows.slice(-1));
    expect(later?.createdAt).toBe(at(27));
    await store.updateOutbox(later?.key ?? '', { state: 'delivered', attempts: 1, nextAttemptAt: null, lastError: null, deliveredAt: at(100) });
    expect(await store.deliveryProblems()).toEqual([]);
  });

  it('history: every run, hourly and daily buckets, and the SLO counts', () => {
    expect(read.historyRun).toHaveLength(6);
    expect(read.historyHour.map((p) => p.runs)).toEqual([2, 1, 1, 1, 1]);
    expect(read.historyDay.map((p) => [p.runs, p.failing])).toEqual([[3, 1], [2, 1], [1, 0]]);
    expect(Object.fromEntries(read.windows)).toEqual({ 'customers.row_count': { runs: 5, failing: 2 }, 'orders.row_count': { runs: 3, failing: 0 }, none: { runs: 0, failing: 0 } });
    expect(read.hourly.find(([c]) => c === 'none')?.[1]).toEqual([]);
  });

  it('recorded values for anomaly training: [from, to), oldest first, null values left out', () => {
    expect(Object.fromEntries(read.values)).toEqual({
      'orders.row_count': [{ at: at(0.5), value: 0 }, { at: at(1), value: 12 }, { at: at(26), value: 14 }, { at: at(27), value: 1e21 }],
      'customers.row_count': [{ at: at(0), value: 3 }, { at: at(0.5), value: 3 }, { at: at(27), value: 3 }],
      none: [],
    });
  });

  it('skipped ticks, dataset runs and the checks that did not pass', () => {
    expect(read.skipped).toEqual([['orders', { count: 2, last: at(50.2) }]]);
    // The newest tick a scheduler took: orders' last scheduled run (run-5) was for 12:00 on the third day,
    // the tick it skipped at +50.2 h is newer; customers never ran on a schedule.
    expect(read.lastTicks).toEqual([['orders', at(50.2)]]);
    expect(read.recent.map((r) => r.run_id)).toEqual(['run-5', 'run-4', 'run-3', 'run-2']);
    expect(Object.fromEntries(read.notPassing)).toEqual({ 'run-1': [{ check: 'orders.row_count', name: 'row_count', status: 'fail' }] });
  });

  it('abortRunning marks what a process that is gone left running, once (on a shared store, not a live process\'s runs)', async () => {
    await store.close();
    const gone = await openStore(location);
    await gone.beginRun({ runId: 'run-left', startedAt: at(51), trigger: 'schedule', selectors: [], datasets: ['orders'], scheduledFor: at(51) });
    await gone.close();
    store = await openStore(location);
    if (kind.name === 'PostgreSQL') await store.beginRun({ runId: 'run-live', startedAt: at(51.5), trigger: 'cli', selectors: [] });
    expect(await store.abortRunning(at(52))).toBe(1);
    expect(await store.abortRunning(at(52))).toBe(0);
    const runs = await store.runs(2);
    expect(runs.find((r) => r.run_id === 'run-left')).toMatchObject({ status: 'aborted', finished_at: at(52), datasets: ['orders'], scheduled_for: at(51) });
    if (kind.name === 'PostgreSQL') expect(runs.find((r) => r.run_id === 'run-live')).toMatchObject({ status: 'running' });
  });

  it('the revision moves with each write of a dataset, seen by a second opening of the same store', async () => {
    const before = await store.revision();
    expect(before.datasets.get('orders')).toBeGreaterThan(0);
    await store.beginRun({ runId: 'run-x', startedAt: at(70), trigger: 'cli', selectors: [] });
    await store.recordDataset('run-x', datasetRun('orders', at(70), [result('orders', 'row_count', 'pass', 3, at(70))]));
    const after = await store.revision();
    expect(after.all).toBeGreaterThan(before.all);
    expect(after.datasets.get('orders')).toBeGreaterThan(before.datasets.get('orders') ?? 0);
    expect(after.datasets.get('customers')).toBe(before.datasets.get('customers'));
    if (kind.name === 'PostgreSQL') {
      const other = await openStore(location);
      try {
        await other.recordDataset('run-x', datasetRun('customers', at(70), [result('customers', 'row_count', 'pass', 3, at(70))]));
        expect((await store.revision()).datasets.get('customers')).toBeGreaterThan(after.datasets.get('customers') ?? 0);
        expect((await store.latestState('customers.row_count'))?.run_id).toBe('run-x');
      } finally {
        await other.close();
      }
    }
  });

  it('a dataset whose write fails leaves nothing of itself and costs no other dataset', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const outcomes = await Promise.allSettled([
      store.recordDataset('run-x', datasetRun('good1', at(71), [result('good1', 'a', 'pass', 1, at(71))])),
      store.recordDataset('run-x', datasetRun('bad', at(71), [result('bad', 'a', 'pass', 1, at(71)), result('bad', 'b', 'pass', 'x' as unknown as number, at(71))])),
      store.recordDataset('run-x', datasetRun('circ', at(71), [result('circ', 'a', 'pass', 1, at(71), { details: circular })])),
      store.recordDataset('run-x', datasetRun('good2', at(71), [result('good2', 'a', 'pass', 1, at(71))])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    const datasets = new Set((await store.latestResults()).map((r) => r.dataset));
    expect(datasets.has('good1') && datasets.has('good2')).toBe(true);
    expect(datasets.has('bad') || datasets.has('circ')).toBe(false);
    expect(await store.recentDatasetRuns('bad', 5)).toEqual([]);
  });

  it('acknowledge: who, when and why on the open incident, a history line and its outbox rows in one transaction; once; never a resolved one', async () => {
    const open = async (dataset: string, h: number) => {
      const runId = `run-${dataset}`;
      await store.beginRun({ runId, startedAt: at(h), trigger: 'cli', selectors: [] });
      const rs = [result(dataset, 'row_count', 'fail', 0, at(h))];
      await store.recordDataset(runId, datasetRun(dataset, at(h), rs), planner(runId, rs));
      const [row] = await store.incidents({ state: 'open', dataset });
      return row!;
    };
    const incident = await open('acked', 80);
    const ack = { by: 'alice', at: at(80.5), reason: 'on it' };
    const outboxRow = (row: IncidentRow) => ({
      key: `ack:${row.id}`, channel: 'slack', dataset: row.dataset, runId: null, payload: { by: row.acknowledgedBy, reason: row.ackReason },
      state: 'pending' as const, attempts: 0, nextAttemptAt: ack.at, lastError: null, createdAt: ack.at, deliveredAt: null,
    });
    const r = await store.acknowledge(incident.id, ack, (row) => [outboxRow(row)]);
    expect(r.outcome).toBe('acknowledged');
    const [after] = await store.incidents({ state: 'open', dataset: 'acked' });
    expect(after).toMatchObject({ acknowledgedBy: 'alice', acknowledgedAt: ack.at, ackReason: 'on it', lastEvent: 'acknowledged', lastNotifiedAt: ack.at });
    expect(after?.history.map((h) => h.event)).toEqual(['opened', 'acknowledged']);
    expect((await store.outbox()).find((o) => o.key === `ack:${incident.id}`)?.payload).toEqual({ by: 'alice', reason: 'on it' });

    const again = await store.acknowledge(incident.id, { ...ack, by: 'bob' }, () => { throw new Error('not asked: nothing changes'); });
    expect(again.outcome).toBe('already');
    expect(again.incident?.acknowledgedBy).toBe('alice');
    expect((await store.acknowledge('no-such-incident', ack, () => [])).outcome).toBe('not_found');
    const resolved = (await store.incidents({ state: 'resolved' }))[0]!;
    expect((await store.acknowledge(resolved.id, ack, () => [])).outcome).toBe('resolved');

    // All or nothing: a failure while planning its notifications leaves the incident as it was.
    const other = await open('acked2', 81);
    await expect(store.acknowledge(other.id, ack, () => { throw new Error('routing broke'); })).rejects.toThrow(/routing broke/);
    const [untouched] = await store.incidents({ state: 'open', dataset: 'acked2' });
    expect(untouched?.acknowledgedBy).toBeNull();
    expect(untouched?.history.map((h) => h.event)).toEqual(['opened']);

    // The next run's planner reads the acknowledgement with the open incidents (so it sends no reminder).
    let seen: IncidentRow | undefined;
    await store.recordDataset('run-acked', datasetRun('acked', at(82), [result('acked', 'row_count', 'fail', 0, at(82))]), (o) => { seen = o.get('acked.row_count'); return { incidents: [], history: [], outbox: [] }; });
    expect(seen).toMatchObject({ id: incident.id, acknowledgedBy: 'alice', acknowledgedAt: ack.at, ackReason: 'on it' });
  });

  it('silences: listed while active (newest first), all of them with all; expired by hand once; ids unique', async () => {
    const mk = (id: string, fromH: number, toH: number, dataset = 'orders') => ({
      id, match: { dataset: [dataset], kind: ['row_count'] }, selector: `${dataset} kind:row_count`, reason: `because ${id}`, createdBy: 'alice',
      createdAt: at(fromH), endsAt: at(toH), expiredAt: null, expiredBy: null,
    });
    await store.addSilence(mk('s1', 90, 92));
    await store.addSilence(mk('s2', 90.5, 95, 'customers'));
    await store.addSilence(mk('s3', 89, 90.2));
    expect((await store.silences({ now: at(91) })).map((s) => s.id)).toEqual(['s2', 's1']);
    expect((await store.silences({ now: at(91), all: true })).map((s) => s.id)).toEqual(['s2', 's1', 's3']);
    expect((await store.silences({ now: at(91) }))[1]).toEqual(mk('s1', 90, 92));
    expect(await store.expireSilence('s1', at(91), 'bob')).toEqual({ ...mk('s1', 90, 92), expiredAt: at(91), expiredBy: 'bob' });
    expect((await store.silences({ now: at(91.1) })).map((s) => s.id)).toEqual(['s2']);
    expect(await store.expireSilence('s1', at(91.5), 'carol')).toMatchObject({ expiredAt: at(91), expiredBy: 'bob' });
    expect(await store.expireSilence('s3', at(91.5), 'carol')).toMatchObject({ expiredAt: null, expiredBy: null });
    expect(await store.expireSilence('nope', at(91.5), 'carol')).toBeNull();
    await expect(store.addSilence(mk('s2', 1, 2))).rejects.toThrow();
  });

  it('reopening keeps everything and does not migrate again', async () => {
    const again = await openStore(location);
    try {
      expect((await again.runs(100)).length).toBeGreaterThan(read.runs.length);
    } finally {
      await again.close();
    }
  });
});

describe.each(KINDS)('anomaly bands on $name', (kind) => {
  it('checkBands: the band of every run that has one, in [from, to], oldest first; learning runs and other checks have none', async () => {
    const store = await openStore(await kind.fresh());
    try {
      const band = (lower: number, upper: number, anomalous: boolean) => ({ anomaly: { expected: (lower + upper) / 2, lower, upper, points: 7, score: 1, method: 'm', anomalous } });
      const details = [{ anomaly: { learning: true, points: 2, needed: 7 } }, band(90, 110, false), band(95.5, 1e21, true), band(0, 0, false), {}];
      for (const [i, d] of details.entries()) {
        await store.beginRun({ runId: `b${i}`, startedAt: at(i), trigger: 'cli', selectors: [] });
        await store.recordDataset(`b${i}`, datasetRun('orders', at(i), [result('orders', 'row_count', 'pass', 100 + i, at(i), { details: d }), result('orders', 'nulls.x', 'pass', 0, at(i), { details: band(1, 2, false) })]));
        await store.finishRun(`b${i}`, at(i + 0.1), { pass: 2, warn: 0, fail: 0, error: 0 }, 'completed');
      }
      expect(await store.checkBands('orders.row_count', new Date(T0), new Date(T0 + 3 * HOUR))).toEqual([
        { at: at(1), value: 101, expected: 100, lower: 90, upper: 110, anomalous: false },
        { at: at(2), value: 102, expected: (95.5 + 1e21) / 2, lower: 95.5, upper: 1e21, anomalous: true },
        { at: at(3), value: 103, expected: 0, lower: 0, upper: 0, anomalous: false },
      ]);
      expect(await store.checkBands('orders.row_count', new Date(T0 + 1.5 * HOUR), new Date(T0 + 2.5 * HOUR))).toHaveLength(1);
      expect(await store.checkBands('none', new Date(T0), new Date(T0 + 9 * HOUR))).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('the same answers on both stores', () => {
  it('every read gives the same value on DuckDB and PostgreSQL after the same writes', () => {
    const duck = answers.get('DuckDB');
    const postgres = answers.get('PostgreSQL');
    expect(duck).toBeDefined();
    // Compared as the API sends them: JSON text, key order included.
    for (const key of Object.keys(duck ?? {}) as Array<keyof NonNullable<typeof duck>>) {
      // Except which process wrote them: each store was written by its own.
      const same = (v: unknown) => JSON.stringify(v, (k, x: unknown) => (k === 'replica' ? 'the writer' : x));
      expect(same(postgres?.[key]), key).toBe(same(duck?.[key]));
    }
  });
});

describe('PostgreSQL store locations', () => {
  it('?schema= keeps two stores apart in one database; the default schema is vigil', async () => {
    const base = await KINDS[1]!.fresh();
    const a = await openStore(base);
    const b = await openStore(`${base}?schema=team_b`);
    try {
      await a.beginRun({ runId: 'in-a', startedAt: at(0), trigger: 'cli', selectors: [] });
      expect(await b.runs(10)).toEqual([]);
      const schemas = await pg.sql(`select schema_name from information_schema.schemata where schema_name in ('vigil', 'team_b') order by 1`, new URL(base).pathname.slice(1));
      expect(schemas.rows.map((r: { schema_name: string }) => r.schema_name)).toEqual(['team_b', 'vigil']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a wrong password or a server that is not there is a clear error without the password', async () => {
    const bad = pg.url.replace(`:${pg.password}@`, ':wrong-secret@');
    await expect(openStore(bad)).rejects.toThrow(/cannot open the results store postgres:\/\/vigil:\*\*\*@/);
    await expect(openStore(bad)).rejects.not.toThrow(/wrong-secret/);
    await expect(openStore('postgres://u:p@127.0.0.1:1/db')).rejects.toThrow(/cannot open the results store.*ECONNREFUSED|cannot open the results store/);
    await expect(openStore('mysql://u:secret@h/db')).rejects.toThrow(/not a store this version can open/);
    await expect(openStore('postgres://u:p@h/db?schema=bad-name;drop')).rejects.toThrow(/schema/);
  });
});

describe('the two stores\' migrations', () => {
  it('every DuckDB migration after the PostgreSQL store\'s first has its PostgreSQL counterpart', async () => {
    const { MIGRATIONS } = await import('../src/store/migrations.js');
    const { PG_MIGRATIONS } = await import('../src/store/postgres/migrations.js');
    const first = PG_MIGRATIONS[0]?.version ?? 0;
    expect(PG_MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version).filter((v) => v >= first));
  });
});
