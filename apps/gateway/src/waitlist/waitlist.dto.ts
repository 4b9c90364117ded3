import type { WaitlistStatus } from '@aftercare/contracts';
import { IsId, IsLocalDate, IsOneOf, IsOptional, IsProcedureTypeCode, IsText, Required } from '../common/validation/validators.js';
import { PageQueryDto } from '../common/page-query.dto.js';

export const WAITLIST_STATUSES: readonly WaitlistStatus[] = ['waiting', 'offered', 'booked', 'cancelled', 'expired'];

export class CreateWaitlistEntryDto {
  @Required()
  @IsId()
  patientId!: string;

  @Required()
  @IsProcedureTypeCode()
  procedureType!: string;

  /** Only with this clinician; leave out for any. */
  @IsOptional()
  @IsId()
  clinicianId?: string | null;

  /** The clinic's local dates the patient could come, inclusive. */
  @Required()
  @IsLocalDate()
  earliestDate!: string;

  @Required()
  @IsLocalDate()
  latestDate!: string;

  @IsOptional()
  @IsText(1000)
  notes?: string | null;
}

export class ListWaitlistQueryDto extends PageQueryDto {
  /** Default: the live entries (waiting or offered). */
  @IsOptional()
  @IsOneOf(WAITLIST_STATUSES)
  status?: WaitlistStatus;

  @IsOptional()
  @IsProcedureTypeCode()
  procedureType?: string;

  @IsOptional()
  @IsId()
  patientId?: string;
}
