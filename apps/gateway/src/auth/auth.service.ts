import { randomBytes } from 'node:crypto';
import { HttpException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import type { AuthUser } from '../common/http.js';
import type { UserRow } from '../database/schema.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';
import { UsersRepository } from '../users/users.repository.js';
import type { Authentication } from './access-decision.js';
import { LoginFailuresRepository } from './login-failures.repository.js';
import { retryAfterText } from '../rate-limit/rate-limit.rules.js';
import { hashRefreshToken, loginFailureKeys, newRefreshToken } from './session-tokens.js';
import { SessionsRepository } from './sessions.repository.js';

/** What the access token carries (HS256, signed with config.jwt.secret). */
export interface AccessTokenClaims {
  sub: string;
  /** The session: refused once it is revoked (sign-out, disabling, a new password, reuse). */
  sid: string;
  role: Role;
  clinicId: string;
  clinicianId: string | null;
}

/** A signed-in session's tokens: a short-lived access token and the refresh token that renews it. */
export interface SessionTokens {
  accessToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  /** Opaque; good for one refresh, which hands out the next one. */
  refreshToken: string;
  user: AuthUser;
}

/** One message for every failed login, so the answer does not tell which e-mails exist. */
export const BAD_CREDENTIALS = 'Email or password is incorrect';
export const SESSION_ENDED = 'The session has ended; sign in again';

/** 429 for a locked-out sign-in; the controller puts retryAfterSeconds in Retry-After. */
export class SignInLockedException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'AUTH.SIGN_IN_LOCKED',
        message: `Too many failed sign-ins; try again in ${retryAfterText(retryAfterSeconds)}`,
      },
      429,
    );
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
/** How often one process sweeps failed-login counters that no longer matter. */
const FORGET_EVERY_MS = 10 * 60_000;

@Injectable()
export class AuthService {
  /** A hash to verify against when the e-mail is unknown, so both cases take as long. */
  private dummyHash: Promise<string> | null = null;
  private lastSweep = 0;

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly failures: LoginFailuresRepository,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Signs in and opens a session. Failures count per e-mail address (known or not) and per IP
   * address; while either is locked, every attempt is refused before the password is looked at,
   * the right one too, with the same answer for addresses that exist and ones that do not.
   */
  async login(email: string, password: string, ip: string): Promise<SessionTokens> {
    const { maxFailures, maxFailuresPerIp, minutes } = this.config.loginLockout;
    const keys = loginFailureKeys(email, ip);
    const lockedFor = await this.failures.lockedForSeconds([keys.account, keys.ip]);
    if (lockedFor > 0) throw new SignInLockedException(lockedFor);

    const row = await this.users.findByEmail(email);
    let ok: boolean;
    if (!row) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(await this.dummyHash, password);
      ok = false;
    } else {
      ok = (await verifyPassword(row.passwordHash, password)) && !row.disabled;
    }
    if (!row || !ok) {
      await Promise.all([this.failures.recordFailure(keys.account, maxFailures, minutes), this.failures.recordFailure(keys.ip, maxFailuresPerIp, minutes)]);
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    await this.failures.clear(keys.account);
    this.sweep(row.id);
    const refresh = newRefreshToken();
    const sessionId = await this.sessions.open(row.id, refresh.hash, this.config.sessions.maxHours);
    return this.tokensFor(row, sessionId, refresh.token);
  }

  /**
   * A new access token and the next refresh token for a refresh token, which is then used up.
   * Presenting a used one again ends its session: one of the two holders is not its owner.
   */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const next = newRefreshToken();
    const rotation = await this.sessions.rotate(hashRefreshToken(refreshToken), next.hash, this.config.sessions.idleMinutes);
    if (rotation.outcome === 'reused') throw new UnauthorizedException(`This refresh token was used already, so the session is ended for safety; sign in again`);
    if (rotation.outcome !== 'rotated') throw new UnauthorizedException(SESSION_ENDED);
    return this.tokensFor(rotation.user, rotation.sessionId, next.token);
  }

  /**
   * Ends the session of a bearer token. An expired token still names its session (its signature
   * is checked), so signing out works after a coffee break too. Returns the user it belonged to.
   */
  async logout(authorization: string | undefined): Promise<AuthUser> {
    const claims = await this.claimsOf(authorization, { ignoreExpiration: true });
    if (!claims) throw new UnauthorizedException('Sign in first: send Authorization: Bearer <token>');
    const row = await this.users.findById(claims.sub);
    if (!row) throw new UnauthorizedException(SESSION_ENDED);
    await this.sessions.end(claims.sid, claims.sub, 'logout');
    return toAuthUser(row);
  }

  /**
   * Checks the bearer token and loads the user through its session, so that signing out,
   * disabling a user or a new password take effect at once rather than when the token expires;
   * a changed role applies to the next request the same way.
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
      return { user: null, problem: expired ? 'The token has expired; refresh it or sign in again' : 'The token is not valid; sign in again' };
    }
    const row = typeof claims.sub === 'string' && typeof claims.sid === 'string' ? await this.sessions.userOfOpenSession(claims.sid, claims.sub) : null;
    if (!row || row.disabled || row.clinicId !== claims.clinicId) {
      return { user: null, problem: 'The session has ended; sign in again' };
    }
    return { user: toAuthUser(row) };
  }

  private async claimsOf(authorization: string | undefined, options: { ignoreExpiration: boolean }): Promise<AccessTokenClaims | null> {
    const match = authorization ? BEARER.exec(authorization.trim()) : null;
    if (!match) return null;
    try {
      const claims = await this.jwt.verifyAsync<AccessTokenClaims>(match[1]!, options);
      return typeof claims.sub === 'string' && typeof claims.sid === 'string' ? claims : null;
    } catch {
      return null;
    }
  }

  private async tokensFor(row: UserRow, sessionId: string, refreshToken: string): Promise<SessionTokens> {
    const claims: AccessTokenClaims = { sub: row.id, sid: sessionId, role: row.role, clinicId: row.clinicId, clinicianId: row.clinicianId };
    return { accessToken: await this.jwt.signAsync(claims), expiresIn: this.config.jwt.expiresInSeconds, refreshToken, user: toAuthUser(row) };
  }

  /** Housekeeping off the answer's path: a failure here costs nothing but a log line's worth. */
  private sweep(userId: string): void {
    void this.sessions.forgetEnded(userId).catch(() => undefined);
    if (Date.now() - this.lastSweep < FORGET_EVERY_MS) return;
    this.lastSweep = Date.now();
    void this.failures.forgetOld(this.config.loginLockout.minutes * 2).catch(() => undefined);
  }
}

export function toAuthUser(row: UserRow): AuthUser {
  return { id: row.id, clinicId: row.clinicId, role: row.role, clinicianId: row.clinicianId, email: row.email, name: row.name };
}
