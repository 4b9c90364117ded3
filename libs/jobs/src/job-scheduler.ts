import { Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import type { JobName } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';

/** Retries for anything that may pass (provider down, a service not answering). */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/**
 * Adds the job that wakes a row up at its due time: jobId = row id, payload = the id only.
 * BullMQ ignores an add for a job id that already exists, so scheduling twice is harmless.
 */
@Injectable()
export class JobScheduler {
  constructor(private readonly clock: Clock) {}

  delayFor(dueAt: Date): number {
    return Math.max(0, dueAt.getTime() - this.clock.now().getTime());
  }

  async schedule(queue: Queue, name: JobName, id: string, dueAt: Date): Promise<void> {
    await queue.add(name, { id }, { ...DEFAULT_JOB_OPTIONS, jobId: id, delay: this.delayFor(dueAt) });
  }

  async scheduleMany(queue: Queue, name: JobName, rows: { id: string; dueAt: Date }[]): Promise<void> {
    if (rows.length === 0) return;
    await queue.addBulk(
      rows.map((row) => ({ name, data: { id: row.id }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: row.id, delay: this.delayFor(row.dueAt) } })),
    );
  }
}
