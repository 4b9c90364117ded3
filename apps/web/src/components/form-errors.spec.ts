import { describe, expect, it } from '@jest/globals';
import { errorAt, fieldOf, splitFieldErrors, splitProblems } from './form-errors';

describe('splitFieldErrors', () => {
  const FIELDS = ['email', 'password', 'clinicianId'] as const;

  it('puts each problem under the field it names', () => {
    const result = splitFieldErrors('email: a user with this e-mail address exists already; password must be at least 12 characters long', FIELDS);
    expect(result).toEqual({
      fields: { email: 'email: a user with this e-mail address exists already', password: 'password must be at least 12 characters long' },
      rest: null,
    });
  });

  it('keeps problems that name no field of the form for the banner', () => {
    expect(splitFieldErrors('property nickname should not exist; The server cannot be reached.', FIELDS)).toEqual({
      fields: {},
      rest: 'property nickname should not exist; The server cannot be reached.',
    });
  });

  it('joins two problems of one field, and is empty without an error', () => {
    expect(splitFieldErrors('email must be an e-mail address; email must not be empty', FIELDS).fields.email).toBe('email must be an e-mail address; email must not be empty');
    expect(splitFieldErrors(null, FIELDS)).toEqual({ fields: {}, rest: null });
  });
});

describe('fieldOf', () => {
  it('reads the first part of a field path', () => {
    expect(fieldOf('steps.2.key must be a key')).toBe('steps');
    expect(fieldOf('weeklyHours["1"][0].end must be a time')).toBe('weeklyHours');
    expect(fieldOf('clinicianId: only a clinician')).toBe('clinicianId');
    expect(fieldOf('A clock advance is already running')).toBe('A');
    expect(fieldOf('(broken)')).toBeNull();
  });
});

describe('splitProblems', () => {
  it('keeps a problem that uses "; " itself in one piece', () => {
    const isField = (name: string) => ['steps', 'name'].includes(name);
    expect(splitProblems('steps.1.key "a" is already the key of steps.0; keys must be unique; name must not be empty; property x should not exist', isField)).toEqual([
      'steps.1.key "a" is already the key of steps.0; keys must be unique',
      'name must not be empty',
      'property x should not exist',
    ]);
    expect(splitProblems('The server cannot be reached. Check the network connection and try again.', isField)).toEqual([
      'The server cannot be reached. Check the network connection and try again.',
    ]);
  });
});

describe('errorAt', () => {
  it('answers the error for the field it names, in either form and any case', () => {
    expect(errorAt('until must be a date such as 2026-12-24', 'until')).toBe('until must be a date such as 2026-12-24');
    expect(errorAt('clinicianId: choose the clinician to hand the item to', 'clinicianId')).toBe('clinicianId: choose the clinician to hand the item to');
    expect(errorAt('Site must be shorter than or equal to 200 characters', 'site')).toBe('Site must be shorter than or equal to 200 characters');
  });

  it('answers null for another field, a longer name or no error', () => {
    expect(errorAt('notes must be a string', 'note')).toBeNull();
    expect(errorAt('note must be a string', 'reason')).toBeNull();
    expect(errorAt('The server cannot be reached.', 'note')).toBeNull();
    expect(errorAt(null, 'note')).toBeNull();
  });
});
