import { Controller, type Type } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Queue } from 'bullmq';
import type { QueueHealthResource, QueueName, QueueNameData, RetryFailedJobsResource, RpcRequest } from '@aftercare/contracts';
import { notFound } from '@aftercare/messaging';

export interface QueueAdminOptions {
  /** The queue this service runs the workers of. */
  queue: QueueName;
  service: QueueHealthResource['service'];
  /** The service's two message patterns for it (PATTERNS.<service>). */
  patterns: { queuesHealth: string; queuesRetryFailed: string };
}

/**
 * The admin's queue page (GET /api/admin/queues) asks each queue's owner: the service that runs
 * a queue's workers counts its jobs and moves its failed ones back. Each service registers the
 * controller this makes for its own queue.
 */
export function queueAdminController(options: QueueAdminOptions): Type {
  @Controller()
  class QueueAdminController {
    constructor(@InjectQueue(options.queue) private readonly queue: Queue) {}

    @MessagePattern(options.patterns.queuesHealth)
    async health(): Promise<QueueHealthResource[]> {
      return [await queueHealthOf(this.queue, options.service)];
    }

    @MessagePattern(options.patterns.queuesRetryFailed)
    async retryFailed(@Payload() { data }: RpcRequest<QueueNameData>): Promise<RetryFailedJobsResource> {
      if (data?.name !== this.queue.name) throw notFound('Queue', String(data?.name));
      return { name: data.name, retried: await retryFailedJobs(this.queue) };
    }
  }
  return QueueAdminController;
}

async function queueHealthOf(queue: Queue, service: QueueHealthResource['service']): Promise<QueueHealthResource> {
  const [counts, paused] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed'), queue.isPaused()]);
  return {
    name: queue.name as QueueName,
    service,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    delayed: counts.delayed ?? 0,
    active: counts.active ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
    paused,
  };
}

/**
 * Moves the jobs failed by now back to wait, each with a fresh round of attempts; returns how
 * many. A job reloads its row and decides again, so running one twice is harmless. The ids are
 * read first: a job that fails again while this runs is not retried a second time.
 */
async function retryFailedJobs(queue: Queue): Promise<number> {
  const ids = await queue.getRanges(['failed'], 0, -1, true);
  let retried = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const moved = await Promise.all(
      ids.slice(i, i + 100).map(async (id) => {
        const job = await queue.getJob(id);
        // Gone (removed after 30 days) or already moved by someone else: nothing to retry.
        return job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).then(() => 1, () => 0) ?? 0;
      }),
    );
    retried += moved.reduce((sum: number, n) => sum + n, 0);
  }
  return retried;
}
