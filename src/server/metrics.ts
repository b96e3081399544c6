// Prometheus metrics of `vigil serve`, updated from run reports.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STATUS_RANK, worstStatus } from '../checks/kind.js';
import type { RunReport } from '../run/run.js';
import { bandOf } from '../anomaly/band.js';


export class Metrics {
  readonly registry = new Registry();
  private readonly checkStatus = new Gauge({
    name: 'vigil_check_status', help: 'Latest status of a check: 0 pass, 1 warn, 2 fail, 3 error',
    labelNames: ['dataset', 'check', 'kind'], registers: [this.registry],
  });
  private readonly checkValue = new Gauge({
    name: 'vigil_check_value', help: 'Latest observed value of a check (its unit is in the label)',
    labelNames: ['dataset', 'check', 'kind', 'unit'], registers: [this.registry],
  });
  private readonly expected = new Gauge({
    name: 'vigil_check_expected', help: 'Expected value of an anomaly check at its latest run (the middle of its band)',
    labelNames: ['dataset', 'check', 'kind', 'unit'], registers: [this.registry],
  });
  private readonly expectedLower = new Gauge({
    name: 'vigil_check_expected_lower', help: 'Lower end of an anomaly check\'s expected band at its latest run',
    labelNames: ['dataset', 'check', 'kind', 'unit'], registers: [this.registry],
  });
  private readonly expectedUpper = new Gauge({
    name: 'vigil_check_expected_upper', help: 'Upper end of an anomaly check\'s expected band at its latest run',
    labelNames: ['dataset', 'check', 'kind', 'unit'], registers: [this.registry],
  });
  private readonly freshness = new Gauge({
    name: 'vigil_freshness_age_seconds', help: 'Age of the newest row (or file) at the latest freshness check',
    labelNames: ['dataset', 'check'], registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'vigil_dataset_run_duration_seconds', help: 'How long a dataset run took',
    labelNames: ['dataset'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  private readonly runs = new Counter({
    name: 'vigil_dataset_runs_total', help: 'Dataset runs, by worst check status',
    labelNames: ['dataset', 'status'], registers: [this.registry],
  });
  readonly skippedTicks = new Counter({
    name: 'vigil_skipped_ticks_total', help: 'Scheduled ticks skipped because the previous run of the dataset was still going',
    labelNames: ['dataset'], registers: [this.registry],
  });
  readonly configProblems = new Gauge({
    name: 'vigil_config_problems', help: 'Problems in the configuration files at the last (re)load; invalid files keep their last valid version',
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: 'vigil_notifications_total', help: 'Alert delivery attempts by channel and result (sent, retry, failed)',
    labelNames: ['channel', 'result'], registers: [this.registry],
  });

  constructor() {
    // prom-client's own names start with process_ or nodejs_: prefixed vigil_, not vigil_process_ (vigil_process_process_…).
    collectDefaultMetrics({ register: this.registry, prefix: 'vigil_' });
  }

  observe(report: RunReport): void {
    for (const d of report.datasets) {
      this.duration.observe({ dataset: d.dataset }, (Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000);
      for (const r of d.results) {
        this.checkStatus.set({ dataset: r.dataset, check: r.check, kind: r.kind }, STATUS_RANK[r.status]);
        if (r.value !== null) this.checkValue.set({ dataset: r.dataset, check: r.check, kind: r.kind, unit: r.unit }, r.value);
        const labels = { dataset: r.dataset, check: r.check, kind: r.kind, unit: r.unit };
        const band = bandOf(r.details);
        if (band) {
          this.expected.set(labels, band.expected);
          this.expectedLower.set(labels, band.lower);
          this.expectedUpper.set(labels, band.upper);
        } else {
          // Learning (or no anomaly any more): no band, rather than last run's.
          for (const g of [this.expected, this.expectedLower, this.expectedUpper]) g.remove(labels);
        }
        if (r.kind === 'freshness' && r.value !== null) this.freshness.set({ dataset: r.dataset, check: r.check }, r.value);
      }
      this.runs.inc({ dataset: d.dataset, status: worstStatus(d.results.map((r) => r.status)) });
    }
  }
}
