import type { ResourceRequirement, WeeklyHoursData } from '@aftercare/contracts';
import {
  IsCode,
  IsCodeList,
  IsE164Phone,
  IsEmailAddress,
  IsIanaTimeZone,
  IsId,
  IsIsoDateTime,
  IsLocalDate,
  IsOmittable,
  IsOneOf,
  IsOptional,
  IsProcedureTypeCode,
  IsRequirements,
  IsStrictBoolean,
  IsText,
  IsWeeklyHours,
  IsWholeNumber,
  Required,
} from '../common/validation/validators.js';

export class UpdateClinicDto {
  @IsOmittable()
  @IsText(200, 1)
  name?: string;

  @IsOmittable()
  @IsIanaTimeZone()
  timezone?: string;

  @IsOmittable()
  @IsE164Phone()
  phone?: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string | null;

  @IsOmittable()
  @IsWeeklyHours()
  openingHours?: WeeklyHoursData;

  @IsOmittable()
  @IsWholeNumber(5, 120)
  gridMinutes?: number;
}

/** A time range, or whole days of the clinic (`date` … `throughDate`) for a holiday. */
export class CreateClosureDto {
  @IsOptional()
  @IsIsoDateTime()
  startsAt?: string;

  @IsOptional()
  @IsIsoDateTime()
  endsAt?: string;

  @IsOptional()
  @IsLocalDate()
  date?: string;

  @IsOptional()
  @IsLocalDate()
  throughDate?: string;

  @Required()
  @IsText(200, 1)
  reason!: string;
}

export class RangeQueryDto {
  @IsOptional()
  @IsIsoDateTime()
  from?: string;

  @IsOptional()
  @IsIsoDateTime()
  to?: string;
}

export class TimeOffQueryDto extends RangeQueryDto {
  @IsOptional()
  @IsId()
  clinicianId?: string;
}

export class CreateClinicianDto {
  @Required()
  @IsText(200, 1)
  name!: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string | null;

  @Required()
  @IsWeeklyHours()
  weeklyHours!: WeeklyHoursData;
}

export class UpdateClinicianDto {
  @IsOmittable()
  @IsText(200, 1)
  name?: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string | null;

  @IsOmittable()
  @IsWeeklyHours()
  weeklyHours?: WeeklyHoursData;

  @IsOmittable()
  @IsStrictBoolean()
  active?: boolean;
}

export class CreateTimeOffDto {
  @Required()
  @IsId()
  clinicianId!: string;

  @Required()
  @IsIsoDateTime()
  startsAt!: string;

  @Required()
  @IsIsoDateTime()
  endsAt!: string;

  @IsOptional()
  @IsText(200)
  reason?: string | null;
}

export class CreateResourceDto {
  @Required()
  @IsOneOf(['room', 'equipment'])
  kind!: 'room' | 'equipment';

  @Required()
  @IsCode()
  category!: string;

  @Required()
  @IsText(200, 1)
  name!: string;

  @IsOmittable()
  @IsCodeList()
  features?: string[];
}

export class UpdateResourceDto {
  @IsOmittable()
  @IsText(200, 1)
  name?: string;

  @IsOmittable()
  @IsCodeList()
  features?: string[];

  @IsOmittable()
  @IsStrictBoolean()
  active?: boolean;
}

export class CreateProcedureTypeDto {
  @Required()
  @IsProcedureTypeCode()
  code!: string;

  @Required()
  @IsText(200, 1)
  name!: string;

  @Required()
  @IsWholeNumber(5, 720)
  durationMinutes!: number;

  @IsOmittable()
  @IsWholeNumber(0, 240)
  bufferAfterMinutes?: number;

  @IsOmittable()
  @IsRequirements()
  requires?: ResourceRequirement[];
}

export class UpdateProcedureTypeDto {
  @IsOmittable()
  @IsText(200, 1)
  name?: string;

  @IsOmittable()
  @IsWholeNumber(5, 720)
  durationMinutes?: number;

  @IsOmittable()
  @IsWholeNumber(0, 240)
  bufferAfterMinutes?: number;

  @IsOmittable()
  @IsRequirements()
  requires?: ResourceRequirement[];
}

export class CodeParamDto {
  @Required()
  @IsProcedureTypeCode()
  code!: string;
}

export class DaySheetQueryDto {
  @Required()
  @IsLocalDate()
  date!: string;
}
