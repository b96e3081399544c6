// Every kind of warehouse connection vigil can push checks down into, by the
// `type:` users write in vigil.yaml's connections. Adding a warehouse is one
// dialect file (src/sql/), one engine file (src/engine/) and one line here.

import type { Logger } from '../util/log.js';
import type { Engine } from './engine.js';
import { createPostgresEngine } from './postgres.js';

/** A connection as vigil.yaml declares it, with its name. */
export interface ConnectionSpec {
  name: string;
  type: string;
  url: string;
}

export interface EngineSettings {
  /** At most this many sessions (datasets) at once: the size of a connection pool. */
  sessions: number;
  log: Logger;
}

export type EngineFactory = (connection: ConnectionSpec, settings: EngineSettings) => Engine;

export const CONNECTION_ENGINES: Readonly<Record<string, EngineFactory>> = {
  postgres: createPostgresEngine,
};
