import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsEmail, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { DateTime, IANAZone } from 'luxon';

/**
 * The gateway's input rules as decorators, each with a message that names the field and shows
 * a good value, so a client can fix its request from the error alone.
 */

const E164 = /^\+[1-9]\d{1,14}$/;
/** A date-time with an explicit offset: a bare local time would be ambiguous across zones. */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export const isE164Phone = (value: unknown): boolean =>
  // The full ("max") metadata checks number ranges, not only lengths.
  typeof value === 'string' && E164.test(value) && isValidPhoneNumber(value);

export const isIanaTimeZone = (value: unknown): boolean => typeof value === 'string' && IANAZone.isValidZone(value);

/** Real offsets run from -12:00 to +14:00; years outside 1900–2199 are typing errors here. */
export const isIsoDateTimeWithOffset = (value: unknown): boolean => {
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value)) return false;
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid && Math.abs(parsed.offset) <= 14 * 60 && parsed.year >= 1900 && parsed.year <= 2199 && Number.isFinite(Date.parse(value));
};

/** The field must be present (null counts as absent). */
export const Required = () => IsDefined({ message: '$property is required' });

export const IsE164Phone = () =>
  ValidateBy({
    name: 'isE164Phone',
    validator: {
      validate: isE164Phone,
      defaultMessage: () => '$property must be an E.164 phone number such as +12125550100',
    },
  });

export const IsIanaTimeZone = () =>
  ValidateBy({
    name: 'isIanaTimeZone',
    validator: {
      validate: isIanaTimeZone,
      defaultMessage: () => '$property must be an IANA time zone name such as America/New_York',
    },
  });

export const IsIsoDateTime = () =>
  ValidateBy({
    name: 'isIsoDateTime',
    validator: {
      validate: isIsoDateTimeWithOffset,
      defaultMessage: () => '$property must be an ISO 8601 date-time with an offset, such as 2025-03-05T14:30:00-05:00',
    },
  });

export const IsId = () => IsUUID('all', { message: '$property must be a UUID such as 7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f' });

export const IsEmailAddress = () =>
  applyDecorators(
    IsEmail({}, { message: '$property must be an e-mail address such as name@example.com' }),
    MaxLength(254, { message: '$property must be at most $constraint1 characters long' }),
  );

export const IsOneOf = (values: readonly string[]) =>
  IsIn([...values], { message: `$property must be one of ${values.join(', ')}` });

export const IsStrictBoolean = () => IsBoolean({ message: '$property must be true or false' });

/** A procedure type code: the services know which exist; here only its shape is checked. */
export const IsProcedureTypeCode = () =>
  Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: '$property must be a procedure type code such as bmac_injection' });

/** Free text of at most `max` characters, trimmed; `min` 1 refuses an empty or blank value. */
export const IsText = (max: number, min = 0) =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)),
    IsString({ message: '$property must be a string' }),
    ...(min > 0 ? [MinLength(min, { message: min === 1 ? '$property must not be empty' : `$property must be at least ${min} characters long` })] : []),
    MaxLength(max, { message: `$property must be at most ${max} characters long` }),
  );

export { IsOptional };
