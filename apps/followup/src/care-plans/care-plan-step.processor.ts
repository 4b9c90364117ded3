import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { JobScheduler, runJobUntil } from '@aftercare/jobs';
import { ActivityCounter } from '@aftercare/messaging';
import { CarePlansService } from './care-plans.service.js';

/**
 * Wakes one care-plan step at its due time. Thin: the service reloads the row and decides. A
 * check-in that went out is woken once more, at the end of its answer window: the job is moved
 * to that time (the row says so too, as `wake_at`, for the reconciler and the virtual clock).
 */
@Processor(QUEUES.carePlanSteps, { concurrency: 8 })
export class CarePlanStepProcessor extends WorkerHost {
  constructor(
    private readonly carePlans: CarePlansService,
    private readonly activity: ActivityCounter,
    private readonly scheduler: JobScheduler,
  ) {
    super();
  }

  process(job: Job<JobPayloads[typeof JOBS.carePlanStepDue]>, token?: string): Promise<void> {
    return runJobUntil(job, token, JOBS.carePlanStepDue, this.activity, this.scheduler, async ({ id }) => (await this.carePlans.runStep(id)).wakeAt);
  }
}
