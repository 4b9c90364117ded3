import { IsId, IsOptional } from '../common/validation/validators.js';

/** GET /api/live: one patient's messages, or (without patientId) every patient of the user's clinic. */
export class LiveQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;
}
