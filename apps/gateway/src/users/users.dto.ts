import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@aftercare/contracts';
import { IsEmailAddress, IsId, IsOmittable, IsOneOf, IsOptional, IsStrictBoolean, IsText, Required } from '../common/validation/validators.js';

/**
 * At least 12 characters (length beats composition rules); at most 200, which argon2 hashes
 * quickly. Not the e-mail address nor a common password: users/password.rules.ts, in the service.
 */
export const PASSWORD_LENGTH = { min: 12, max: 200 } as const;

/** A password as typed: never trimmed (spaces count), and never echoed back in an error. */
const IsPassword = () =>
  applyDecorators(
    IsString({ message: '$property must be a string' }),
    MinLength(PASSWORD_LENGTH.min, { message: `$property must be at least ${PASSWORD_LENGTH.min} characters long` }),
    MaxLength(PASSWORD_LENGTH.max, { message: `$property must be at most ${PASSWORD_LENGTH.max} characters long` }),
  );

export class CreateUserDto {
  /** Trimmed here (a pasted address often brings a space); stored lower-cased. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Required()
  @IsEmailAddress()
  email!: string;

  @Required()
  @IsText(200, 1)
  name!: string;

  @Required()
  @IsOneOf(ROLES)
  role!: Role;

  @Required()
  @IsPassword()
  password!: string;

  /** The clinician this user is (clinician users only). */
  @IsOptional()
  @IsId()
  clinicianId?: string | null;
}

/** Fields left out keep their value; `clinicianId: null` unlinks the clinician. */
export class UpdateUserDto {
  @IsOmittable()
  @IsText(200, 1)
  name?: string;

  @IsOmittable()
  @IsOneOf(ROLES)
  role?: Role;

  @IsOptional()
  @IsId()
  clinicianId?: string | null;

  /** A disabled user cannot sign in, and their tokens stop working at once. */
  @IsOmittable()
  @IsStrictBoolean()
  disabled?: boolean;

  /** A new password, set by the admin: the user's sessions end (they sign in with the new one). */
  @IsOmittable()
  @IsPassword()
  password?: string;
}
