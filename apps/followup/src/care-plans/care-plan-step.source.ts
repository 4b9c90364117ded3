import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { TableScheduledSource } from '@aftercare/jobs';
import { steps } from '../database/schema.js';

/** Care-plan steps still waiting for their time: what the reconciler and the virtual clock see. */
@Injectable()
export class CarePlanStepSource extends TableScheduledSource {
  readonly jobName = JOBS.carePlanStepDue;
  constructor(@InjectQueue(QUEUES.carePlanSteps) queue: Queue, @Inject(DRIZZLE) db: Db) {
    super(queue, db, { table: steps, id: steps.id, dueAt: steps.dueAt, pending: eq(steps.status, 'scheduled') });
  }
}
