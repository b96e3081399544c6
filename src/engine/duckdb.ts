// DuckDB in-process engine on @duckdb/node-api: one instance, a fixed pool of
// connections (one per concurrently running dataset).

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect } from '../sql/dialect.js';
import type { Engine, Row, Session } from './engine.js';

export interface DuckDBEngineOptions {
  connections: number;
  threads?: number;
  memoryLimit?: string;
}

/** Plain JSON-friendly values: BIGINTs as numbers when safe, dates as ISO strings. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if (value.constructor === Object) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return String(value);
  }
  return value;
}

export class DuckDBEngine implements Engine {
  readonly dialect = duckdbDialect;
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  private readonly all: DuckDBConnection[] = [];

  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(options: DuckDBEngineOptions): Promise<DuckDBEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', config);
    const engine = new DuckDBEngine(instance);
    for (let i = 0; i < Math.max(1, options.connections); i++) {
      const c = await instance.connect();
      engine.all.push(c);
      engine.idle.push(c);
    }
    return engine;
  }

  async acquire(): Promise<Session> {
    const conn = this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    let released = false;
    return {
      query: async (sql: string): Promise<Row[]> => {
        const reader = await conn.runAndReadAll(sql);
        return reader.getRowObjectsJS() as Row[];
      },
      queryArrays: async (sql: string): Promise<unknown[][]> => {
        const reader = await conn.runAndReadAll(sql);
        return reader.getRowsJS() as unknown[][];
      },
      interrupt: () => conn.interrupt(),
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiting.shift();
        if (next) next(conn);
        else this.idle.push(conn);
      },
    };
  }

  async close(): Promise<void> {
    for (const c of this.all) c.closeSync();
    this.instance.closeSync();
  }
}
