import { Inject, Injectable } from '@nestjs/common';
import { and, inArray, lt, or, isNull, sql } from 'drizzle-orm';
import { DRIZZLE, type Db } from '@aftercare/database';
import { loginFailures } from '../database/schema.js';

/**
 * Failed-login counters (gateway.login_failures), shared by every gateway process. A window
 * starts at a key's first failure and lasts `minutes`; the failure that reaches the limit locks
 * the key for `minutes`. Wall time (the database's now()), not the virtual clock.
 */
@Injectable()
export class LoginFailuresRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  /** Seconds until the last of these keys' locks ends; 0 when none is locked. */
  async lockedForSeconds(keys: string[]): Promise<number> {
    const [row] = await this.db
      .select({ seconds: sql<string | null>`ceil(max(extract(epoch FROM ${loginFailures.lockedUntil} - now())))` })
      .from(loginFailures)
      .where(and(inArray(loginFailures.key, keys), sql`${loginFailures.lockedUntil} > now()`));
    return row?.seconds ? Math.max(1, Number(row.seconds)) : 0;
  }

  /** Counts one failure against the key; locks it when the count reaches `max` within the window. */
  async recordFailure(key: string, max: number, minutes: number): Promise<void> {
    const window = sql`make_interval(mins => ${minutes})`;
    const inWindow = sql`(f.window_started_at > now() - ${window})`;
    const count = sql`(CASE WHEN ${inWindow} THEN f.failures + 1 ELSE 1 END)`;
    await this.db.execute(sql`
      INSERT INTO gateway.login_failures AS f (key, failures, window_started_at, locked_until)
      VALUES (${key}, 1, now(), CASE WHEN 1 >= ${max} THEN now() + ${window} END)
      ON CONFLICT (key) DO UPDATE SET
        failures = ${count},
        window_started_at = CASE WHEN ${inWindow} THEN f.window_started_at ELSE now() END,
        locked_until = CASE WHEN ${count} >= ${max} THEN now() + ${window} END`);
  }

  /** A successful sign-in clears its e-mail address's count (not the IP address's). */
  async clear(key: string): Promise<void> {
    await this.db.delete(loginFailures).where(inArray(loginFailures.key, [key]));
  }

  /** Drops counters whose window and lock have both passed. */
  async forgetOld(minutes: number): Promise<void> {
    const before = sql`now() - make_interval(mins => ${minutes})`;
    await this.db
      .delete(loginFailures)
      .where(and(lt(loginFailures.windowStartedAt, before), or(isNull(loginFailures.lockedUntil), lt(loginFailures.lockedUntil, sql`now()`))));
  }
}
