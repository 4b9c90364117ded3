import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { refreshTokens, sessions, users, type SessionEndReason, type UserRow } from '../database/schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What presenting a refresh token led to. */
export type Rotation =
  | { outcome: 'rotated'; sessionId: string; user: UserRow }
  /** A token of the session that had been used already: a copy. The session is ended. */
  | { outcome: 'reused' }
  /** The session has ended (signed out, idle too long, past its lifetime, user disabled). */
  | { outcome: 'ended' }
  /** No such token. */
  | { outcome: 'unknown' };

/**
 * Sign-in sessions and their refresh tokens (gateway.sessions, gateway.refresh_tokens). Every
 * time comparison is the database's now(): sessions run on wall time, like the tokens' `exp`.
 */
@Injectable()
export class SessionsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  /** A new session for the user, with its first refresh token (the hash); returns its id. */
  async open(userId: string, refreshHash: string, maxHours: number): Promise<string> {
    const id = randomUUID();
    await this.db.execute(sql`
      WITH opened AS (
        INSERT INTO gateway.sessions (id, user_id, expires_at) VALUES (${id}, ${userId}, now() + make_interval(hours => ${maxHours}))
        RETURNING id
      )
      INSERT INTO gateway.refresh_tokens (token_hash, session_id) SELECT ${refreshHash}, id FROM opened`);
    return id;
  }

  /**
   * The user of an open session, checked on every request (one primary-key join, in place of
   * the user lookup the guard made anyway): a revoked session's access tokens stop at once.
   */
  async userOfOpenSession(sessionId: string, userId: string): Promise<UserRow | null> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
    const [row] = await this.db
      .select({ user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
      .limit(1);
    return row?.user ?? null;
  }

  /**
   * Exchanges a refresh token for the next one (`nextHash`), once: the token is marked used in
   * the same statement that finds it, so two refreshes with one token cannot both succeed. (A
   * sign-out landing between the check and the insert leaves the new token on an ended
   * session, which refuses it: no lock needed.)
   */
  rotate(presentedHash: string, nextHash: string, idleMinutes: number): Promise<Rotation> {
    return this.db.transaction(async (tx): Promise<Rotation> => {
      const [current] = await tx
        .update(refreshTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(refreshTokens.tokenHash, presentedHash), isNull(refreshTokens.usedAt)))
        .returning({ sessionId: refreshTokens.sessionId });
      if (!current) {
        const [old] = await tx.select({ sessionId: refreshTokens.sessionId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, presentedHash)).limit(1);
        if (!old) return { outcome: 'unknown' };
        await revoke(tx, eq(sessions.id, old.sessionId), 'refresh_reuse');
        return { outcome: 'reused' };
      }
      const [row] = await tx
        .select({
          user: users,
          open: sql<boolean>`(${sessions.revokedAt} IS NULL AND ${sessions.expiresAt} > now() AND ${sessions.refreshedAt} > now() - make_interval(mins => ${idleMinutes}))`,
        })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, current.sessionId))
        .limit(1);
      if (!row || !row.open || row.user.disabled) return { outcome: 'ended' };
      await tx.insert(refreshTokens).values({ tokenHash: nextHash, sessionId: current.sessionId });
      await tx.update(sessions).set({ refreshedAt: sql`now()` }).where(eq(sessions.id, current.sessionId));
      return { outcome: 'rotated', sessionId: current.sessionId, user: row.user };
    });
  }

  /** Ends one session of the user (sign-out); true when it was open. */
  async end(sessionId: string, userId: string, reason: SessionEndReason): Promise<boolean> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return false;
    return (await revoke(this.db, and(eq(sessions.id, sessionId), eq(sessions.userId, userId))!, reason)) > 0;
  }

  /** Drops the user's sessions that ended more than a day ago (their rows go with them). */
  async forgetEnded(userId: string): Promise<void> {
    const dayAgo = sql`now() - interval '1 day'`;
    await this.db.delete(sessions).where(and(eq(sessions.userId, userId), or(lt(sessions.revokedAt, dayAgo), lt(sessions.expiresAt, dayAgo))));
  }
}

/** Ends every open session of a user, in the caller's transaction (disabling, a new password). */
export function endSessionsOfUser(executor: Executor, userId: string, reason: SessionEndReason): Promise<number> {
  return revoke(executor, eq(sessions.userId, userId), reason);
}

async function revoke(executor: Executor, which: SQL, reason: SessionEndReason): Promise<number> {
  const ended = await executor
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(which, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return ended.length;
}
