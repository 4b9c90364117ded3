import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, sql } from 'drizzle-orm';
import { DRIZZLE, type Db } from '@aftercare/database';
import { endSessionsOfUser } from '../auth/sessions.repository.js';
import { users, type SessionEndReason, type UserRow } from '../database/schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class UsersRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  /** E-mails are stored lower-cased, so the lookup is case-insensitive. */
  async findByEmail(email: string): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1);
    return row ?? null;
  }

  async findById(id: string): Promise<UserRow | null> {
    // A token's subject is only trusted after signature checks, but a malformed id would still
    // make PostgreSQL throw on the uuid cast; it simply matches nobody.
    if (!UUID.test(id)) return null;
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return row ?? null;
  }

  /** One user of the clinic; another clinic's user is nobody here. */
  async findInClinic(clinicId: string, id: string): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(and(eq(users.id, id), eq(users.clinicId, clinicId))).limit(1);
    return row ?? null;
  }

  /** The clinic's staff, by name as people read it (case aside), e-mail for equal names. */
  listByClinic(clinicId: string): Promise<UserRow[]> {
    return this.db.select().from(users).where(eq(users.clinicId, clinicId)).orderBy(asc(sql`lower(${users.name})`), asc(users.email));
  }

  /** The new user, or null when the e-mail is taken (the unique key decides, so two at once cannot both win). */
  async insert(values: typeof users.$inferInsert): Promise<UserRow | null> {
    const [row] = await this.db.insert(users).values(values).onConflictDoNothing({ target: users.email }).returning();
    return row ?? null;
  }

  /** With `endSessions`, the user's open sessions end in the same transaction (disabling, a new password). */
  async update(
    clinicId: string,
    id: string,
    set: Partial<Pick<UserRow, 'name' | 'role' | 'clinicianId' | 'disabled' | 'passwordHash'>>,
    endSessions?: SessionEndReason,
  ): Promise<UserRow | null> {
    const where = and(eq(users.id, id), eq(users.clinicId, clinicId));
    if (!endSessions) {
      const [row] = await this.db.update(users).set(set).where(where).returning();
      return row ?? null;
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(users).set(set).where(where).returning();
      if (row) await endSessionsOfUser(tx, row.id, endSessions);
      return row ?? null;
    });
  }
}
