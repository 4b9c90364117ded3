import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, ilike, or } from 'drizzle-orm';
import type { CreatePatientData, PatientResource, RequestContext } from '@aftercare/contracts';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { patients, type PatientRow } from '../database/schema.js';

export const toPatientResource = (row: PatientRow): PatientResource => ({
  id: row.id,
  firstName: row.firstName,
  lastName: row.lastName,
  phone: row.phone,
  email: row.email,
  timezone: row.timezone,
  preferredChannel: row.preferredChannel,
  smsConsent: row.smsConsent,
  smsOptedOut: row.smsOptedOut,
  createdAt: row.createdAt.toISOString(),
});

@Injectable()
export class PatientsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(ctx: RequestContext, data: CreatePatientData): Promise<PatientResource> {
    if (data.preferredChannel !== 'sms' && !data.email) {
      throw new DomainError('PATIENT.EMAIL_REQUIRED', `email is required when preferredChannel is ${data.preferredChannel}`, 400, 'email');
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(patients)
        .values({
          id: randomUUID(),
          clinicId: ctx.clinicId,
          firstName: data.firstName.trim(),
          lastName: data.lastName.trim(),
          phone: data.phone,
          email: data.email?.toLowerCase() ?? null,
          timezone: data.timezone,
          preferredChannel: data.preferredChannel,
          smsConsent: data.smsConsent,
        })
        .returning();
      await this.outbox.publish(
        tx,
        'patient.registered',
        {
          patientId: row!.id,
          firstName: row!.firstName,
          lastName: row!.lastName,
          phone: row!.phone,
          email: row!.email,
          timezone: row!.timezone,
          preferredChannel: row!.preferredChannel,
          smsConsent: row!.smsConsent,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toPatientResource(row!);
    });
  }

  async list(ctx: RequestContext, query?: string): Promise<PatientResource[]> {
    const q = query?.trim();
    const match = q
      ? or(
          ilike(patients.firstName, `%${escapeLike(q)}%`),
          ilike(patients.lastName, `%${escapeLike(q)}%`),
          ilike(patients.phone, `%${escapeLike(q.replace(/[\s()-]/g, ''))}%`),
          ilike(patients.email, `%${escapeLike(q)}%`),
        )
      : undefined;
    const rows = await this.db
      .select()
      .from(patients)
      .where(and(eq(patients.clinicId, ctx.clinicId), match))
      .orderBy(asc(patients.lastName), asc(patients.firstName))
      .limit(200);
    return rows.map(toPatientResource);
  }

  async get(ctx: RequestContext, id: string, db: Executor = this.db): Promise<PatientRow> {
    const [row] = await db.select().from(patients).where(and(eq(patients.id, id), eq(patients.clinicId, ctx.clinicId)));
    if (!row) throw notFound('Patient', id);
    return row;
  }

  async setSmsOptedOut(tx: Executor, clinicId: string, patientId: string, optedOut: boolean): Promise<void> {
    await tx.update(patients).set({ smsOptedOut: optedOut }).where(and(eq(patients.id, patientId), eq(patients.clinicId, clinicId)));
  }
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
