// The part of `vigil validate` that needs the data: for every dataset whose
// source can be reached now, columns the checks name must exist, and every
// statement the run would send must bind (filter, where, sql checks) — each
// engine checks that from metadata (DESCRIBE, the catalog) and never scans.

import type { ColumnInfo } from '../checks/kind.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { DatasetDef } from '../config/model.js';
import { compileDataset, defaultStrategy, filteredSelect } from '../engine/compile.js';
import type { SourceSession } from '../engine/engine.js';
import { makePlanContext } from '../engine/plan.js';
import { timestampColumn } from '../anomaly/source.js';
import { planCheck } from '../anomaly/evaluate.js';
import { VigilError, errorMessage } from '../util/errors.js';
import type { Engines } from './runtime.js';

/**
 * Datasets are checked `concurrency` at a time (one engine session each); the diagnostics
 * come back in the datasets' order whatever finishes first.
 */
export async function validateAgainstData(datasets: DatasetDef[], engines: Engines, concurrency = 1): Promise<Diagnostic[]> {
  const found: Diagnostic[][] = datasets.map(() => []);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < datasets.length; i = next++) found[i] = await validateDataset(datasets[i] as DatasetDef, engines);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, datasets.length)) }, worker));
  return found.flat();
}

async function validateDataset(ds: DatasetDef, engines: Engines): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  let session: SourceSession | undefined;
  try {
    let columns: ColumnInfo[];
    let relation: string;
    try {
      // The dataset's timeout bounds validation too: on a warehouse it is the server's statement_timeout (a locked catalog cannot hang validate).
      session = await (await engines.for(ds)).open(ds, { deadline: Date.now() + ds.timeoutSeconds * 1000 });
      columns = await session.describe();
      // What every statement binds against: reads nothing (over a CSV, DuckDB would sniff the file again for each).
      relation = await session.bindable();
    } catch (err) {
      out.push({ ...ds.pos, severity: 'warning', message: `source of ${ds.name} cannot be read now, so its columns were not checked: ${errorMessage(err)}` });
      return out;
    }
    const s = session;
    if (ds.filter) {
      try {
        await s.bind('filter', filteredSelect(relation, ds.filter));
      } catch (err) {
        out.push({ ...(ds.filterPos ?? ds.pos), severity: 'error', message: `filter of ${ds.name} does not compile: ${errorMessage(err)}` });
        return out;
      }
    }
    const ctx = makePlanContext(ds, columns, relation, s.dialect);
    for (const check of ds.checks) {
      if (check.anomaly?.timestampColumn !== undefined) {
        try {
          timestampColumn(check, ctx);
        } catch (err) {
          out.push({ ...(check.columnPos[check.anomaly.timestampColumn] ?? check.pos), severity: 'error', message: `${check.id}: ${errorMessage(err)}` });
          continue;
        }
      }
      let plan;
      try {
        plan = planCheck(check, ctx);
      } catch (err) {
        const column = err instanceof VigilError && err.code === 'UNKNOWN_COLUMN'
          ? Object.keys(check.columnPos).find((c) => !columns.some((x) => x.name.toLowerCase() === c.toLowerCase()))
          : undefined;
        const pos = (column && check.columnPos[column]) || check.pos;
        out.push({ ...pos, severity: 'error', message: `${check.id}: ${errorMessage(err)}` });
        continue;
      }
      const queries = compileDataset({
        dialect: s.dialect, relation, ...(ds.filter ? { filter: ds.filter } : {}), needs: plan.needs.filter((n) => n.type !== 'mtime'),
        strategy: defaultStrategy(),
      });
      for (const q of queries) {
        try {
          await s.bind(q.label, q.sql);
        } catch (err) {
          const key = q.label === 'sql' ? 'query' : check.where ? 'where' : undefined;
          const what = key === 'query' ? 'query' : key === 'where' ? `where (${check.where})` : 'generated query';
          const pos = (key && check.optionPos[key]) || check.pos;
          out.push({ ...pos, severity: 'error', message: `${check.id}: ${what} does not compile: ${errorMessage(err)}` });
          break;
        }
      }
    }
  } catch (err) {
    out.push({ ...ds.pos, severity: 'error', message: errorMessage(err) });
  } finally {
    await session?.close();
  }
  return out;
}
