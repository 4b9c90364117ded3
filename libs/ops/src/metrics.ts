import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Prometheus scrapes a process, so counters and histograms observed by code that runs outside
 * one module's reach (a job starting in any worker, an HTTP answer, a reconciler pass) live in
 * this process-wide registry, next to Node's default metrics. Label values are queue names,
 * route templates, states and statuses only: never an id, a name, a phone or an address.
 */
export const processMetrics = new Registry();

let defaultsStarted = false;

/** Node's own metrics (CPU, memory, event loop lag, GC), once per process. */
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: processMetrics });
}

/** What a scrape answers with (Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE = processMetrics.contentType;

/**
 * One app's gauges, read on scrape from its own queues and tables (queue depth, messages by
 * status): providers register theirs in `registry`; a scrape renders it with the process's.
 */
@Injectable()
export class AppMetrics {
  readonly registry = new Registry();

  render(): Promise<string> {
    return Registry.merge([processMetrics, this.registry]).metrics();
  }
}
