import { Matches } from 'class-validator';
import { QUEUE_JOB_STATES, QUEUE_JOBS_PAGE_MAX, type QueueJobState } from '@aftercare/contracts';
import { IsOneOf, IsOptional, IsText, IsWholeNumber, Required } from '../common/validation/validators.js';

/** `:name` of a queue as GET /api/admin/queues lists it ('{care-plan-steps}'; the braces may be left out). */
export class QueueNameParamDto {
  @Required()
  @IsText(100, 1)
  name!: string;
}

/** `:name` and `:id` of one job: our jobs' ids are their rows' UUIDs; BullMQ's own are numbers. */
export class QueueJobParamDto extends QueueNameParamDto {
  @Required()
  @Matches(/^[\w.:-]{1,200}$/, { message: 'id must be a job id such as 7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f' })
  id!: string;
}

/** A page of a queue's jobs in one state: `?state=failed&limit=20&offset=40`. */
export class ListQueueJobsQueryDto {
  @Required()
  @IsOneOf(QUEUE_JOB_STATES)
  state!: QueueJobState;

  /** 20 unless given. */
  @IsOptional()
  @IsWholeNumber(1, QUEUE_JOBS_PAGE_MAX)
  limit?: number;

  @IsOptional()
  @IsWholeNumber(0, 1_000_000)
  offset?: number;
}
