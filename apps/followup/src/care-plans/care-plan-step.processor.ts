import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, type JobPayloads } from '@aftercare/contracts';
import { runJob } from '@aftercare/jobs';
import { ActivityCounter } from '@aftercare/messaging';
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

  process(job: Job<JobPayloads[typeof JOBS.carePlanStepDue]>): Promise<void> {
    return runJob(job, JOBS.carePlanStepDue, this.activity, ({ id }) => this.carePlans.runStep(id));
  }
}
