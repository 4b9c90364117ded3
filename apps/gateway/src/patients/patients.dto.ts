import type { Language, PreferredChannel } from '@aftercare/contracts';
import {
  IsLocalDate,
  IsE164Phone,
  IsEmailAddress,
  IsIanaTimeZone,
  IsOneOf,
  IsOptional,
  IsStrictBoolean,
  IsText,
  Required,
} from '../common/validation/validators.js';
import { PageQueryDto } from '../common/page-query.dto.js';

export const PREFERRED_CHANNELS: readonly PreferredChannel[] = ['sms', 'email', 'both'];
export const LANGUAGES: readonly Language[] = ['en', 'es'];

export class CreatePatientDto {
  @Required()
  @IsText(100, 1)
  firstName!: string;

  @Required()
  @IsText(100, 1)
  lastName!: string;

  @Required()
  @IsE164Phone()
  phone!: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string | null;

  @Required()
  @IsIanaTimeZone()
  timezone!: string;

  @Required()
  @IsOneOf(PREFERRED_CHANNELS)
  preferredChannel!: PreferredChannel;

  @Required()
  @IsStrictBoolean()
  smsConsent!: boolean;

  @IsOptional()
  @IsLocalDate()
  dateOfBirth?: string | null;

  /** The language of the patient's messages (default en). */
  @IsOptional()
  @IsOneOf(LANGUAGES)
  language?: Language;
}

export class ListPatientsQueryDto extends PageQueryDto {
  /** Part of a name, phone or e-mail; matched by the scheduling service. */
  @IsOptional()
  @IsText(200)
  query?: string;

  @IsOptional()
  @IsLocalDate()
  dateOfBirth?: string;
}

/** Before registering: who already has this phone number or e-mail address? */
export class PatientDuplicatesQueryDto {
  @IsOptional()
  @IsE164Phone()
  phone?: string;

  @IsOptional()
  @IsEmailAddress()
  email?: string;
}
