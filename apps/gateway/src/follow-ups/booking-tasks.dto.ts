import type { ListBookingTasksData } from '@aftercare/contracts';
import { IsId, IsOneOf, IsOptional } from '../common/validation/validators.js';

export const BOOKING_TASK_STATES: readonly NonNullable<ListBookingTasksData['state']>[] = ['open', 'done'];

export class ListBookingTasksQueryDto {
  @IsOptional()
  @IsOneOf(BOOKING_TASK_STATES)
  state?: 'open' | 'done';

  @IsOptional()
  @IsId()
  patientId?: string;
}
