import { Controller, type Type } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Job, Queue } from 'bullmq';
import {
  QUEUE_JOB_STATES,
  QUEUE_JOBS_PAGE_MAX,
  type QueueHealthResource,
  type QueueJobData,
  type QueueJobDetailResource,
  type QueueJobResource,
  type QueueJobsPageResource,
  type QueueJobsQueryData,
  type QueueJobState,
  type QueueName,
  type QueueNameData,
  type RetryFailedJobsResource,
  type RpcRequest,
} from '@aftercare/contracts';
import { DomainError, notFound, type PayloadShape } from '@aftercare/messaging';
import { dueAtOfDelayedScore } from './queue-lag.js';

type QueueAdminPatterns = Record<'queuesHealth' | 'queuesRetryFailed' | 'queuesJobs' | 'queuesJob' | 'queuesRetryJob' | 'queuesPause' | 'queuesResume', string>;

export interface QueueAdminOptions {
  /** The queue this service runs the workers of. */
  queue: QueueName;
  service: QueueHealthResource['service'];
  /** The service's message patterns for it (PATTERNS.<service>). */
  patterns: QueueAdminPatterns;
}

/** The data each queue-admin pattern of a service takes, for the service's PayloadShapes. */
export function queueAdminPayloads<P extends QueueAdminPatterns>(p: P): Record<P[keyof QueueAdminPatterns], PayloadShape> {
  const byName = { name: 'string' } as const;
  const job = { name: 'string', id: 'string' } as const;
  return {
    [p.queuesHealth]: {},
    [p.queuesRetryFailed]: byName,
    [p.queuesJobs]: { name: 'string', state: 'string', offset: 'int', limit: 'int' },
    [p.queuesJob]: job,
    [p.queuesRetryJob]: job,
    [p.queuesPause]: byName,
    [p.queuesResume]: byName,
  } as Record<P[keyof QueueAdminPatterns], PayloadShape>;
}

/**
 * The admin's queue page (GET /api/admin/queues) asks each queue's owner: the service that runs
 * a queue's workers counts its jobs, lists them, moves failed ones back and pauses or resumes the
 * queue. Each service registers the controller this makes for its own queue. Nothing here runs a
 * job before its time (no "promote"): a message goes out when its row says, never because of
 * this page.
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
      this.ensureOwn(data.name);
      return { name: data.name, retried: await retryFailedJobs(this.queue) };
    }

    @MessagePattern(options.patterns.queuesJobs)
    async jobs(@Payload() { data }: RpcRequest<QueueJobsQueryData>): Promise<QueueJobsPageResource> {
      this.ensureOwn(data.name);
      if (!(QUEUE_JOB_STATES as readonly string[]).includes(data.state)) {
        throw new DomainError('REQUEST.INVALID', `state must be one of ${QUEUE_JOB_STATES.join(', ')}`, 400, 'state');
      }
      if (data.offset < 0) throw new DomainError('REQUEST.INVALID', 'offset must be 0 or more', 400, 'offset');
      if (data.limit < 1 || data.limit > QUEUE_JOBS_PAGE_MAX) throw new DomainError('REQUEST.INVALID', `limit must be from 1 to ${QUEUE_JOBS_PAGE_MAX}`, 400, 'limit');
      return jobsPage(this.queue, data);
    }

    @MessagePattern(options.patterns.queuesJob)
    async job(@Payload() { data }: RpcRequest<QueueJobData>): Promise<QueueJobDetailResource> {
      this.ensureOwn(data.name);
      const job = await this.queue.getJob(data.id);
      if (!job) throw notFound('Job', data.id);
      const [resource] = await jobResources(this.queue, [job], await job.getState());
      return { ...resource!, queue: data.name, stacktrace: job.stacktrace ?? [] };
    }

    /** One failed job back to wait with a fresh round of attempts; 409 for a job in any other state. */
    @MessagePattern(options.patterns.queuesRetryJob)
    async retryJob(@Payload() { data }: RpcRequest<QueueJobData>): Promise<QueueJobResource> {
      this.ensureOwn(data.name);
      const job = await this.queue.getJob(data.id);
      if (!job) throw notFound('Job', data.id);
      const state = await job.getState();
      if (state !== 'failed') throw new DomainError('JOB.NOT_FAILED', `Job ${data.id} is ${state}, not failed: only a failed job can be retried`, 409);
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      const [resource] = await jobResources(this.queue, [(await this.queue.getJob(data.id)) ?? job], await job.getState());
      return resource!;
    }

    /** Pausing stops every worker of the queue, on every replica, from taking jobs; running ones finish. */
    @MessagePattern(options.patterns.queuesPause)
    async pause(@Payload() { data }: RpcRequest<QueueNameData>): Promise<QueueHealthResource> {
      this.ensureOwn(data.name);
      await this.queue.pause();
      return queueHealthOf(this.queue, options.service);
    }

    @MessagePattern(options.patterns.queuesResume)
    async resume(@Payload() { data }: RpcRequest<QueueNameData>): Promise<QueueHealthResource> {
      this.ensureOwn(data.name);
      await this.queue.resume();
      return queueHealthOf(this.queue, options.service);
    }

    private ensureOwn(name: string | undefined): void {
      if (name !== this.queue.name) throw notFound('Queue', String(name));
    }
  }
  return QueueAdminController;
}

/** BullMQ's lists per state, in the order an admin reads them: next to run first, latest failure first. */
const LISTS: Record<QueueJobState, { types: ('wait' | 'prioritized' | 'delayed' | 'active' | 'failed' | 'completed')[]; asc: boolean }> = {
  waiting: { types: ['wait', 'prioritized'], asc: true },
  delayed: { types: ['delayed'], asc: true },
  active: { types: ['active'], asc: true },
  failed: { types: ['failed'], asc: false },
  completed: { types: ['completed'], asc: false },
};

async function jobsPage(queue: Queue, { name, state, offset, limit }: QueueJobsQueryData): Promise<QueueJobsPageResource> {
  const { types, asc } = LISTS[state];
  const [jobs, total] = await Promise.all([queue.getJobs(types, offset, offset + limit - 1, asc), queue.getJobCountByTypes(...types)]);
  // A job can finish between the list and its read: BullMQ leaves a hole.
  const items = await jobResources(queue, jobs.filter((job): job is Job => Boolean(job)), state);
  return { name, state, offset, limit, total, items };
}

/**
 * The jobs as the admin sees them. A delayed job's due time is read from its score in the
 * delayed set, which also covers a job its processor moved to a later time (a send's back-off),
 * where `timestamp + delay` would not.
 */
async function jobResources(queue: Queue, jobs: readonly Job[], state: QueueJobState | string): Promise<QueueJobResource[]> {
  const dueTimes = state === 'delayed' ? await delayedDueTimes(queue, jobs.map((job) => job.id!)) : [];
  return jobs.map((job, i) => ({
    id: job.id!,
    name: job.name,
    state: (QUEUE_JOB_STATES as readonly string[]).includes(state) ? (state as QueueJobState) : state === 'prioritized' ? 'waiting' : 'unknown',
    data: job.data && typeof job.data === 'object' ? (job.data as Record<string, unknown>) : {},
    createdAt: new Date(job.timestamp).toISOString(),
    dueAt: dueTimes[i] ? new Date(dueTimes[i]).toISOString() : null,
    attemptsMade: job.attemptsMade,
    attemptsAllowed: job.opts.attempts ?? 1,
    startedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    failedReason: job.failedReason || null,
  }));
}

/** Each job's due time in ms (null when it is no longer delayed), in one round trip. */
async function delayedDueTimes(queue: Queue, ids: readonly string[]): Promise<(number | null)[]> {
  if (!ids.length) return [];
  const client = await queue.getBackend().connection.client;
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.runCommand('zscore', [queue.toKey('delayed'), id]);
  const answers = (await pipeline.exec()) ?? [];
  return ids.map((_id, i) => {
    const [error, score] = answers[i] ?? [null, null];
    return error || score === null || score === undefined ? null : dueAtOfDelayedScore(Number(score));
  });
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
