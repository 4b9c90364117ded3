import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, inArray, lt, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type {
  ClinicianDetailResource,
  ClinicResourceResource,
  ClinicSettingsResource,
  ClosureResource,
  CreateClinicianData,
  CreateClosureData,
  CreateProcedureTypeData,
  CreateResourceData,
  CreateTimeOffData,
  ProcedureTypeResource,
  RequestContext,
  ResourceRequirement,
  TimeOffResource,
  UpdateClinicData,
  UpdateClinicianData,
  UpdateProcedureTypeData,
  UpdateResourceData,
  WeeklyHoursData,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { ACTIVE_STATUSES } from '../availability/availability.service.js';
import { validateWeeklyHours, type WeeklyHours } from '../availability/slot-search.js';
import { appointments, clinicians, clinics, closures, procedureTypes, resources, timeOff } from '../database/schema.js';
import { ClinicService, toClinicianDetail, toClinicSettings, toProcedureType, toResource } from './clinic.service.js';

/** What a change of hours or a day off collides with: appointments the front desk must move. */
export interface WithConflicts<T> {
  conflictingAppointmentIds: string[];
  value: T;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505';

function checkHours(hours: WeeklyHoursData, field: string): WeeklyHours {
  const problems = validateWeeklyHours(hours as WeeklyHours);
  if (problems.length) throw new DomainError('HOURS.INVALID', `${field}: ${problems.join('; ')}`, 400, field);
  return hours as WeeklyHours;
}

function checkRange(startsAt: Date, endsAt: Date): void {
  if (!(endsAt > startsAt)) throw new DomainError('RANGE.INVALID', 'endsAt must be after startsAt', 400, 'endsAt');
}

/** The admin's changes to the clinic's setup. Reads live in ClinicService. */
@Injectable()
export class ClinicSetupService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clinic: ClinicService,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async updateClinic(ctx: RequestContext, data: UpdateClinicData): Promise<ClinicSettingsResource> {
    if (data.openingHours) checkHours(data.openingHours, 'openingHours');
    return this.db.transaction(async (tx) => {
      // The row locked before it is read: two admins saving different fields at once each keep
      // theirs (the second merges into what the first wrote, not into what both read).
      await tx.select({ id: clinics.id }).from(clinics).where(eq(clinics.id, ctx.clinicId)).for('update');
      const current = await this.clinic.clinic(ctx.clinicId, tx);
      const [row] = await tx
        .update(clinics)
        .set({
          name: data.name ?? current.name,
          timezone: data.timezone ?? current.timezone,
          phone: data.phone ?? current.phone,
          email: data.email === undefined ? current.email : data.email,
          openingHours: (data.openingHours as WeeklyHours | undefined) ?? current.openingHours,
          gridMinutes: data.gridMinutes ?? current.gridMinutes,
        })
        .where(eq(clinics.id, ctx.clinicId))
        .returning();
      const r = row!;
      // The other services keep a copy of what messages show (name, phone, zone).
      if (r.name !== current.name || r.timezone !== current.timezone || r.phone !== current.phone || r.email !== current.email) {
        await this.outbox.publish(
          tx,
          'clinic.upserted',
          { clinicId: r.id, name: r.name, phone: r.phone, email: r.email, timezone: r.timezone },
          { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
        );
      }
      return toClinicSettings(r);
    });
  }

  async createClosure(ctx: RequestContext, data: CreateClosureData): Promise<WithConflicts<ClosureResource>> {
    const clinic = await this.clinic.clinic(ctx.clinicId);
    const { startsAt, endsAt } = closureRange(data, clinic.timezone);
    const [row] = await this.db
      .insert(closures)
      .values({ id: randomUUID(), clinicId: ctx.clinicId, startsAt, endsAt, reason: data.reason })
      .returning();
    const conflicts = await this.conflicts(ctx.clinicId, startsAt, endsAt);
    return {
      value: { id: row!.id, startsAt: row!.startsAt.toISOString(), endsAt: row!.endsAt.toISOString(), reason: row!.reason },
      conflictingAppointmentIds: conflicts,
    };
  }

  async deleteClosure(ctx: RequestContext, id: string): Promise<{ deleted: true }> {
    const deleted = await this.db.delete(closures).where(and(eq(closures.id, id), eq(closures.clinicId, ctx.clinicId))).returning({ id: closures.id });
    if (deleted.length === 0) throw notFound('Closure', id);
    return { deleted: true };
  }

  async createClinician(ctx: RequestContext, data: CreateClinicianData): Promise<ClinicianDetailResource> {
    const hours = checkHours(data.weeklyHours, 'weeklyHours');
    const [row] = await this.db
      .insert(clinicians)
      .values({ id: randomUUID(), clinicId: ctx.clinicId, name: data.name, email: data.email ?? null, weeklyHours: hours })
      .returning();
    return toClinicianDetail(row!);
  }

  async updateClinician(ctx: RequestContext, data: UpdateClinicianData): Promise<WithConflicts<ClinicianDetailResource>> {
    const hours = data.weeklyHours ? checkHours(data.weeklyHours, 'weeklyHours') : undefined;
    const set: Partial<typeof clinicians.$inferInsert> = {};
    if (data.name !== undefined) set.name = data.name;
    if (data.email !== undefined) set.email = data.email;
    if (hours) set.weeklyHours = hours;
    if (data.active !== undefined) set.active = data.active;
    return this.db.transaction(async (tx) => {
      const where = and(eq(clinicians.id, data.id), eq(clinicians.clinicId, ctx.clinicId));
      const [row] = Object.keys(set).length ? await tx.update(clinicians).set(set).where(where).returning() : await tx.select().from(clinicians).where(where);
      if (!row) throw notFound('Clinician', data.id);
      // Appointments already booked stay; the front desk sees which future ones a deactivation
      // leaves without a clinician. (Hours changes do not move booked appointments either.)
      const conflicts = data.active === false ? await this.conflicts(ctx.clinicId, this.clock.now(), null, row.id, tx) : [];
      return { value: toClinicianDetail(row), conflictingAppointmentIds: conflicts };
    });
  }

  async createTimeOff(ctx: RequestContext, data: CreateTimeOffData): Promise<WithConflicts<TimeOffResource>> {
    const startsAt = new Date(data.startsAt);
    const endsAt = new Date(data.endsAt);
    checkRange(startsAt, endsAt);
    await this.clinic.clinician(ctx.clinicId, data.clinicianId);
    const [row] = await this.db
      .insert(timeOff)
      .values({ id: randomUUID(), clinicId: ctx.clinicId, clinicianId: data.clinicianId, startsAt, endsAt, reason: data.reason ?? null })
      .returning();
    return {
      value: { id: row!.id, clinicianId: row!.clinicianId, startsAt: row!.startsAt.toISOString(), endsAt: row!.endsAt.toISOString(), reason: row!.reason },
      conflictingAppointmentIds: await this.conflicts(ctx.clinicId, startsAt, endsAt, data.clinicianId),
    };
  }

  async deleteTimeOff(ctx: RequestContext, id: string): Promise<{ deleted: true }> {
    const deleted = await this.db.delete(timeOff).where(and(eq(timeOff.id, id), eq(timeOff.clinicId, ctx.clinicId))).returning({ id: timeOff.id });
    if (deleted.length === 0) throw notFound('Time off', id);
    return { deleted: true };
  }

  async createResource(ctx: RequestContext, data: CreateResourceData): Promise<ClinicResourceResource> {
    const [row] = await this.db
      .insert(resources)
      .values({ id: randomUUID(), clinicId: ctx.clinicId, kind: data.kind, category: data.category, name: data.name, features: uniqueSorted(data.features ?? []) })
      .returning();
    return toResource(row!);
  }

  async updateResource(ctx: RequestContext, data: UpdateResourceData): Promise<ClinicResourceResource> {
    const set: Partial<typeof resources.$inferInsert> = {};
    if (data.name !== undefined) set.name = data.name;
    if (data.features !== undefined) set.features = uniqueSorted(data.features);
    if (data.active !== undefined) set.active = data.active;
    const where = and(eq(resources.id, data.id), eq(resources.clinicId, ctx.clinicId));
    const [row] = Object.keys(set).length ? await this.db.update(resources).set(set).where(where).returning() : await this.db.select().from(resources).where(where);
    if (!row) throw notFound('Resource', data.id);
    return toResource(row);
  }

  async createProcedureType(ctx: RequestContext, data: CreateProcedureTypeData): Promise<ProcedureTypeResource> {
    const requires = await this.checkRequirements(ctx.clinicId, data.requires ?? []);
    try {
      const [row] = await this.db
        .insert(procedureTypes)
        .values({
          clinicId: ctx.clinicId,
          code: data.code,
          name: data.name,
          durationMinutes: data.durationMinutes,
          bufferAfterMinutes: data.bufferAfterMinutes ?? 0,
          requires,
        })
        .returning();
      return toProcedureType(row!);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('PROCEDURE_TYPE.EXISTS', `procedure type "${data.code}" already exists; change it with PATCH`, 409, 'code');
      throw error;
    }
  }

  async updateProcedureType(ctx: RequestContext, data: UpdateProcedureTypeData): Promise<ProcedureTypeResource> {
    const set: Partial<typeof procedureTypes.$inferInsert> = {};
    if (data.name !== undefined) set.name = data.name;
    if (data.durationMinutes !== undefined) set.durationMinutes = data.durationMinutes;
    if (data.bufferAfterMinutes !== undefined) set.bufferAfterMinutes = data.bufferAfterMinutes;
    if (data.requires !== undefined) set.requires = await this.checkRequirements(ctx.clinicId, data.requires);
    const where = and(eq(procedureTypes.clinicId, ctx.clinicId), eq(procedureTypes.code, data.code));
    const [row] = Object.keys(set).length
      ? await this.db.update(procedureTypes).set(set).where(where).returning()
      : await this.db.select().from(procedureTypes).where(where);
    if (!row) throw notFound('Procedure type', data.code);
    return toProcedureType(row);
  }

  /** A requirement no active resource can meet would make the procedure unbookable: refuse it. */
  private async checkRequirements(clinicId: string, requires: ResourceRequirement[]): Promise<ResourceRequirement[]> {
    const available = (await this.clinic.listResources(clinicId)).filter((r) => r.active);
    return requires.map((req, i) => {
      const features = uniqueSorted(req.features ?? []);
      if (!available.some((r) => r.category === req.category && features.every((f) => r.features.includes(f)))) {
        throw new DomainError(
          'PROCEDURE_TYPE.NO_RESOURCE',
          `requires[${i}]: no active resource of category "${req.category}"${features.length ? ` with ${features.join(', ')}` : ''}; add it under /api/resources first`,
          400,
          `requires[${i}].category`,
        );
      }
      return features.length ? { category: req.category, features } : { category: req.category };
    });
  }

  /** Active appointments overlapping [from, to) (to null: open-ended), of one clinician or the whole clinic. */
  private async conflicts(clinicId: string, from: Date, to: Date | null, clinicianId?: string, db: Executor = this.db): Promise<string[]> {
    const where: SQL[] = [eq(appointments.clinicId, clinicId), inArray(appointments.status, [...ACTIVE_STATUSES]), gt(appointments.blocksUntil, from)];
    if (to) where.push(lt(appointments.startsAt, to));
    if (clinicianId) where.push(eq(appointments.clinicianId, clinicianId));
    const rows = await db.select({ id: appointments.id }).from(appointments).where(and(...where)).orderBy(appointments.startsAt);
    return rows.map((r) => r.id);
  }
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** A closure's instants: the given range, or whole local days in the clinic's zone. */
export function closureRange(data: CreateClosureData, timezone: string): { startsAt: Date; endsAt: Date } {
  if (data.date) {
    const first = DateTime.fromISO(data.date, { zone: timezone }).startOf('day');
    const last = DateTime.fromISO(data.throughDate ?? data.date, { zone: timezone }).startOf('day');
    if (!first.isValid) throw new DomainError('RANGE.INVALID', 'date must be a date such as 2026-12-25', 400, 'date');
    if (!last.isValid || last < first) throw new DomainError('RANGE.INVALID', 'throughDate must be on or after date', 400, 'throughDate');
    // The next local midnight, whatever the day's length (23 or 25 hours on a DST change).
    return { startsAt: first.toJSDate(), endsAt: last.plus({ days: 1 }).startOf('day').toJSDate() };
  }
  if (!data.startsAt || !data.endsAt) {
    throw new DomainError('RANGE.REQUIRED', 'give either date (whole days) or startsAt and endsAt', 400, data.startsAt ? 'endsAt' : 'startsAt');
  }
  const startsAt = new Date(data.startsAt);
  const endsAt = new Date(data.endsAt);
  checkRange(startsAt, endsAt);
  return { startsAt, endsAt };
}
