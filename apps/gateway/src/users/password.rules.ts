import { UserRuleViolation } from './user.rules.js';

/**
 * Passwords people pick first and attackers try first, at 12 characters or more (shorter ones
 * are refused by length already), compared case-insensitively. Kept short on purpose: length
 * does most of the work; this catches the obvious.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789123', '111111111111', '000000000000',
  '123123123123', '121212121212', '987654321098', '1q2w3e4r5t6y', '1qaz2wsx3edc', 'qwertyuiop12',
  'qwertyuiopasdf', 'qwerty123456', 'qwertyqwerty', 'asdfghjklasdf', 'abcdefghijkl', 'abc123456789',
  'abcd12345678', 'password1234', 'password12345', 'password123!', 'password@123', 'passwordpassword',
  'p@ssw0rd1234', 'p@ssword1234', 'passw0rd1234', 'mypassword123', 'letmein12345', 'welcome12345',
  'welcome@1234', 'welcometothejungle', 'iloveyou1234', 'iloveyouiloveyou', 'changeme1234', 'changeme123!',
  'administrator', 'administrator1', 'admin1234567', 'admin@123456', 'adminadmin123', 'football1234',
  'baseball1234', 'superman1234', 'trustno1trustno1', 'monkey123456', 'dragon123456', 'sunshine1234',
  'princess1234', 'starwars1234', 'whatever1234', 'computer1234', 'internet1234', 'correcthorsebatterystaple',
  'correct horse battery staple', 'aftercare-demo', 'aftercare123', 'aftercare1234', 'clinic123456',
  'hospital1234', 'doctor123456', 'nurse1234567', 'patient12345', 'summer2024!!', 'winter2024!!',
  'spring2025!!', 'autumn2025!!', 'january2025!', 'password2024', 'password2025', 'password2026',
]);

/**
 * The password rules beyond length (the DTO checks 12 to 200 characters): not the user's own
 * e-mail address or the part of it before the @, not one of the most common passwords, not one
 * character over and over. A violation names the field `password` and the rule.
 */
export function passwordViolation(password: string, email: string): UserRuleViolation | null {
  const typed = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  if (typed === address || typed === address.split('@')[0]) {
    return new UserRuleViolation('USER.PASSWORD_IS_EMAIL', 'password: must not be the e-mail address or a part of it', 400, 'password');
  }
  if (COMMON_PASSWORDS.has(typed) || /^(.)\1*$/.test(typed)) {
    return new UserRuleViolation('USER.PASSWORD_TOO_COMMON', 'password: is one of the most common passwords; choose a phrase of your own', 400, 'password');
  }
  return null;
}
