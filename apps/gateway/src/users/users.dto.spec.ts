import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { firstValidationProblem, type ValidationProblem } from '../common/validation/validation-failed.exception.js';
import { CreateUserDto, UpdateUserDto } from './users.dto.js';

/** Validates like the gateway's global pipe (unknown fields refused) and returns the problem it would answer. */
async function problemOf(dto: new () => object, plain: Record<string, unknown>): Promise<ValidationProblem | null> {
  const errors = await validate(plainToInstance(dto, plain), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  return firstValidationProblem(errors);
}

const user = { email: 'new.person@example.com', name: 'New Person', role: 'front_desk', password: 'twelve chars' };

describe('CreateUserDto', () => {
  it('accepts a user, with or without a clinician', async () => {
    expect(await problemOf(CreateUserDto, user)).toBeNull();
    expect(await problemOf(CreateUserDto, { ...user, role: 'clinician', clinicianId: '00000000-0000-4000-8000-000000000101' })).toBeNull();
    expect(await problemOf(CreateUserDto, { ...user, clinicianId: null })).toBeNull();
    expect(await problemOf(CreateUserDto, { ...user, email: '  Pasted.Address@Example.com ' })).toBeNull();
  });

  it('wants a password of at least 12 characters, and says so naming password', async () => {
    expect(await problemOf(CreateUserDto, { ...user, password: 'elevenchars' })).toEqual({ field: 'password', message: 'password must be at least 12 characters long' });
    expect(await problemOf(CreateUserDto, { ...user, password: undefined })).toEqual({ field: 'password', message: 'password is required' });
    expect(await problemOf(CreateUserDto, { ...user, password: 'x'.repeat(201) })).toMatchObject({ field: 'password' });
  });

  it('names a bad e-mail, role, name and clinician', async () => {
    expect(await problemOf(CreateUserDto, { ...user, email: 'nobody@' })).toMatchObject({ field: 'email' });
    expect(await problemOf(CreateUserDto, { ...user, role: 'superuser' })).toEqual({ field: 'role', message: 'role must be one of front_desk, clinician, admin' });
    expect(await problemOf(CreateUserDto, { ...user, name: '   ' })).toEqual({ field: 'name', message: 'name must not be empty' });
    expect(await problemOf(CreateUserDto, { ...user, clinicianId: 'dr-smith' })).toMatchObject({ field: 'clinicianId' });
  });

  it('refuses unknown fields (a password hash cannot be slipped in)', async () => {
    expect(await problemOf(CreateUserDto, { ...user, passwordHash: '$argon2id$...' })).toMatchObject({ field: 'passwordHash' });
    expect(await problemOf(CreateUserDto, { ...user, clinicId: '00000000-0000-4000-8000-000000000001' })).toMatchObject({ field: 'clinicId' });
  });
});

describe('UpdateUserDto', () => {
  it('accepts any subset, and null for the clinician only', async () => {
    expect(await problemOf(UpdateUserDto, {})).toBeNull();
    expect(await problemOf(UpdateUserDto, { disabled: true })).toBeNull();
    expect(await problemOf(UpdateUserDto, { clinicianId: null })).toBeNull();
    expect(await problemOf(UpdateUserDto, { name: null })).toMatchObject({ field: 'name' });
    expect(await problemOf(UpdateUserDto, { disabled: null })).toMatchObject({ field: 'disabled' });
  });

  it('checks what is sent as strictly as on create', async () => {
    expect(await problemOf(UpdateUserDto, { disabled: 'yes' })).toEqual({ field: 'disabled', message: 'disabled must be true or false' });
    expect(await problemOf(UpdateUserDto, { password: 'short' })).toEqual({ field: 'password', message: 'password must be at least 12 characters long' });
    expect(await problemOf(UpdateUserDto, { role: 'owner' })).toMatchObject({ field: 'role' });
  });

  it('does not change e-mails (unknown field)', async () => {
    expect(await problemOf(UpdateUserDto, { email: 'other@example.com' })).toMatchObject({ field: 'email' });
  });
});
