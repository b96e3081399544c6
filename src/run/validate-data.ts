// The part of `vigil validate` that needs the data: for every dataset whose
// source can be read now, columns the checks name must exist, and every
// query the run would send must bind (filter, where, sql checks) — checked
// with DESCRIBE, which reads metadata and never scans.

import { KINDS } from '../checks/registry.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { DatasetDef } from '../config/model.js';
import { compileDataset, defaultStrategy } from '../engine/compile.js';
import type { Engine } from '../engine/engine.js';
import { VigilError, errorMessage } from '../util/errors.js';
import { cleanDbError, describeSource, makePlanContext, openSource } from './dataset-run.js';

/** An empty copy of a source's columns, per session: what every query of validate binds against. */
const SHADOW = '"__vigil_validate_source"';

/**
 * Datasets are checked `concurrency` at a time (one engine session each); the diagnostics
 * come back in the datasets' order whatever finishes first.
 */
export async function validateAgainstData(datasets: DatasetDef[], engine: Engine, concurrency = 1): Promise<Diagnostic[]> {
  const found: Diagnostic[][] = datasets.map(() => []);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < datasets.length; i = next++) found[i] = await validateDataset(datasets[i] as DatasetDef, engine);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, datasets.length)) }, worker));
  return found.flat();
}

async function validateDataset(ds: DatasetDef, engine: Engine): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  if (ds.source.type === 'connection') {
    out.push({ ...ds.pos, severity: 'warning', message: `source of ${ds.name} is a warehouse connection, which this version cannot query yet: its checks will be errors until it can` });
    return out;
  }
  const session = await engine.acquire();
  try {
    let relation = await openSource(ds, session, engine.dialect);
    let columns;
    try {
      ({ relation, columns } = await describeSource(ds, relation, engine.dialect, (sql) => session.query(sql)));
    } catch (err) {
      out.push({ ...ds.pos, severity: 'warning', message: `source of ${ds.name} cannot be read now, so its columns were not checked: ${cleanDbError(err)}` });
      return out;
    }
    // Binding a query over read_csv()/read_json() sniffs the file again every time (tens of
    // ms per check, the bulk of validate); over an empty table of the same columns and types
    // the same filter, where and sql bind at once. A source that cannot be copied is used as is.
    try {
      await session.query(`CREATE OR REPLACE TEMP TABLE ${SHADOW} AS SELECT * FROM ${relation} AS src LIMIT 0`);
      relation = SHADOW;
    } catch { /* bind against the source itself */ }
    if (ds.filter) {
      try {
        await session.query(`DESCRIBE SELECT * FROM ${relation} AS src WHERE (${ds.filter})`);
      } catch (err) {
        out.push({ ...(ds.filterPos ?? ds.pos), severity: 'error', message: `filter of ${ds.name} does not compile: ${cleanDbError(err)}` });
        return out;
      }
    }
    const ctx = makePlanContext(ds, columns, relation, engine.dialect);
    for (const check of ds.checks) {
      let plan;
      try {
        plan = KINDS[check.kind].plan(check, ctx);
      } catch (err) {
        const column = err instanceof VigilError && err.code === 'UNKNOWN_COLUMN'
          ? Object.keys(check.columnPos).find((c) => !columns.some((x) => x.name.toLowerCase() === c.toLowerCase()))
          : undefined;
        const pos = (column && check.columnPos[column]) || check.pos;
        out.push({ ...pos, severity: 'error', message: `${check.id}: ${errorMessage(err)}` });
        continue;
      }
      const queries = compileDataset({
        dialect: engine.dialect, relation, ...(ds.filter ? { filter: ds.filter } : {}), needs: plan.needs.filter((n) => n.type !== 'mtime'),
        strategy: defaultStrategy(),
      });
      for (const q of queries) {
        try {
          await session.query(`DESCRIBE ${q.sql}`);
        } catch (err) {
          const key = q.label === 'sql' ? 'query' : check.where ? 'where' : undefined;
          const what = key === 'query' ? 'query' : key === 'where' ? `where (${check.where})` : 'generated query';
          const pos = (key && check.optionPos[key]) || check.pos;
          out.push({ ...pos, severity: 'error', message: `${check.id}: ${what} does not compile: ${cleanDbError(err)}` });
          break;
        }
      }
    }
  } catch (err) {
    out.push({ ...ds.pos, severity: 'error', message: errorMessage(err) });
  } finally {
    await session.query(`DROP TABLE IF EXISTS ${SHADOW}`).catch(() => undefined);
    session.release();
  }
  return out;
}
