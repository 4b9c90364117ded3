import { Counter, Histogram } from 'prom-client';
import { processMetrics } from '@aftercare/ops';

/** What runJob needs of a BullMQ job to tell how late it started. */
export interface JobStartTiming {
  /** When the job was added (ms). */
  timestamp: number;
  /** The delay it was added with: its due time is timestamp + delay (BullMQ keeps it in opts). */
  opts: { delay?: number };
  /** When this run started (ms). */
  processedOn?: number;
  /** Runs started so far, this one included. */
  attemptsStarted: number;
}

/**
 * Milliseconds between a job's due time and its first start, or null for a later start (a retry
 * after backoff, a send put back to wait for the provider, a stalled job taken over): those
 * are late by design, and BullMQ keeps no due time for them. A job started before its due time
 * (the virtual clock promotes jobs as it moves) counts as on time.
 */
export function firstStartLatenessMs(job: JobStartTiming): number | null {
  if (job.attemptsStarted !== 1 || !job.processedOn) return null;
  return Math.max(0, job.processedOn - (job.timestamp + (job.opts.delay ?? 0)));
}

const jobLateness = new Histogram({
  name: 'aftercare_job_lateness_seconds',
  help: 'How late jobs start: first start minus due time, per queue',
  labelNames: ['queue'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  registers: [processMetrics],
});

const reconcilerRepairs = new Counter({
  name: 'aftercare_reconciler_repairs_total',
  help: 'Jobs the reconciler repaired from their rows: recreated (Redis had lost them), moved (off their due time under the virtual clock), retried (failed while the row is still owed)',
  labelNames: ['queue', 'repair'],
  registers: [processMetrics],
});

export function observeJobStart(job: JobStartTiming & { queueName: string }): void {
  const ms = firstStartLatenessMs(job);
  if (ms !== null) jobLateness.labels(job.queueName).observe(ms / 1000);
}

export type RepairKind = 'recreated' | 'moved' | 'retried';

export function countRepairs(queue: string, repairs: Readonly<Record<RepairKind, number>>): void {
  for (const kind of ['recreated', 'moved', 'retried'] as const) {
    if (repairs[kind] > 0) reconcilerRepairs.labels(queue, kind).inc(repairs[kind]);
  }
}
