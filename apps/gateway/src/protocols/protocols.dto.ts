import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Matches, Max, Min, ValidateBy, ValidateNested } from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import type { ProtocolStepData, ProtocolStepKind } from '@aftercare/contracts';
import { IsOneOf, IsOptional, IsProcedureTypeCode, IsStrictBoolean, IsText, Required } from '../common/validation/validators.js';

/**
 * Input of the protocol routes. The gateway checks the shape of each field; the followup service
 * checks the rules between them (unique keys, a window only on a follow-up visit, window ends in
 * order) and answers 400 naming the field the same way (`steps.2.key`).
 */
export const STEP_KINDS: readonly ProtocolStepKind[] = ['aftercare', 'checkin', 'follow_up_visit', 'repeat_evaluation'];
export const CONDITIONS = ['osteoarthritis', 'fracture', 'osteonecrosis', 'cartilage_injury', 'tendon_injury', 'ligament_injury'] as const;

const IsProtocolCode = () => Matches(/^[a-z0-9][a-z0-9-]{1,63}$/, { message: '$property must be a code such as bmac-knee (a-z, 0-9, -)' });
const IsStepKey = () => Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: '$property must be a key such as checkin-day-1 (a-z, 0-9, -)' });
const IsTimeOfDay = () => Matches(/^(?:[01]\d|2[0-3]):[0-5]\d$/, { message: "$property must be a local time of day 'HH:mm' such as 10:00" });

/** A whole number in a JSON body (a string '5' is refused, unlike in a query). */
const IsCount = (min: number, max: number) =>
  applyDecorators(
    IsInt({ message: '$property must be a whole number' }),
    Min(min, { message: `$property must be at least ${min}` }),
    Max(max, { message: `$property must be at most ${max}` }),
  );

const ISO_OFFSET = /^P(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?)?$/;
/** { days?, hours?, minutes? } of whole numbers >= 0, or an ISO 8601 duration such as P3D or PT2H. */
export function offsetProblem(value: unknown): string | null {
  if (typeof value === 'string') {
    if (!ISO_OFFSET.test(value) || value === 'P' || value.endsWith('T')) {
      return 'must be an ISO 8601 duration of weeks, days, hours and minutes such as P3D or PT2H (months and years are not fixed lengths), or { days, hours, minutes }';
    }
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be { days, hours, minutes } or an ISO 8601 duration such as P3D';
  const entries = Object.entries(value);
  for (const [unit, n] of entries) {
    if (!['days', 'hours', 'minutes'].includes(unit)) return `.${unit.slice(0, 40)} is not a unit of an offset (days, hours, minutes)`;
    if (!Number.isInteger(n) || (n as number) < 0) return `.${unit} must be a whole number >= 0 (a step cannot come before the procedure)`;
    if ((n as number) > 100_000) return `.${unit} is too large`;
  }
  return null;
}
const IsOffset = () =>
  ValidateBy({
    name: 'isProtocolOffset',
    validator: {
      validate: (value) => offsetProblem(value) === null,
      defaultMessage: (args) => `${args?.property ?? 'offset'} ${offsetProblem(args?.value) ?? 'is invalid'}`,
    },
  });

export class ProtocolWindowDto {
  @Required()
  @IsCount(0, 730)
  fromDays!: number;

  @Required()
  @IsCount(0, 730)
  toDays!: number;
}

export class ProtocolStepDto {
  @Required()
  @IsStepKey()
  key!: string;

  @Required()
  @IsOneOf(STEP_KINDS)
  kind!: ProtocolStepKind;

  @Required()
  @IsOffset()
  offset!: ProtocolStepData['offset'];

  @IsOptional()
  @IsTimeOfDay()
  at?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProtocolWindowDto)
  window?: ProtocolWindowDto;

  @IsOptional()
  @IsCount(0, 60)
  bookAheadDays?: number;
}

const IsSteps = () =>
  applyDecorators(
    IsArray({ message: '$property must be a list of steps' }),
    ArrayMinSize(1, { message: '$property must list at least one step' }),
    ArrayMaxSize(40, { message: '$property must list at most 40 steps' }),
    ValidateNested({ each: true }),
    Type(() => ProtocolStepDto),
  );

/** Blank → absent, so "site": "" does not become a scope that matches nothing. */
const BlankToUndefined = () => Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));

export class ListProtocolsQueryDto {
  @IsOptional()
  @IsProcedureTypeCode()
  procedureType?: string;

  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsStrictBoolean()
  active?: boolean;
}

export class ProtocolCodeParamDto {
  @Required()
  @IsProtocolCode()
  code!: string;
}

export class CreateProtocolDto {
  @Required()
  @IsProtocolCode()
  code!: string;

  @Required()
  @IsText(200, 1)
  name!: string;

  @Required()
  @IsProcedureTypeCode()
  procedureType!: string;

  /** A treated site ("knee"): the protocol is then for procedures whose site names it. */
  @IsOptional()
  @BlankToUndefined()
  @IsText(100, 1)
  site?: string | null;

  @IsOptional()
  @IsOneOf(CONDITIONS)
  condition?: string | null;

  @Required()
  @IsSteps()
  steps!: ProtocolStepDto[];

  /** Why this version (shown in the version history). */
  @IsOptional()
  @IsText(500)
  note?: string | null;
}

/** An edit: the whole new list of steps (and optionally a new name); scope and type stay. */
export class AddProtocolVersionDto {
  @IsOptional()
  @IsText(200, 1)
  name?: string;

  @Required()
  @IsSteps()
  steps!: ProtocolStepDto[];

  @IsOptional()
  @IsText(500)
  note?: string | null;
}

export class SetProtocolActiveDto {
  @Required()
  @IsStrictBoolean()
  active!: boolean;
}
