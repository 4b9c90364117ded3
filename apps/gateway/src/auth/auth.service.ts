import { randomBytes } from 'node:crypto';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@aftercare/contracts';
import type { AuthUser } from '../common/http.js';
import type { UserRow } from '../database/schema.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';
import { UsersRepository } from '../users/users.repository.js';
import type { Authentication } from './access-decision.js';

/** What the access token carries (HS256, signed with config.jwt.secret). */
export interface AccessTokenClaims {
  sub: string;
  role: Role;
  clinicId: string;
  clinicianId: string | null;
}

export interface LoginResult {
  accessToken: string;
  user: AuthUser;
}

/** One message for every failed login, so the answer does not tell which e-mails exist. */
export const BAD_CREDENTIALS = 'Email or password is incorrect';

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

@Injectable()
export class AuthService {
  /** A hash to verify against when the e-mail is unknown, so both cases take as long. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly users: UsersRepository,
    private readonly jwt: JwtService,
  ) {}

  async login(email: string, password: string): Promise<LoginResult> {
    const row = await this.users.findByEmail(email);
    if (!row) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(await this.dummyHash, password);
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    const ok = await verifyPassword(row.passwordHash, password);
    if (!ok || row.disabled) throw new UnauthorizedException(BAD_CREDENTIALS);
    const claims: AccessTokenClaims = { sub: row.id, role: row.role, clinicId: row.clinicId, clinicianId: row.clinicianId };
    return { accessToken: await this.jwt.signAsync(claims), user: toAuthUser(row) };
  }

  /**
   * Checks the bearer token and reloads the user, so that disabling a user or changing their
   * role takes effect at once rather than when their token expires.
   */
  async authenticate(authorization: string | undefined): Promise<Authentication> {
    if (!authorization) return { user: null, problem: 'Sign in first: send Authorization: Bearer <token>' };
    const match = BEARER.exec(authorization.trim());
    if (!match) return { user: null, problem: 'The Authorization header must be "Bearer <token>"' };
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(match[1]!);
    } catch (error) {
      const expired = error instanceof Error && error.name === 'TokenExpiredError';
      return { user: null, problem: expired ? 'The token has expired; sign in again' : 'The token is not valid; sign in again' };
    }
    const row = typeof claims.sub === 'string' ? await this.users.findById(claims.sub) : null;
    if (!row || row.disabled || row.clinicId !== claims.clinicId) {
      return { user: null, problem: 'The token is no longer valid; sign in again' };
    }
    return { user: toAuthUser(row) };
  }
}

export function toAuthUser(row: UserRow): AuthUser {
  return { id: row.id, clinicId: row.clinicId, role: row.role, clinicianId: row.clinicianId, email: row.email, name: row.name };
}
