// What a command needs to run checks, built in one place so `vigil run`,
// `vigil serve`, `vigil validate`, `status` and `lineage` agree: the results
// store from its location, the files engine for file and sql sources, and one
// engine per warehouse connection the datasets use — each created on first
// use (or up front for the datasets a command is about to run) and closed together.

import type { DatasetDef, Project } from '../config/model.js';
import { createFilesEngine } from '../engine/duckdb.js';
import { EngineError, type Engine } from '../engine/engine.js';
import { CONNECTION_ENGINES } from '../engine/registry.js';
import { openProjectStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export function defaultConcurrency(project: Project): number {
  return project.config.concurrency ?? 2;
}

interface Held {
  key: string;
  engine: Promise<Engine>;
}

/** The engines of a project: the files engine, and one per connection, made when first asked for. */
export class Engines {
  private files: Promise<Engine> | undefined;
  private readonly connections = new Map<string, Held>();
  /** Engines of connections whose settings changed on a reload: closed with the rest. */
  private readonly retired: Array<Promise<Engine>> = [];

  /**
   * `project` is read on every request, so a reloaded vigil.yaml's connections are used;
   * `sessions` is how many datasets may run at once on each engine.
   */
  constructor(private readonly project: () => Project, private readonly sessions: number, private readonly log: Logger) {}

  /** The engine that runs this dataset's checks. */
  for(ds: DatasetDef): Promise<Engine> {
    if (ds.source.type !== 'connection') {
      this.files ??= this.remember(this.createFiles(), () => { this.files = undefined; });
      return this.files;
    }
    const name = ds.source.connection;
    const spec = this.project().config.connections[name];
    if (!spec) return Promise.reject(new EngineError('SOURCE_UNREADABLE', `connection ${name} is not defined in vigil.yaml — add it under connections:`));
    const key = JSON.stringify(spec);
    const held = this.connections.get(name);
    if (held?.key === key) return held.engine;
    if (held) this.retired.push(held.engine);
    const factory = CONNECTION_ENGINES[spec.type];
    if (!factory) {
      const known = Object.keys(CONNECTION_ENGINES);
      return Promise.reject(new EngineError('SOURCE_UNREADABLE',
        `connection ${name} has type ${spec.type}, which this version cannot query${known.length ? ` — types are: ${known.join(', ')}` : ''}`));
    }
    const engine = this.remember(Promise.resolve().then(() => factory({ name, ...spec }, { sessions: this.sessions, log: this.log })),
      () => { if (this.connections.get(name)?.engine === engine) this.connections.delete(name); });
    this.connections.set(name, { key, engine });
    return engine;
  }

  /** Starts the engines these datasets need, so they are ready (or their errors known) when the first dataset starts. */
  prepare(datasets: DatasetDef[]): void {
    for (const ds of datasets) this.for(ds).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [this.files, ...[...this.connections.values()].map((h) => h.engine), ...this.retired].filter((e): e is Promise<Engine> => e !== undefined);
    this.files = undefined;
    this.connections.clear();
    this.retired.length = 0;
    const closing = await Promise.allSettled(all.map(async (e) => (await e).close()));
    for (const c of closing) {
      if (c.status === 'rejected') this.log.warn({ err: errorMessage(c.reason) }, 'an engine did not close cleanly');
    }
  }

  private createFiles(): Promise<Engine> {
    // The results store is never within a dataset's reach, even when it lies in a source's folder.
    return createFilesEngine(this.project().config.duckdb, this.sessions, () => {
      const store = this.project().storePath;
      return store.includes('://') ? [] : [store, `${store}.wal`];
    });
  }

  /** A failed creation is not kept: the next dataset tries again (a server back up, a fixed vigil.yaml). */
  private remember(engine: Promise<Engine>, forget: () => void): Promise<Engine> {
    engine.catch(forget);
    return engine;
  }
}

export interface Runtime {
  store: Store;
  engines: Engines;
  /** Closes the store and every engine; the store's closing checkpoint overlaps the engines' shutdown. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log: Logger;
  /** The datasets the command is about to run: their engines start while the store opens. */
  datasets?: DatasetDef[];
  /** How many datasets run at once (default: the project's concurrency, at most the datasets given). */
  concurrency?: number;
  /** The project as it is now, for commands that reload it (vigil serve); default the one given. */
  current?: () => Project;
}

export function createEngines(project: Project, options: RuntimeOptions): Engines {
  const datasets = options.datasets;
  const sessions = options.concurrency ?? (datasets ? Math.min(defaultConcurrency(project), Math.max(1, datasets.length)) : defaultConcurrency(project));
  const engines = new Engines(options.current ?? (() => project), sessions, options.log);
  if (datasets) engines.prepare(datasets);
  return engines;
}

/** The store and the engines for a command. */
export async function openRuntime(project: Project, options: RuntimeOptions): Promise<Runtime> {
  const engines = createEngines(project, options);
  let store: Store;
  try {
    store = await openProjectStore(project);
  } catch (err) {
    await engines.close();
    throw err;
  }
  return {
    store, engines,
    close: async () => {
      const storeClosed = store.close();
      storeClosed.catch(() => undefined); // awaited below, whatever the engines do
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await engines.close();
      } finally {
        await storeClosed;
      }
    },
  };
}
