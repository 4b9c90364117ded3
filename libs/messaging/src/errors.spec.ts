import { describe, expect, it } from '@jest/globals';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { DomainError, safeErrorMessage } from './errors.js';

describe('safeErrorMessage', () => {
  it("keeps a failed query's parameters (patient data) out of what is logged", () => {
    const cause = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', constraint: 'patients_phone', severity: 'ERROR' });
    const error = new DrizzleQueryError('insert into "scheduling"."patients" values ($1, $2)', ['Ana Rivera', '+13125550147'], cause);
    const message = safeErrorMessage(error);
    expect(message).toBe('database error 23505 on patients_phone');
    expect(message).not.toContain('Ana');
    expect(message).not.toContain('+1312');
  });

  it('keeps the code and text of domain errors, which never carry patient data', () => {
    expect(safeErrorMessage(new DomainError('APPOINTMENT.SLOT_TAKEN', 'That time is no longer free', 409))).toBe('APPOINTMENT.SLOT_TAKEN: That time is no longer free');
  });
});
