// The real PostgreSQL server of the tests lives in scripts/pg-server.ts, so the
// PostgreSQL benchmark (scripts/bench-postgres.ts) starts the same one.
export * from '../scripts/pg-server.js';
