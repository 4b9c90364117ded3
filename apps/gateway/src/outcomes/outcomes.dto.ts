import { IsId, IsIsoDateTime, IsOptional, IsText } from '../common/validation/validators.js';
import { Matches } from 'class-validator';

export class OutcomeSummaryQueryDto {
  @IsOptional()
  @IsId()
  clinicianId?: string;

  /** A protocol code such as bmac-standard. */
  @IsOptional()
  @IsText(64, 1)
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: 'protocol must be a protocol code such as bmac-standard' })
  protocol?: string;

  /** Procedures completed from this time (inclusive). */
  @IsOptional()
  @IsIsoDateTime()
  from?: string;

  /** … until this time (exclusive). */
  @IsOptional()
  @IsIsoDateTime()
  to?: string;
}
