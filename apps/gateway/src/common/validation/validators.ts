import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { isValidPhoneNumber } from 'libphonenumber-js/max';
import { DateTime } from 'luxon';
import { isIanaZone } from '@aftercare/clock';

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

export const isIanaTimeZone = isIanaZone;

/** Real offsets run from -12:00 to +14:00; years outside 1900–2199 are typing errors here. */
export const isIsoDateTimeWithOffset = (value: unknown): boolean => {
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value)) return false;
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid && Math.abs(parsed.offset) <= 14 * 60 && parsed.year >= 1900 && parsed.year <= 2199 && Number.isFinite(Date.parse(value));
};

/**
 * The field may be left out, but when sent it must be a real value: null is refused (for
 * fields that cannot be cleared, such as a name or a duration). `IsOptional` lets null through.
 */
export const IsOmittable = () =>
  applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: '$property cannot be null; leave it out to keep the current value' }),
  );

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

/** A code (category, feature): lower case, digits and underscores, e.g. procedure_room. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
export const IsCode = () => Matches(CODE, { message: '$property must be a code such as procedure_room (a-z, 0-9, _)' });

/** A calendar date 'YYYY-MM-DD' that exists, between 1900 and 2199. */
export const isLocalDate = (value: unknown): boolean => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = DateTime.fromISO(value, { zone: 'utc' });
  return d.isValid && d.year >= 1900 && d.year <= 2199;
};
export const IsLocalDate = () =>
  ValidateBy({
    name: 'isLocalDate',
    validator: { validate: isLocalDate, defaultMessage: () => '$property must be a date such as 2026-12-24' },
  });

/** A whole number in [min, max]; query strings ('15') are turned into numbers first. */
export const IsWholeNumber = (min: number, max: number) =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
    IsInt({ message: '$property must be a whole number' }),
    Min(min, { message: `$property must be at least ${min}` }),
    Max(max, { message: `$property must be at most ${max}` }),
  );

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
/**
 * Problems with the *shape* of weekly hours ({ "1": [{ "start": "09:00", "end": "17:00" }], … },
 * 1 = Monday); whether intervals make sense (end after start, no overlaps) the scheduling
 * service checks and reports with the same field name.
 */
export function weeklyHoursShapeProblem(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be an object keyed by weekday "1" (Monday) to "7" (Sunday)';
  for (const [key, list] of Object.entries(value)) {
    if (!/^[1-7]$/.test(key)) return `has an unknown weekday "${key}" (use "1" for Monday to "7" for Sunday)`;
    if (!Array.isArray(list) || list.length > 8) return `["${key}"] must be a list of at most 8 { start, end } intervals`;
    for (const [i, iv] of list.entries()) {
      if (!iv || typeof iv !== 'object' || Array.isArray(iv)) return `["${key}"][${i}] must be { start, end }`;
      const keys = Object.keys(iv);
      if (keys.some((k) => k !== 'start' && k !== 'end')) return `["${key}"][${i}] may only have start and end`;
      const { start, end } = iv as { start?: unknown; end?: unknown };
      if (typeof start !== 'string' || !HHMM.test(start) || start === '24:00') return `["${key}"][${i}].start must be a time such as 09:00`;
      if (typeof end !== 'string' || !HHMM.test(end)) return `["${key}"][${i}].end must be a time such as 17:00 (or 24:00)`;
    }
  }
  return null;
}
export const IsWeeklyHours = () =>
  ValidateBy({
    name: 'isWeeklyHours',
    validator: {
      validate: (value) => weeklyHoursShapeProblem(value) === null,
      defaultMessage: (args) => `${args?.property ?? 'hours'} ${weeklyHoursShapeProblem(args?.value) ?? 'is invalid'}`,
    },
  });

/** [{ category, features? }, …]: what a procedure needs at once. */
export function requirementsProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length > 10) return 'must be a list of at most 10 { category, features? } items';
  for (const [i, req] of value.entries()) {
    if (!req || typeof req !== 'object' || Array.isArray(req)) return `[${i}] must be { category, features? }`;
    if (Object.keys(req).some((k) => k !== 'category' && k !== 'features')) return `[${i}] may only have category and features`;
    const { category, features } = req as { category?: unknown; features?: unknown };
    if (typeof category !== 'string' || !CODE.test(category)) return `[${i}].category must be a code such as procedure_room`;
    if (features !== undefined && (!Array.isArray(features) || features.length > 10 || features.some((f) => typeof f !== 'string' || !CODE.test(f)))) {
      return `[${i}].features must be a list of codes such as ultrasound`;
    }
  }
  return null;
}
export const IsRequirements = () =>
  ValidateBy({
    name: 'isRequirements',
    validator: {
      validate: (value) => requirementsProblem(value) === null,
      defaultMessage: (args) => `${args?.property ?? 'requires'} ${requirementsProblem(args?.value) ?? 'is invalid'}`,
    },
  });

/** A short list of codes, e.g. features ['ultrasound']. */
export const IsCodeList = (max = 10) =>
  ValidateBy({
    name: 'isCodeList',
    validator: {
      validate: (value) => Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string' && CODE.test(v)),
      defaultMessage: () => `$property must be a list of at most ${max} codes such as ultrasound`,
    },
  });
