import { Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { ActivityCounter, safeErrorMessage } from '@aftercare/messaging';
import { CarePlansService } from './care-plans.service.js';

/** Wakes one care-plan step at its due time. Thin: the service reloads the row and decides. */
@Processor(QUEUES.carePlanSteps, { concurrency: 8 })
export class CarePlanStepProcessor extends WorkerHost {
  constructor(
    private readonly carePlans: CarePlansService,
    private readonly activity: ActivityCounter,
  ) {
    super();
  }

  async process(job: Job<JobPayloads[typeof JOBS.carePlanStepDue]>): Promise<void> {
    try {
      if (job.name !== JOBS.carePlanStepDue) throw new UnrecoverableError(`unknown job ${job.name}`);
      await this.carePlans.runStep(job.data.id);
    } catch (error) {
      // A permanent failure is not retried; anything else is, with backoff.
      if (error instanceof PermanentError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      if (error instanceof RetryableError || error instanceof UnrecoverableError) throw error;
      // BullMQ keeps the message in Redis: never a query's parameters (patient data).
      throw new Error(safeErrorMessage(error));
    } finally {
      this.activity.bump();
    }
  }
}
