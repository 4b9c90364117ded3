import { IsId, IsOptional, IsText, Required } from '../common/validation/validators.js';
import { PageQueryDto } from '../common/page-query.dto.js';

export class ListCarePlansQueryDto extends PageQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;
}

/** Pausing or cancelling a plan says why (it is audited and shown on the plan). */
export class CarePlanReasonDto {
  @Required()
  @IsText(500, 1)
  reason!: string;
}

/** Resuming may say why. */
export class ResumeCarePlanDto {
  @IsOptional()
  @IsText(500, 1)
  reason?: string | null;
}
