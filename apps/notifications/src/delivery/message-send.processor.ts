import { Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { ActivityCounter, safeErrorMessage } from '@aftercare/messaging';
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

  async process(job: Job<JobPayloads[typeof JOBS.messageSend]>): Promise<void> {
    try {
      if (job.name !== JOBS.messageSend) throw new UnrecoverableError(`unknown job ${job.name}`);
      const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await this.sender.send(job.data.id, finalAttempt);
    } catch (error) {
      if (error instanceof PermanentError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      if (error instanceof RetryableError || error instanceof UnrecoverableError) throw error;
      // BullMQ keeps the message in Redis: never a query's parameters (patient data).
      throw new Error(safeErrorMessage(error));
    } finally {
      this.activity.bump();
    }
  }
}
