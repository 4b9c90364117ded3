import { Injectable } from '@nestjs/common';
import { PATTERNS, QUEUE_OWNERS, QUEUES, type QueueHealthResource, type QueueNameData, type RequestContext, type RetryFailedJobsResource } from '@aftercare/contracts';
import { DomainError } from '@aftercare/messaging';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { QUEUE_OWNING_SERVICES, queueHealthTable, queueNamed, type OwnerAnswer, type QueueOwner } from './queue-health.js';

/** Short, as the health check's: a service that is down must not hold the whole page up. */
const HEALTH_TIMEOUT_MS = 3_000;

/**
 * Queue health for the admin: each service that owns a queue counts its own jobs (QUEUE_OWNERS),
 * asked side by side; retrying failed jobs goes to the queue's owner too. The gateway only knows
 * who owns what.
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

  /** `{ name, retried }`; 404 naming `name` for a queue that does not exist. */
  retryFailed(ctx: RequestContext, name: string): Promise<RetryFailedJobsResource> {
    const queue = queueNamed(name);
    if (!queue) throw new DomainError('QUEUE.NOT_FOUND', `name: there is no such queue; the queues are ${Object.values(QUEUES).join(', ')}`, 404, 'name');
    const data: QueueNameData = { name: queue };
    return this.services.send(PATTERNS[QUEUE_OWNERS[queue]].queuesRetryFailed, ctx, data);
  }
}

/** A service's "did not answer" already names it (ServiceForwarder); anything else gets the name added. */
function reasonOf(service: QueueOwner, error: unknown): string {
  if (error instanceof DomainError) return error.message;
  return `The ${service} service could not count its jobs: ${error instanceof Error ? error.message : String(error)}`;
}
