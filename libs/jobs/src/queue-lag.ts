/** What the lag check reads of a waiting job (BullMQ's own fields). */
export interface WaitingJobTiming {
  timestamp: number;
  opts: { delay?: number };
  attemptsStarted: number;
}

/**
 * Age of the oldest job that is due and has not started, in ms (0 when none): a delayed job whose
 * time has passed but that no worker has moved on (BullMQ's delayed set keeps each job's due
 * time in its score), or a waiting job that no worker has taken. A waiting job that started
 * before (a retry, a send waiting for the provider) is left out: BullMQ keeps no due time for
 * its new run, and its first one was already counted.
 */
export function oldestDueAgeMs(now: number, earliestDelayedDueAt: number | null, waiting: readonly WaitingJobTiming[]): number {
  let oldest = earliestDelayedDueAt === null ? 0 : Math.max(0, now - earliestDelayedDueAt);
  for (const job of waiting) {
    if (job.attemptsStarted > 0) continue;
    oldest = Math.max(oldest, now - (job.timestamp + (job.opts.delay ?? 0)));
  }
  return oldest;
}

/** BullMQ scores a delayed job by its due time in ms times 0x1000 (plus a counter that keeps ties in order). */
export function dueAtOfDelayedScore(score: number): number {
  return Math.floor(score / 0x1000);
}
