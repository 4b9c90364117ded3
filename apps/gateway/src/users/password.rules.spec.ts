import { describe, expect, it } from '@jest/globals';
import { passwordViolation } from './password.rules.js';

describe('passwordViolation', () => {
  const email = 'maya.chen@clinic.example';

  it('accepts a phrase of the user\'s own', () => {
    expect(passwordViolation('correct horse battery', email)).toBeNull();
    expect(passwordViolation('maya.chen@clinic.example and more', email)).toBeNull();
  });

  it('refuses the e-mail address or its part before the @, whatever the case (400 naming password)', () => {
    for (const password of ['maya.chen@clinic.example', ' Maya.Chen@Clinic.Example ', 'MAYA.CHEN']) {
      expect(passwordViolation(password, email)).toMatchObject({ code: 'USER.PASSWORD_IS_EMAIL', statusCode: 400, field: 'password' });
    }
    expect(passwordViolation('maya.chen@clinic.example', email)!.message).toMatch(/^password: /);
  });

  it('refuses the most common passwords, the demo password among them, and one character repeated', () => {
    for (const password of ['password1234', 'Password1234', 'qwerty123456', '123456789012', 'aftercare-demo', 'zzzzzzzzzzzzzz']) {
      expect(passwordViolation(password, email)).toMatchObject({ code: 'USER.PASSWORD_TOO_COMMON', statusCode: 400, field: 'password' });
    }
  });
});
