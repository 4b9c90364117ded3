import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gte, inArray, lt, ne } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { DaySheetAppointment, DaySheetData, DaySheetResource, RequestContext } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { ClinicService } from '../clinic/clinic.service.js';
import { appointmentResources, appointments, clinicians, patients, procedureTypes, resources } from '../database/schema.js';

/**
 * The front desk's day: every appointment of one local day of the clinic (cancelled ones left
 * out), by clinician and by room or machine, in time order.
 */
@Injectable()
export class DaySheetService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clinic: ClinicService,
  ) {}

  async daySheet(ctx: RequestContext, data: DaySheetData): Promise<DaySheetResource> {
    const clinic = await this.clinic.clinic(ctx.clinicId);
    const day = DateTime.fromISO(data.date, { zone: clinic.timezone }).startOf('day');
    if (!day.isValid) throw new DomainError('DAY_SHEET.BAD_DATE', 'date must be a date such as 2026-11-30', 400, 'date');
    // A local day is 23 or 25 hours long on a DST change: take the next local midnight.
    const from = day.toJSDate();
    const to = day.plus({ days: 1 }).startOf('day').toJSDate();

    const rows = await this.db
      .select({
        id: appointments.id,
        startsAt: appointments.startsAt,
        endsAt: appointments.endsAt,
        status: appointments.status,
        procedureType: appointments.procedureType,
        procedureName: procedureTypes.name,
        patientId: patients.id,
        firstName: patients.firstName,
        lastName: patients.lastName,
        phone: patients.phone,
        clinicianId: clinicians.id,
        clinicianName: clinicians.name,
      })
      .from(appointments)
      .innerJoin(patients, eq(patients.id, appointments.patientId))
      .innerJoin(clinicians, eq(clinicians.id, appointments.clinicianId))
      .innerJoin(procedureTypes, and(eq(procedureTypes.clinicId, appointments.clinicId), eq(procedureTypes.code, appointments.procedureType)))
      .where(and(eq(appointments.clinicId, ctx.clinicId), gte(appointments.startsAt, from), lt(appointments.startsAt, to), ne(appointments.status, 'cancelled')))
      .orderBy(asc(appointments.startsAt), asc(clinicians.name));
    const held = rows.length
      ? await this.db
          .select({ appointmentId: appointmentResources.appointmentId, id: resources.id, name: resources.name })
          .from(appointmentResources)
          .innerJoin(resources, eq(resources.id, appointmentResources.resourceId))
          .where(inArray(appointmentResources.appointmentId, rows.map((r) => r.id)))
          .orderBy(asc(resources.name))
      : [];

    const entries: DaySheetAppointment[] = rows.map((r) => ({
      id: r.id,
      startsAt: r.startsAt.toISOString(),
      endsAt: r.endsAt.toISOString(),
      status: r.status,
      procedureType: r.procedureType,
      procedureName: r.procedureName,
      patient: { id: r.patientId, name: `${r.firstName} ${r.lastName}`, phone: r.phone },
      clinician: { id: r.clinicianId, name: r.clinicianName },
      resources: held.filter((h) => h.appointmentId === r.id).map((h) => ({ id: h.id, name: h.name })),
    }));

    const active = await this.clinic.activeClinicians(ctx.clinicId);
    const allResources = (await this.clinic.listResources(ctx.clinicId)).filter((r) => r.active);
    // Everyone working, plus anyone (e.g. since deactivated) who still has appointments that day.
    const clinicianList = new Map(active.map((c) => [c.id, c.name]));
    for (const e of entries) if (!clinicianList.has(e.clinician.id)) clinicianList.set(e.clinician.id, e.clinician.name);
    return {
      date: day.toISODate()!,
      timezone: clinic.timezone,
      clinicians: [...clinicianList].map(([id, name]) => ({ id, name, appointments: entries.filter((e) => e.clinician.id === id) })),
      resources: allResources.map((r) => ({ id: r.id, name: r.name, kind: r.kind, appointments: entries.filter((e) => e.resources.some((x) => x.id === r.id)) })),
    };
  }
}
