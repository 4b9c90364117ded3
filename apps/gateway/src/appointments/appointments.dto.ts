import { IsId, IsIsoDateTime, IsOptional, IsProcedureTypeCode, IsText, IsWholeNumber, Required } from '../common/validation/validators.js';
import { PageQueryDto } from '../common/page-query.dto.js';

export class BookAppointmentDto {
  @Required()
  @IsId()
  patientId!: string;

  @Required()
  @IsId()
  clinicianId!: string;

  @Required()
  @IsProcedureTypeCode()
  procedureType!: string;

  @Required()
  @IsIsoDateTime()
  startsAt!: string;

  @IsOptional()
  @IsText(2000)
  notes?: string | null;

  /** The booking task this appointment answers; it closes when the booking is made. */
  @IsOptional()
  @IsId()
  bookingTaskId?: string | null;
}

export class ListAppointmentsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIsoDateTime()
  from?: string;

  @IsOptional()
  @IsIsoDateTime()
  to?: string;

  @IsOptional()
  @IsId()
  clinicianId?: string;

  @IsOptional()
  @IsId()
  patientId?: string;
}

export class RescheduleAppointmentDto {
  @Required()
  @IsIsoDateTime()
  startsAt!: string;
}

export class CancelAppointmentDto {
  @IsOptional()
  @IsText(500)
  reason?: string | null;
}

export class CompleteAppointmentDto {
  @IsOptional()
  @IsText(2000)
  notes?: string | null;

  /** Where the injection went, e.g. "left knee". */
  @IsOptional()
  @IsText(200)
  site?: string | null;
}

export class AvailabilityQueryDto {
  @IsOptional()
  @IsId()
  clinicianId?: string;

  @Required()
  @IsProcedureTypeCode()
  procedureType!: string;

  @Required()
  @IsIsoDateTime()
  from!: string;

  @Required()
  @IsIsoDateTime()
  to!: string;

  /** Leave out times when this patient is already booked. */
  @IsOptional()
  @IsId()
  patientId?: string;

  @IsOptional()
  @IsWholeNumber(1, 500)
  limit?: number;
}
