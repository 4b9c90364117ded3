import { createHash, randomBytes } from 'node:crypto';

/**
 * A refresh token: 256 random bits, base64url. Only its SHA-256 is stored (a fast hash is enough
 * for a random secret of this size: there is nothing to guess), so a copy of the database does
 * not hand out sessions.
 */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The failed-login counters a sign-in attempt counts against: the e-mail address as typed
 * (hashed and lower-cased, whether or not anyone has it, so that a lockout says nothing about
 * which addresses exist) and the caller's IP address.
 */
export function loginFailureKeys(email: string, ip: string): { account: string; ip: string } {
  return { account: `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`, ip: `ip:${ip}` };
}
