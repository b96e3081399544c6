// The test PostgreSQL server itself: it starts, takes a password, refuses a wrong
// one, and comes back after a crash — what the warehouse and store suites rely on.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgServer } from './pg-server.js';

describe('test PostgreSQL server', () => {
  let server: PgServer;
  beforeAll(async () => { server = await startPostgres(); });
  afterAll(async () => { await server?.destroy(); });

  it('answers on its URL, refuses a wrong password, and restarts after SIGKILL', async () => {
    const r = await server.sql('select version() as v');
    expect(String(r.rows[0].v)).toMatch(/^PostgreSQL \d+/);
    const bad = new pg.Client({ connectionString: server.url.replace(server.password, 'wrong') });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
    await bad.end().catch(() => undefined);
    await server.kill();
    await expect(server.sql('select 1')).rejects.toThrow();
    await server.start();
    expect((await server.sql('select 1 as one')).rows[0].one).toBe(1);
  });
});
