import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { runJob } from '@aftercare/jobs';
import { ActivityCounter } from '@aftercare/messaging';
import { MessageSenderService } from './message-sender.service.js';

/** Wakes one outgoing message at its send time. */
@Processor(QUEUES.outboundMessages, { concurrency: 16 })
export class MessageSendProcessor extends WorkerHost {
  constructor(
    private readonly sender: MessageSenderService,
    private readonly activity: ActivityCounter,
  ) {
    super();
  }

  process(job: Job<JobPayloads[typeof JOBS.messageSend]>): Promise<void> {
    // The last attempt records the failure for good instead of handing it back for a retry.
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return runJob(job, JOBS.messageSend, this.activity, ({ id }) => this.sender.send(id, finalAttempt));
  }
}
