import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { inArray } from 'drizzle-orm';
import { DEMO } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { users } from '../database/schema.js';
import { hashPassword } from './passwords.js';

/**
 * Creates the demo staff (PRODUCT.md, "Demo data") where they are missing. Idempotent: an
 * existing user (by id or e-mail) is left as it is, so a changed password or a disabled demo
 * user stays that way across restarts. Returns how many users it created.
 */
export async function seedDemoUsers(db: Executor): Promise<number> {
  const emails = DEMO.users.map((u) => u.email);
  const present = new Set(
    (await db.select({ email: users.email }).from(users).where(inArray(users.email, emails))).map((r) => r.email),
  );
  const missing = DEMO.users.filter((u) => !present.has(u.email));
  if (missing.length === 0) return 0;
  // Hash only for the missing ones: argon2 is deliberately slow.
  const passwordHash = await hashPassword(DEMO.password);
  const inserted = await db
    .insert(users)
    .values(
      missing.map((u) => ({
        id: u.id,
        clinicId: DEMO.clinicId,
        email: u.email,
        name: u.name,
        role: u.role,
        clinicianId: 'clinicianId' in u ? u.clinicianId : null,
        passwordHash,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: users.id });
  return inserted.length;
}

/** Runs the seed at start-up outside production (config.seedDemo). */
@Injectable()
export class DemoUsersSeeder implements OnModuleInit {
  private readonly logger = new Logger('DemoUsersSeeder');
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.seedDemo) return;
    const created = await seedDemoUsers(this.db);
    if (created > 0) this.logger.log(`created ${created} demo users (password: the demo password of PRODUCT.md)`);
  }
}
