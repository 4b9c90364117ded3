import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { DRIZZLE, type Db } from '@aftercare/database';
import { users, type UserRow } from '../database/schema.js';

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
}
