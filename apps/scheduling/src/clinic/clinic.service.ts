import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq } from 'drizzle-orm';
import type { ClinicianResource, ProcedureTypeResource, RequestContext } from '@aftercare/contracts';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound } from '@aftercare/messaging';
import { clinicians, clinics, procedureTypes, type ClinicianRow, type ClinicRow } from '../database/schema.js';

/** The clinic's settings: its clinicians, hours and procedure types. */
@Injectable()
export class ClinicService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  async clinic(clinicId: string, db: Executor = this.db): Promise<ClinicRow> {
    const [row] = await db.select().from(clinics).where(eq(clinics.id, clinicId));
    if (!row) throw notFound('Clinic', clinicId);
    return row;
  }

  async listClinicians(ctx: RequestContext): Promise<ClinicianResource[]> {
    const rows = await this.db
      .select({ id: clinicians.id, name: clinicians.name })
      .from(clinicians)
      .where(and(eq(clinicians.clinicId, ctx.clinicId), eq(clinicians.active, true)))
      .orderBy(asc(clinicians.name));
    return rows;
  }

  async clinician(clinicId: string, id: string, db: Executor = this.db): Promise<ClinicianRow> {
    const [row] = await db.select().from(clinicians).where(and(eq(clinicians.id, id), eq(clinicians.clinicId, clinicId)));
    if (!row || !row.active) throw new DomainError('CLINICIAN.NOT_FOUND', `clinician ${id} was not found`, 404, 'clinicianId');
    return row;
  }

  async activeClinicians(clinicId: string): Promise<ClinicianRow[]> {
    return this.db.select().from(clinicians).where(and(eq(clinicians.clinicId, clinicId), eq(clinicians.active, true)));
  }

  async listProcedureTypes(ctx: RequestContext): Promise<ProcedureTypeResource[]> {
    return this.db
      .select({
        code: procedureTypes.code,
        name: procedureTypes.name,
        durationMinutes: procedureTypes.durationMinutes,
        bufferAfterMinutes: procedureTypes.bufferAfterMinutes,
      })
      .from(procedureTypes)
      .where(eq(procedureTypes.clinicId, ctx.clinicId))
      .orderBy(asc(procedureTypes.code));
  }

  async procedureType(clinicId: string, code: string, db: Executor = this.db): Promise<ProcedureTypeResource> {
    const [row] = await db.select().from(procedureTypes).where(and(eq(procedureTypes.clinicId, clinicId), eq(procedureTypes.code, code)));
    if (!row) throw new DomainError('PROCEDURE_TYPE.UNKNOWN', `procedureType "${code}" is not a procedure type of this clinic`, 400, 'procedureType');
    return row;
  }
}
