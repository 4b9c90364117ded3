import { Matches } from 'class-validator';
import { IsId, IsOneOf, IsOptional, IsWholeNumber } from '../common/validation/validators.js';

export const AUDIT_ACTIONS = ['read', 'create', 'update', 'delete', 'deny', 'login'] as const;

/** The audit log, newest first, a page at a time: `limit`, then `cursor` = the previous page's nextCursor. */
export class ListAuditLogQueryDto {
  @IsOptional()
  @IsId()
  userId?: string;

  @IsOptional()
  @IsId()
  patientId?: string;

  /** e.g. patient, appointment, message, care_plan, follow_up_item. */
  @IsOptional()
  @Matches(/^[a-z_]{1,40}$/, { message: 'recordType must be a record type such as patient or appointment' })
  recordType?: string;

  @IsOptional()
  @IsOneOf(AUDIT_ACTIONS)
  action?: (typeof AUDIT_ACTIONS)[number];

  /** 100 unless given, at most 500. */
  @IsOptional()
  @IsWholeNumber(1, 500)
  limit?: number;

  @IsOptional()
  @Matches(/^[1-9]\d{0,17}$/, { message: 'cursor must be the nextCursor of the previous page' })
  cursor?: string;
}
