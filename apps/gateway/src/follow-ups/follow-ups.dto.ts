import type { FollowUpKind, FollowUpState } from '@aftercare/contracts';
import { IsId, IsOneOf, IsOptional, IsStrictBoolean, IsText, Required } from '../common/validation/validators.js';

export const FOLLOW_UP_KINDS: readonly FollowUpKind[] = ['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task'];
export const FOLLOW_UP_STATES: readonly (FollowUpState | 'open')[] = ['overdue', 'today', 'upcoming', 'open', 'done'];

export class ListFollowUpsQueryDto {
  @IsOptional()
  @IsId()
  clinicianId?: string;

  @IsOptional()
  @IsOneOf(FOLLOW_UP_KINDS)
  kind?: FollowUpKind;

  @IsOptional()
  @IsOneOf(FOLLOW_UP_STATES)
  state?: FollowUpState | 'open';
}

export class CompleteFollowUpDto {
  @IsOptional()
  @IsText(2000)
  note?: string | null;
}

export class DecisionDto {
  @Required()
  @IsStrictBoolean()
  repeatInjection!: boolean;

  @IsOptional()
  @IsText(2000)
  note?: string | null;
}
