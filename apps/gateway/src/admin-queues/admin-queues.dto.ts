import { IsText, Required } from '../common/validation/validators.js';

/** `:name` of a queue as GET /api/admin/queues lists it ('{care-plan-steps}'; the braces may be left out). */
export class QueueNameParamDto {
  @Required()
  @IsText(100, 1)
  name!: string;
}
