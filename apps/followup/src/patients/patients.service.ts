import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import type { EventPayloads } from '@aftercare/contracts';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { patients } from '../database/schema.js';

/** Followup's copy of the patients it plans for (name for the due list, zone for local times). */
@Injectable()
export class PatientsService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  async upsert(tx: Executor, clinicId: string, p: EventPayloads['patient.registered']): Promise<void> {
    await tx
      .insert(patients)
      .values({ id: p.patientId, clinicId, firstName: p.firstName, lastName: p.lastName, timezone: p.timezone })
      .onConflictDoUpdate({ target: patients.id, set: { firstName: p.firstName, lastName: p.lastName, timezone: p.timezone, updatedAt: sql`now()` } });
  }

  async setSmsOptedOut(tx: Executor, patientId: string, optedOut: boolean): Promise<void> {
    await tx.update(patients).set({ smsOptedOut: optedOut }).where(eq(patients.id, patientId));
  }

  async get(id: string, db: Executor = this.db) {
    const [row] = await db.select().from(patients).where(eq(patients.id, id));
    return row ?? null;
  }
}
