import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { TableScheduledSource } from '@aftercare/jobs';
import { steps } from '../database/schema.js';

/**
 * Care-plan steps still owed their job: waiting for their time, a visit step whose plan ended
 * while its visit may have been booked (`cancelling`), or a check-in that went out, waiting for
 * its answer until the end of its answer window (`sent`, woken then at `answer_due_at`). What the
 * reconciler and the virtual clock see; `wake_at` is the time of each one's job.
 */
@Injectable()
export class CarePlanStepSource extends TableScheduledSource {
  readonly jobName = JOBS.carePlanStepDue;
  constructor(@InjectQueue(QUEUES.carePlanSteps) queue: Queue, @Inject(DRIZZLE) db: Db) {
    // Written into the text, not as parameters, so that every plan can use the partial index care_plan_steps_pending.
    super(queue, db, {
      table: steps,
      id: steps.id,
      dueAt: steps.wakeAt,
      pending: sql`(${steps.status} IN ('scheduled', 'cancelling') OR (${steps.status} = 'sent' AND ${steps.answerDueAt} IS NOT NULL))`,
    });
  }
}
