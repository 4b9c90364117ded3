import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, lt } from 'drizzle-orm';
import type {
  ClinicianDetailResource,
  ClinicianResource,
  ClinicResourceResource,
  ClinicSettingsResource,
  ClosureResource,
  ProcedureTypeResource,
  RequestContext,
  TimeOffResource,
} from '@aftercare/contracts';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound } from '@aftercare/messaging';
import {
  clinicians,
  clinics,
  closures,
  procedureTypes,
  resources,
  timeOff,
  type ClinicianRow,
  type ClinicRow,
  type ProcedureTypeRow,
  type ResourceRow,
} from '../database/schema.js';

export const toClinicSettings = (row: ClinicRow): ClinicSettingsResource => ({
  id: row.id,
  name: row.name,
  timezone: row.timezone,
  phone: row.phone,
  email: row.email,
  openingHours: row.openingHours as ClinicSettingsResource['openingHours'],
  gridMinutes: row.gridMinutes,
});

export const toClinicianDetail = (row: ClinicianRow): ClinicianDetailResource => ({
  id: row.id,
  name: row.name,
  email: row.email,
  weeklyHours: row.weeklyHours as ClinicianDetailResource['weeklyHours'],
  active: row.active,
});

export const toResource = (row: ResourceRow): ClinicResourceResource => ({
  id: row.id,
  kind: row.kind,
  category: row.category,
  name: row.name,
  features: row.features,
  active: row.active,
});

export const toProcedureType = (row: ProcedureTypeRow): ProcedureTypeResource => ({
  code: row.code,
  name: row.name,
  durationMinutes: row.durationMinutes,
  bufferAfterMinutes: row.bufferAfterMinutes,
  requires: row.requires,
});

/** Half-open ranges [a, b) of the query, when given. */
interface Range {
  from?: Date;
  to?: Date;
}

/** Reads of the clinic's setup: hours, clinicians, closures, time off, rooms and procedure types. */
@Injectable()
export class ClinicService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  async clinic(clinicId: string, db: Executor = this.db): Promise<ClinicRow> {
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinicId));
    if (!row) throw notFound('Clinic', clinicId);
    return row;
  }

  async listClinicians(ctx: RequestContext): Promise<ClinicianResource[]> {
    return this.db
      .select({ id: clinicians.id, name: clinicians.name })
      .from(clinicians)
      .where(and(eq(clinicians.clinicId, ctx.clinicId), eq(clinicians.active, true)))
      .orderBy(asc(clinicians.name));
  }

  /** Any clinician of the clinic, active or not (admin view). */
  async clinicianDetail(ctx: RequestContext, id: string): Promise<ClinicianDetailResource> {
    const [row] = await this.db.select().from(clinicians).where(and(eq(clinicians.id, id), eq(clinicians.clinicId, ctx.clinicId)));
    if (!row) throw notFound('Clinician', id);
    return toClinicianDetail(row);
  }

  /** An active clinician, for booking. */
  async clinician(clinicId: string, id: string, db: Executor = this.db): Promise<ClinicianRow> {
    const [row] = await db.select().from(clinicians).where(and(eq(clinicians.id, id), eq(clinicians.clinicId, clinicId)));
    if (!row || !row.active) throw new DomainError('CLINICIAN.NOT_FOUND', `clinician ${id} was not found`, 404, 'clinicianId');
    return row;
  }

  async activeClinicians(clinicId: string, db: Executor = this.db): Promise<ClinicianRow[]> {
    return db.select().from(clinicians).where(and(eq(clinicians.clinicId, clinicId), eq(clinicians.active, true))).orderBy(asc(clinicians.name));
  }

  async listProcedureTypes(ctx: RequestContext): Promise<ProcedureTypeResource[]> {
    const rows = await this.db.select().from(procedureTypes).where(eq(procedureTypes.clinicId, ctx.clinicId)).orderBy(asc(procedureTypes.code));
    return rows.map(toProcedureType);
  }

  async procedureType(clinicId: string, code: string, db: Executor = this.db): Promise<ProcedureTypeResource> {
    const [row] = await db.select().from(procedureTypes).where(and(eq(procedureTypes.clinicId, clinicId), eq(procedureTypes.code, code)));
    if (!row) throw new DomainError('PROCEDURE_TYPE.UNKNOWN', `procedureType "${code}" is not a procedure type of this clinic`, 400, 'procedureType');
    return toProcedureType(row);
  }

  async listResources(clinicId: string, db: Executor = this.db): Promise<ClinicResourceResource[]> {
    const rows = await db.select().from(resources).where(eq(resources.clinicId, clinicId)).orderBy(asc(resources.kind), asc(resources.name));
    return rows.map(toResource);
  }

  async closures(clinicId: string, range: Range, db: Executor = this.db): Promise<ClosureResource[]> {
    const rows = await db
      .select()
      .from(closures)
      .where(and(eq(closures.clinicId, clinicId), range.to ? lt(closures.startsAt, range.to) : undefined, range.from ? gt(closures.endsAt, range.from) : undefined))
      .orderBy(asc(closures.startsAt));
    return rows.map((r) => ({ id: r.id, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString(), reason: r.reason }));
  }

  async timeOff(clinicId: string, range: Range & { clinicianId?: string }, db: Executor = this.db): Promise<TimeOffResource[]> {
    const rows = await db
      .select()
      .from(timeOff)
      .where(
        and(
          eq(timeOff.clinicId, clinicId),
          range.clinicianId ? eq(timeOff.clinicianId, range.clinicianId) : undefined,
          range.to ? lt(timeOff.startsAt, range.to) : undefined,
          range.from ? gt(timeOff.endsAt, range.from) : undefined,
        ),
      )
      .orderBy(asc(timeOff.startsAt));
    return rows.map((r) => ({ id: r.id, clinicianId: r.clinicianId, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString(), reason: r.reason }));
  }
}
