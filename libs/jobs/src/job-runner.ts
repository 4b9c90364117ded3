import { Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { JobName } from '@aftercare/contracts';
import { withLogContext } from '@aftercare/logging';
import { safeErrorMessage, type ActivityCounter } from '@aftercare/messaging';
import { PermanentError, RetryableError } from './errors.js';
import { observeJobStart } from './job-metrics.js';
import type { JobScheduler } from './job-scheduler.js';

const logger = new Logger('Job');

/**
 * The common part of every job processor: the job must be the one the queue carries; a
 * PermanentError is not retried; any other error is retried, with a message safe to keep in
 * Redis (never a query's parameters); every run counts as activity for the virtual clock, and
 * a first run's lateness goes to the metrics. The run is in the job's log context (every line
 * logged for it carries `jobId` and `queue`); at debug level it logs its outcome and time.
 */
export function runJob<T>(job: Job<T>, expected: JobName, activity: ActivityCounter, work: (data: T, job: Job<T>) => Promise<void>): Promise<void> {
  return withLogContext({ jobId: job.id, queue: job.queueName }, async () => {
    observeJobStart(job);
    const started = performance.now();
    let outcome = 'done';
    try {
      if (job.name !== expected) throw new UnrecoverableError(`unknown job ${job.name} (this queue carries ${expected})`);
      await work(job.data, job);
    } catch (error) {
      outcome = 'failed';
      if (error instanceof PermanentError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      if (error instanceof RetryableError || error instanceof UnrecoverableError) throw error;
      throw new Error(safeErrorMessage(error));
    } finally {
      activity.bump();
      if (Logger.isLevelEnabled('debug')) logger.debug(`${job.name} ${outcome} in ${Math.round(performance.now() - started)} ms (attempt ${job.attemptsMade + 1})`);
    }
  });
}

/**
 * runJob for work that may ask to be woken again (its row's next time, in the Clock's time: a
 * retry's backoff, quiet hours, a check-in's answer deadline): the job is then moved to that
 * time and ends as delayed, the same job with the same id (BullMQ counts real milliseconds;
 * `delayFor` turns the Clock's time into them).
 */
export async function runJobUntil<T>(
  job: Job<T>,
  token: string | undefined,
  expected: JobName,
  activity: ActivityCounter,
  scheduler: Pick<JobScheduler, 'delayFor'>,
  work: (data: T, job: Job<T>) => Promise<Date | null>,
): Promise<void> {
  let wakeAt: Date | null = null;
  await runJob(job, expected, activity, async (data, j) => {
    wakeAt = await work(data, j);
  });
  if (wakeAt) {
    await job.moveToDelayed(Date.now() + scheduler.delayFor(wakeAt), token);
    throw new DelayedError();
  }
}
