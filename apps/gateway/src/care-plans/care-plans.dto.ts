import { IsId, IsOptional } from '../common/validation/validators.js';

export class ListCarePlansQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;
}
