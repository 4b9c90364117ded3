import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { runJob } from '@aftercare/jobs';
import { ActivityCounter } from '@aftercare/messaging';
import { WaitlistService } from './waitlist.service.js';

/** Closes an unanswered waitlist offer at its expiry (the service reloads the row and decides). */
@Processor(QUEUES.waitlistOffers, { concurrency: 4 })
export class WaitlistOfferProcessor extends WorkerHost {
  constructor(
    private readonly waitlist: WaitlistService,
    private readonly activity: ActivityCounter,
  ) {
    super();
  }

  process(job: Job<JobPayloads[typeof JOBS.waitlistOfferExpire]>): Promise<void> {
    return runJob(job, JOBS.waitlistOfferExpire, this.activity, ({ id }) => this.waitlist.expire(id));
  }
}
