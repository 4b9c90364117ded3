import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { AppMetrics, ReadinessChecks } from '@aftercare/ops';
import { dueAtOfDelayedScore, oldestDueAgeMs } from './queue-lag.js';
import { SCHEDULED_SOURCES, type ScheduledSource } from './scheduled-source.js';

/** How many of the oldest waiting jobs the lag check looks at. */
const WAITING_SAMPLE = 10;
const STATES = ['waiting', 'delayed', 'active', 'failed'] as const;

/**
 * The queues this service runs the workers of, as operators see them: depth per state and lag
 * (the oldest due-but-not-started job's age) as gauges read on scrape, and readiness that fails
 * while the lag is over READY_MAX_QUEUE_LAG_MS (workers stuck, or far behind).
 */
@Injectable()
export class QueueMonitor implements OnModuleInit {
  private readonly queues: Queue[];

  constructor(
    @Inject(SCHEDULED_SOURCES) sources: ScheduledSource[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: AppMetrics,
    private readonly readiness: ReadinessChecks,
  ) {
    this.queues = [...new Map(sources.map((s) => [s.queue.name, s.queue])).values()];
    const queues = this.queues;
    new Gauge({
      name: 'aftercare_queue_jobs',
      help: 'Jobs in each queue this service works, by state (waiting includes prioritized)',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed')));
        this.reset();
        queues.forEach((queue, i) => {
          const c = counts[i]!;
          const byState = { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0, failed: c.failed ?? 0 };
          for (const state of STATES) this.labels(queue.name, state).set(byState[state]);
        });
      },
    });
    const lagOf = (queue: Queue) => this.lagMs(queue);
    new Gauge({
      name: 'aftercare_queue_lag_seconds',
      help: 'Age of the oldest job that is due and not started, per queue (0 when none)',
      labelNames: ['queue'],
      registers: [metrics.registry],
      async collect() {
        const lags = await Promise.all(queues.map(lagOf));
        queues.forEach((queue, i) => this.labels(queue.name).set(lags[i]! / 1000));
      },
    });
  }

  onModuleInit(): void {
    this.readiness.add({ name: 'queues', run: () => this.assertNotLagging() });
  }

  /** Throws naming the queue whose oldest due job waits longer than the limit; else the lags in seconds. */
  async assertNotLagging(): Promise<Record<string, { lagSeconds: number }>> {
    const limit = this.config.ops.readyMaxQueueLagMs;
    const lags = await Promise.all(this.queues.map((q) => this.lagMs(q)));
    const late = this.queues.map((q, i) => ({ name: q.name, lag: lags[i]! })).filter((q) => q.lag > limit);
    if (late.length > 0) {
      throw new Error(late.map((q) => `${q.name}: a job due ${Math.round(q.lag / 1000)} s ago has not started (limit ${Math.round(limit / 1000)} s)`).join('; '));
    }
    return Object.fromEntries(this.queues.map((q, i) => [q.name, { lagSeconds: lags[i]! / 1000 }]));
  }

  /** The oldest due-but-not-started job's age: the earliest delayed job, and the oldest waiting ones (the list's tail). */
  async lagMs(queue: Queue): Promise<number> {
    const client = await queue.getBackend().connection.client;
    const [earliest, waitingIds] = await Promise.all([client.zrange(queue.toKey('delayed'), 0, 0, { WITHSCORES: true }), client.lrange(queue.toKey('wait'), -WAITING_SAMPLE, -1)]);
    const waiting = (await Promise.all(waitingIds.map((id) => queue.getJob(id)))).filter((job) => job !== undefined);
    const delayedDueAt = earliest.length === 2 ? dueAtOfDelayedScore(Number(earliest[1])) : null;
    return oldestDueAgeMs(Date.now(), delayedDueAt, waiting);
  }
}
