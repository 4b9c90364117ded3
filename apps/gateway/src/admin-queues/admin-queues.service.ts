import { Injectable } from '@nestjs/common';
import {
  PATTERNS,
  QUEUE_OWNERS,
  QUEUES,
  type QueueHealthResource,
  type QueueJobData,
  type QueueJobDetailResource,
  type QueueJobResource,
  type QueueJobsPageResource,
  type QueueJobsQueryData,
  type QueueJobState,
  type QueueName,
  type QueueNameData,
  type RequestContext,
  type RetryFailedJobsResource,
} from '@aftercare/contracts';
import { DomainError } from '@aftercare/messaging';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { QUEUE_OWNING_SERVICES, queueHealthTable, queueNamed, type OwnerAnswer, type QueueOwner } from './queue-health.js';

/** Short, as the health check's: a service that is down must not hold the whole page up. */
const HEALTH_TIMEOUT_MS = 3_000;

/**
 * Queue health for the admin: each service that owns a queue counts its own jobs (QUEUE_OWNERS),
 * asked side by side; listing jobs, retrying and pausing go to the queue's owner too. The
 * gateway only knows who owns what.
 */
@Injectable()
export class AdminQueuesService {
  constructor(private readonly services: ServiceForwarder) {}

  async health(ctx: RequestContext): Promise<QueueHealthResource[]> {
    const answers = await Promise.all(
      QUEUE_OWNING_SERVICES.map(async (service): Promise<[QueueOwner, OwnerAnswer]> => {
        try {
          return [service, await this.services.send<QueueHealthResource[]>(PATTERNS[service].queuesHealth, ctx, {}, HEALTH_TIMEOUT_MS)];
        } catch (error) {
          return [service, { error: reasonOf(service, error) }];
        }
      }),
    );
    return queueHealthTable(new Map(answers));
  }

  /** `{ name, retried }`; 404 naming `name` for a queue that does not exist (as every method here). */
  retryFailed(ctx: RequestContext, name: string): Promise<RetryFailedJobsResource> {
    const queue = existingQueue(name);
    const data: QueueNameData = { name: queue };
    return this.services.send(PATTERNS[QUEUE_OWNERS[queue]].queuesRetryFailed, ctx, data);
  }

  jobs(ctx: RequestContext, name: string, state: QueueJobState, offset: number, limit: number): Promise<QueueJobsPageResource> {
    const queue = existingQueue(name);
    const data: QueueJobsQueryData = { name: queue, state, offset, limit };
    return this.services.send(PATTERNS[QUEUE_OWNERS[queue]].queuesJobs, ctx, data);
  }

  job(ctx: RequestContext, name: string, id: string): Promise<QueueJobDetailResource> {
    const queue = existingQueue(name);
    const data: QueueJobData = { name: queue, id };
    return this.services.send(PATTERNS[QUEUE_OWNERS[queue]].queuesJob, ctx, data);
  }

  retryJob(ctx: RequestContext, name: string, id: string): Promise<QueueJobResource> {
    const queue = existingQueue(name);
    const data: QueueJobData = { name: queue, id };
    return this.services.send(PATTERNS[QUEUE_OWNERS[queue]].queuesRetryJob, ctx, data);
  }

  setPaused(ctx: RequestContext, name: string, paused: boolean): Promise<QueueHealthResource> {
    const queue = existingQueue(name);
    const data: QueueNameData = { name: queue };
    const patterns = PATTERNS[QUEUE_OWNERS[queue]];
    return this.services.send(paused ? patterns.queuesPause : patterns.queuesResume, ctx, data);
  }
}

function existingQueue(name: string): QueueName {
  const queue = queueNamed(name);
  if (!queue) throw new DomainError('QUEUE.NOT_FOUND', `name: there is no such queue; the queues are ${Object.values(QUEUES).join(', ')}`, 404, 'name');
  return queue;
}

/** A service's "did not answer" already names it (ServiceForwarder); anything else gets the name added. */
function reasonOf(service: QueueOwner, error: unknown): string {
  if (error instanceof DomainError) return error.message;
  return `The ${service} service could not count its jobs: ${error instanceof Error ? error.message : String(error)}`;
}
