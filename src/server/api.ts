// The dashboard's JSON API (SPEC section 6): datasets, one dataset, a check's
// history, lineage and SLOs. Responses are built from the store's read models
// and cached until the store or the configuration changes (or CACHE_MS pass,
// so rolling windows keep rolling); no secret is ever part of a response.

import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { replaceSecrets } from '../alerts/redact.js';
import { KINDS } from '../checks/registry.js';
import type { DatasetDef } from '../config/model.js';
import { lineageView } from '../lineage/view.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { HistoryPoints } from '../store/history-points.js';
import type { BucketCount, LatestResult, Store } from '../store/store.js';
import type { CheckHistory, DatasetsResponse, SlosResponse } from './api-types.js';
import { historyBody } from './history-json.js';
import {
  configThresholds, datasetDetailView, datasetStatus, datasetsView, findCheck, historyResolution, latestById, sloDetails, sloFrom, sloWindows,
  type SloTotals, type ViewContext,
} from './views.js';

export interface ApiDeps {
  scheduler: Scheduler;
  store: Store;
  /** The clock for windows (VIGIL_NOW fixes it). */
  now: () => Date;
  /** Open incidents per dataset, when the alerting side provides them. */
  incidentCounts?: () => Promise<Map<string, number>>;
  /** Strings that must never leave the process (tokens, connection URLs): scrubbed from every body. */
  secrets: () => string[];
}

const CACHE_MS = 10_000;
/**
 * A body that is stale by age alone (the store and the configuration have not changed since it was
 * built: only its rolling windows have moved) is still sent while it is younger than this, and a
 * fresh one is built behind it, so no request waits for a rebuild (a year-old store's overview takes
 * a few hundred ms). Older, the request waits for the new one.
 */
const STALE_MS = 2 * CACHE_MS;
const HISTORY_CACHE_ENTRIES = 256;

/**
 * A history body: its head (JSON text up to the points), the points written as JSON straight into the
 * body's bytes (history-json.ts), and `}`. `version` names the points (see History): with the head,
 * which holds the window asked for, it names the whole body.
 */
class HistoryBody {
  constructor(readonly head: string, readonly points: HistoryPoints, readonly version: string) {}
}

interface Cached {
  key: string;
  at: number;
  body: Buffer;
  /** Computed once per body instead of once per response. */
  etag: string | undefined;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function apiRouter(deps: ApiDeps): Router {
  const { scheduler, store } = deps;
  const router = express.Router();
  const cache = new Map<string, Cached>();
  /** Builds under way, one per slot and key: concurrent requests for the same body share one. */
  const building = new Map<string, { key: string; entry: Promise<Cached>; mine: object }>();

  const scrub = (text: string): string => replaceSecrets(text, deps.secrets());
  /** The same as scrub() for UTF-8 bytes, decoded only when a secret (one replaceSecrets would replace) is in them. */
  const scrubBytes = (bytes: Buffer): Buffer => {
    const secrets = deps.secrets();
    return secrets.some((s) => s.length >= 4 && bytes.includes(s)) ? Buffer.from(replaceSecrets(bytes.toString('utf8'), secrets)) : bytes;
  };

  /**
   * Serves `build()`'s JSON, rebuilt only when `key` changes or the entry is older than CACHE_MS
   * (behind the stale body while that is younger than STALE_MS). The body is kept as the bytes sent,
   * with its ETag: a cache hit is one write of a ready Buffer.
   */
  const cached = async (res: Response, slot: string, key: string, build: () => Promise<unknown>, limit = Infinity): Promise<void> => {
    const etagFn = res.app.get('etag fn') as ((body: Buffer) => string | undefined) | undefined;
    let hit = cache.get(slot);
    const age = hit && hit.key === key ? Date.now() - hit.at : Infinity;
    if (hit && age < STALE_MS) {
      cache.delete(slot);
      cache.set(slot, hit); // most recently used last
      if (age >= CACHE_MS) refresh(slot, key, build, etagFn, limit).catch(() => undefined); // the next request gets it (or the error)
    } else {
      hit = await refresh(slot, key, build, etagFn, limit);
    }
    res.set('Content-Type', JSON_TYPE);
    if (hit.etag !== undefined) res.set('ETag', hit.etag);
    res.send(hit.body);
  };

  /** Builds the body of `slot` for `key` and caches it, or joins the build of it already under way. */
  const refresh = (slot: string, key: string, build: () => Promise<unknown>, etagFn: ((body: Buffer) => string | undefined) | undefined, limit: number): Promise<Cached> => {
    const under = building.get(slot);
    if (under && under.key === key) return under.entry;
    const mine = {};
    const entry = (async (): Promise<Cached> => {
      const built = await build();
      let body: Buffer;
      let etag: string | undefined;
      if (built instanceof HistoryBody) {
        const joined = historyBody(built.head, built.points, '}');
        body = scrubBytes(joined);
        // Express's weak form, W/"<length>-<hash>", with the hash taken of what the body is made of
        // instead of its 15–150 kB (unless scrubbing changed it: then of the body, as express would).
        etag = typeof etagFn !== 'function' ? undefined
          : body === joined && built.version !== '' ? `W/"${body.length.toString(16)}-${createHash('sha1').update(built.version).update(built.head).digest('base64').slice(0, 27)}"`
            : etagFn(body);
      } else {
        body = Buffer.from(scrub(JSON.stringify(built)));
        etag = typeof etagFn === 'function' ? etagFn(body) : undefined;
      }
      const made: Cached = { key, at: Date.now(), body, etag };
      // Not over the body of a build started after this one (for a newer key: the store changed meanwhile).
      if (building.get(slot)?.mine !== mine) return made;
      cache.delete(slot);
      cache.set(slot, made);
      if (cache.size > limit + 8) for (const k of cache.keys()) { if (cache.size <= limit) break; if (k.startsWith('history:')) cache.delete(k); }
      return made;
    })();
    building.set(slot, { key, entry, mine });
    const done = () => { if (building.get(slot)?.mine === mine) building.delete(slot); };
    entry.then(done, done);
    return entry;
  };

  // The latest result of every check, read once per store revision and shared by every view.
  let latestMemo: { revision: number; value: Promise<Map<string, LatestResult>> } | null = null;
  const latestMap = async (): Promise<Map<string, LatestResult>> => {
    const rev = (await store.revision()).all;
    if (!latestMemo || latestMemo.revision !== rev) {
      const value = store.latestStates().then(latestById);
      latestMemo = { revision: rev, value };
      value.catch(() => { if (latestMemo?.value === value) latestMemo = null; });
    }
    return latestMemo.value;
  };

  const context = async (): Promise<ViewContext> => {
    const project = scheduler.projectNow();
    const [latest, incidents] = [await latestMap(), deps.incidentCounts ? await deps.incidentCounts() : new Map<string, number>()];
    return { datasets: scheduler.datasetsNow(), problems: scheduler.problems, root: project.root, now: deps.now(), latest, incidents };
  };
  const sloCounts = (datasets: DatasetDef[], now: Date): Promise<Map<string, BucketCount[]>> => {
    const { ids, from } = sloFrom(datasets, now);
    return store.hourlyCounts(ids, from);
  };
  const sloTotals = (datasets: DatasetDef[], now: Date): Promise<SloTotals> => store.windowCounts(sloWindows(datasets, now));
  /** A cache key: the store's revision (of all, or of one dataset's results) and the configuration's. */
  const revision = async (dataset?: string) => {
    const rev = await store.revision();
    return `${dataset === undefined ? rev.all : (rev.datasets.get(dataset) ?? 0)}:${scheduler.configRevision}`;
  };

  router.get('/api/datasets', async (_req, res) => {
    await cached(res, 'datasets', await revision(), async (): Promise<DatasetsResponse> => {
      const ctx = await context();
      return datasetsView(ctx, await sloTotals(ctx.datasets, ctx.now));
    });
  });

  router.get('/api/datasets/:name', async (req: Request<{ name: string }>, res) => {
    const ds = scheduler.datasetsNow().find((d) => d.name === req.params.name);
    if (!ds) {
      res.status(404).json({ error: `no dataset named ${req.params.name}`, datasets: scheduler.datasetsNow().map((d) => d.name).sort() });
      return;
    }
    // Neighbours' statuses are part of the page: any write may change it.
    await cached(res, `dataset:${ds.name}`, await revision(), async () => {
      const ctx = await context();
      return datasetDetailView(ds, ctx, store, await sloTotals([ds], ctx.now));
    });
  });

  router.get('/api/checks/:id/history', async (req: Request<{ id: string }>, res) => {
    const raw = req.query.days;
    const days = raw === undefined ? 30 : Number(raw);
    if (!Number.isInteger(days) || days < 1 || days > 400) {
      res.status(400).json({ error: `days must be a whole number from 1 to 400, got ${String(raw)}` });
      return;
    }
    const id = req.params.id;
    const def = findCheck(scheduler.datasetsNow(), id);
    const latest = def ? null : await store.latestState(id);
    if (!def && !latest) {
      res.status(404).json({ error: `no check with id ${id}` });
      return;
    }
    const dataset = def?.dataset ?? latest?.dataset ?? '';
    await cached(res, `history:${id}:${days}`, await revision(dataset), async (): Promise<HistoryBody> => {
      const to = deps.now();
      const from = new Date(to.getTime() - days * 86_400_000);
      const resolution = historyResolution(days);
      // A configured check: unit and thresholds from the configuration (what the chart's lines should be now).
      const head: Omit<CheckHistory, 'points'> = {
        check: id, dataset, kind: def?.kind ?? latest?.kind ?? '', unit: def ? KINDS[def.kind].unit : (latest?.unit ?? null),
        thresholds: def ? configThresholds(def) : (latest?.thresholds ?? {}), resolution, from: from.toISOString(), to: to.toISOString(),
      };
      // An anomaly check's chart draws its expected band (a check no longer configured: whatever was recorded).
      if (!def || def.anomaly) {
        const band = await store.checkBands(id, from, to);
        if (def || band.length) head.band = band;
      }
      // The points written straight from the store's packed points (points is the last key).
      const history = await store.checkHistory(id, from, to, resolution);
      return new HistoryBody(JSON.stringify({ ...head, points: [] }).slice(0, -3), history.points, history.version);
    }, HISTORY_CACHE_ENTRIES);
  });

  router.get('/api/lineage', async (_req, res) => {
    await cached(res, 'lineage', await revision(), async () => {
      const latest = await latestMap();
      const datasets = scheduler.datasetsNow();
      const byName = new Map(datasets.map((d) => [d.name, d]));
      return lineageView(datasets, (name) => {
        const d = byName.get(name);
        return d ? datasetStatus(d, latest) : 'unknown';
      });
    });
  });

  router.get('/api/slos', async (_req, res) => {
    await cached(res, 'slos', await revision(), async (): Promise<SlosResponse> => {
      const datasets = scheduler.datasetsNow();
      const now = deps.now();
      return { slos: sloDetails(datasets, await sloCounts(datasets, now), now) };
    });
  });

  return router;
}
