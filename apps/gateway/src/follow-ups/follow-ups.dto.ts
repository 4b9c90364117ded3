import { Matches, ValidateBy, ValidateIf } from 'class-validator';
import type { FollowUpKind, FollowUpState, RepeatDecision } from '@aftercare/contracts';
import { IsId, IsOneOf, IsOptional, IsStrictBoolean, IsText, IsWholeNumber, Required, isIsoDateTimeWithOffset, isLocalDate } from '../common/validation/validators.js';

export const FOLLOW_UP_KINDS: readonly FollowUpKind[] = ['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task'];
export const FOLLOW_UP_STATES: readonly (FollowUpState | 'open')[] = ['overdue', 'today', 'upcoming', 'open', 'done'];
export const REPEAT_DECISIONS: readonly RepeatDecision[] = ['repeat', 'no_repeat', 'reassess'];
/** How the clinician sums up a plan that ends without a repeat injection. */
export const PLAN_OUTCOMES = ['resolved', 'improved', 'unchanged', 'worse', 'declined', 'other'] as const;

/** An ISO 8601 date-time with offset, or a date 'YYYY-MM-DD' (a day in the patient's zone). */
const IsMomentOrDate = () =>
  ValidateBy({
    name: 'isMomentOrDate',
    validator: {
      validate: (value: unknown) => isIsoDateTimeWithOffset(value) || isLocalDate(value),
      defaultMessage: () => '$property must be a date such as 2026-12-24 or a date-time with offset such as 2026-12-24T09:00:00-05:00',
    },
  });

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

  /** Page size; with it (or a cursor) the answer is { items, nextCursor }. */
  @IsOptional()
  @IsWholeNumber(1, 200)
  limit?: number;

  /** The nextCursor of the previous page (same filters). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be the nextCursor of the previous page' })
  cursor?: string;
}

/** The list's clinician and kind filters; no state (every state is counted), no paging. */
export class FollowUpCountsQueryDto {
  @IsOptional()
  @IsId()
  clinicianId?: string;

  @IsOptional()
  @IsOneOf(FOLLOW_UP_KINDS)
  kind?: FollowUpKind;
}

export class CompleteFollowUpDto {
  @IsOptional()
  @IsText(2000)
  note?: string | null;
}

/** Completing a due-list item: as a booking task, and what the clinician saw of it. */
export class CompleteFollowUpItemDto extends CompleteFollowUpDto {
  /**
   * How many times the item had been raised when the clinician read it (its `occurrences`):
   * evidence that came since gets a 409 instead of being closed unseen. Left out: not checked.
   */
  @IsOptional()
  @IsWholeNumber(1, 1_000_000)
  seenOccurrences?: number;
}

export class SnoozeFollowUpDto {
  /** Until then the item is off today and overdue: a date (the start of that day, patient's zone) or a date-time. */
  @Required()
  @IsMomentOrDate()
  until!: string;

  @IsOptional()
  @IsText(2000)
  note?: string | null;
}

export class ReassignFollowUpDto {
  @Required()
  @IsId()
  clinicianId!: string;

  @IsOptional()
  @IsText(2000)
  note?: string | null;
}

/**
 * `decision` (repeat / no_repeat / reassess), or the first API's `repeatInjection` (true =
 * repeat, false = no_repeat). `bookBy` goes with repeat, `reassessInWeeks` with reassess (and
 * is required there), `outcome` with no_repeat.
 */
export class DecisionDto {
  @ValidateIf((o: DecisionDto) => o.repeatInjection === undefined || o.repeatInjection === null || o.decision !== undefined)
  @Required()
  @IsOneOf(REPEAT_DECISIONS)
  decision?: RepeatDecision;

  @IsOptional()
  @IsStrictBoolean()
  repeatInjection?: boolean;

  @IsOptional()
  @IsText(2000)
  note?: string | null;

  @IsOptional()
  @IsMomentOrDate()
  bookBy?: string | null;

  @ValidateIf((o: DecisionDto) => o.decision === 'reassess' || (o.reassessInWeeks !== undefined && o.reassessInWeeks !== null))
  @Required()
  @IsWholeNumber(1, 26)
  reassessInWeeks?: number | null;

  @IsOptional()
  @IsOneOf(PLAN_OUTCOMES)
  outcome?: (typeof PLAN_OUTCOMES)[number] | null;
}

/** A threshold from 1 to 10, or null to turn the rule off; left out, it keeps its value. */
const IsThreshold = () => IsWholeNumber(1, 10);

export class PutEscalationRulesDto {
  @ValidateIf((o: PutEscalationRulesDto) => o.highScore !== undefined && o.highScore !== null)
  @IsThreshold()
  highScore?: number | null;

  @ValidateIf((o: PutEscalationRulesDto) => o.riseBy !== undefined && o.riseBy !== null)
  @IsThreshold()
  riseBy?: number | null;

  @ValidateIf((o: PutEscalationRulesDto) => o.missedInARow !== undefined && o.missedInARow !== null)
  @IsThreshold()
  missedInARow?: number | null;

  /** Hours a check-in waits for its answer (1 to 336), or null: until the next check-in goes out. */
  @ValidateIf((o: PutEscalationRulesDto) => o.answerWindowHours !== undefined && o.answerWindowHours !== null)
  @IsWholeNumber(1, 336)
  answerWindowHours?: number | null;

  @IsOptional()
  @IsStrictBoolean()
  freeText?: boolean;

  @IsOptional()
  @IsStrictBoolean()
  emailAlerts?: boolean;
}
