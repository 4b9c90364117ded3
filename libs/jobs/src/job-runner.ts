import { UnrecoverableError, type Job } from 'bullmq';
import type { JobName } from '@aftercare/contracts';
import { safeErrorMessage, type ActivityCounter } from '@aftercare/messaging';
import { PermanentError, RetryableError } from './errors.js';
import { observeJobStart } from './job-metrics.js';

/**
 * The common part of every job processor: the job must be the one the queue carries; a
 * PermanentError is not retried; any other error is retried, with a message safe to keep in
 * Redis (never a query's parameters); every run counts as activity for the virtual clock, and
 * a first run's lateness goes to the metrics.
 */
export async function runJob<T>(job: Job<T>, expected: JobName, activity: ActivityCounter, work: (data: T, job: Job<T>) => Promise<void>): Promise<void> {
  observeJobStart(job);
  try {
    if (job.name !== expected) throw new UnrecoverableError(`unknown job ${job.name} (this queue carries ${expected})`);
    await work(job.data, job);
  } catch (error) {
    if (error instanceof PermanentError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
    if (error instanceof RetryableError || error instanceof UnrecoverableError) throw error;
    throw new Error(safeErrorMessage(error));
  } finally {
    activity.bump();
  }
}
