// The JSON of a run (SPEC §4 `vigil run --json`), shared by the CLI and the
// daemon's POST /api/runs so the two can never drift apart.

import type { RunReport } from './run.js';

export function runJson(report: RunReport) {
  return {
    run_id: report.run_id, started_at: report.started_at, finished_at: report.finished_at, summary: report.summary,
    // An addition to SPEC §4: false for a replay (a --now before recorded results), which writes nothing.
    recorded: report.recorded,
    ...(report.replay ? { replay: report.replay } : {}),
    results: report.results.map((r) => ({
      check: r.check, dataset: r.dataset, kind: r.kind, name: r.name, status: r.status, value: r.value, unit: r.unit,
      message: r.message, runbook: r.runbook, owner: r.owner, tags: r.tags, thresholds: r.thresholds, details: r.details,
      duration_ms: r.duration_ms,
    })),
    ...(report.record_errors.length ? { record_errors: report.record_errors } : {}),
  };
}

export type RunJson = ReturnType<typeof runJson>;
