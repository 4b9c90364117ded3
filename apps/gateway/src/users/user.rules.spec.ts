import { describe, expect, it } from '@jest/globals';
import { clinicianLinkViolation, planUserChange, UserRuleViolation, type UserState } from './user.rules.js';

const ADMIN: UserState = { id: 'a1', role: 'admin', clinicianId: null, disabled: false };
const CLINICIAN: UserState = { id: 'c1', role: 'clinician', clinicianId: 'k1', disabled: false };

const violationOf = (fn: () => unknown): UserRuleViolation => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserRuleViolation) return error;
    throw error;
  }
  throw new Error('expected a UserRuleViolation');
};

describe('planUserChange', () => {
  it('refuses an admin disabling their own account (409 naming disabled)', () => {
    const v = violationOf(() => planUserChange('a1', ADMIN, { disabled: true }));
    expect(v).toMatchObject({ code: 'USER.CANNOT_DISABLE_SELF', statusCode: 409, field: 'disabled' });
    expect(v.message).toMatch(/^disabled: /);
  });

  it('refuses an admin taking away their own admin role (409 naming role)', () => {
    for (const role of ['clinician', 'front_desk'] as const) {
      expect(violationOf(() => planUserChange('a1', ADMIN, { role }))).toMatchObject({ code: 'USER.CANNOT_DEMOTE_SELF', statusCode: 409, field: 'role' });
    }
  });

  it('lets an admin change their own name, keep their role and stay enabled', () => {
    expect(planUserChange('a1', ADMIN, { role: 'admin', disabled: false })).toEqual({ role: 'admin', clinicianId: null, disabled: false, linksClinician: false });
  });

  it('lets an admin disable, enable and demote someone else', () => {
    const other: UserState = { ...ADMIN, id: 'a2' };
    expect(planUserChange('a1', other, { disabled: true }).disabled).toBe(true);
    expect(planUserChange('a1', { ...other, disabled: true }, { disabled: false }).disabled).toBe(false);
    expect(planUserChange('a1', other, { role: 'front_desk' }).role).toBe('front_desk');
  });

  it('links a clinician only to a clinician user (400 naming clinicianId)', () => {
    expect(violationOf(() => planUserChange('a1', { ...ADMIN, id: 'x' }, { clinicianId: 'k2' }))).toMatchObject({ statusCode: 400, field: 'clinicianId' });
    expect(violationOf(() => planUserChange('a1', CLINICIAN, { role: 'front_desk', clinicianId: 'k1' }))).toMatchObject({ statusCode: 400, field: 'clinicianId' });
    expect(planUserChange('a1', { ...ADMIN, id: 'x' }, { role: 'clinician', clinicianId: 'k2' })).toEqual({ role: 'clinician', clinicianId: 'k2', disabled: false, linksClinician: true });
  });

  it('drops the clinician link with the clinician role, and keeps it otherwise', () => {
    expect(planUserChange('a1', CLINICIAN, { role: 'front_desk' }).clinicianId).toBeNull();
    expect(planUserChange('a1', CLINICIAN, { disabled: true })).toEqual({ role: 'clinician', clinicianId: 'k1', disabled: true, linksClinician: false });
    expect(planUserChange('a1', CLINICIAN, { clinicianId: null }).clinicianId).toBeNull();
  });

  it('asks for the clinician to be checked only when the link is new', () => {
    expect(planUserChange('a1', CLINICIAN, { clinicianId: 'k1' }).linksClinician).toBe(false);
    expect(planUserChange('a1', CLINICIAN, { clinicianId: 'k9' }).linksClinician).toBe(true);
  });
});

describe('clinicianLinkViolation', () => {
  it('allows no link for anyone, and a link for a clinician', () => {
    expect(clinicianLinkViolation('admin', null)).toBeNull();
    expect(clinicianLinkViolation('front_desk', undefined)).toBeNull();
    expect(clinicianLinkViolation('clinician', 'k1')).toBeNull();
    expect(clinicianLinkViolation('admin', 'k1')).toMatchObject({ statusCode: 400, field: 'clinicianId' });
  });
});
