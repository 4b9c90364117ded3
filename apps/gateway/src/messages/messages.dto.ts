import { IsId, IsOptional } from '../common/validation/validators.js';

export class ListMessagesQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;
}
