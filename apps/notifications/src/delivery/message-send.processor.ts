import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { JobScheduler, runJobUntil } from '@aftercare/jobs';
import { ActivityCounter } from '@aftercare/messaging';
import { MessageSenderService } from './message-sender.service.js';

/**
 * Wakes one outgoing message at its send time. Provider errors are the sender's to retry (the
 * row keeps the count and the next attempt's time; the job is moved to that time), so BullMQ's
 * own attempts only cover a failure of ours (the database down). A worker that dies mid-send
 * loses its lock after `lockDuration`; the stalled check hands the job to another worker, which
 * leaves the row alone until the claim's lease (SEND_LEASE_MS) has run out - the first worker may
 * only have paused - and then, as the row's `unconfirmed_since` says, asks the provider before
 * sending again.
 */
// MESSAGE_SEND_CONCURRENCY (default 256) sends at once, set when the worker starts: a send is
// mostly waiting (for its shared database statements, for the provider), and the sends under way
// share their statements (MessageSenderService), so more of them in flight makes each statement
// carry more messages. The provider calls among them are limited apart (PROVIDER_CONCURRENCY).
@Processor(QUEUES.outboundMessages, { lockDuration: 15_000, stalledInterval: 5_000 })
export class MessageSendProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly sender: MessageSenderService,
    private readonly activity: ActivityCounter,
    private readonly scheduler: JobScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.messageSendConcurrency;
  }

  process(job: Job<JobPayloads[typeof JOBS.messageSend]>, token?: string): Promise<void> {
    return runJobUntil(job, token, JOBS.messageSend, this.activity, this.scheduler, async ({ id }) => (await this.sender.send(id)).wakeAt);
  }
}
