import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type {
  AppointmentResource,
  BookAppointmentData,
  BookInWindowData,
  CancelData,
  CompleteData,
  ListAppointmentsData,
  RequestContext,
  RescheduleData,
  AppointmentStatus,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { AvailabilityService } from '../availability/availability.service.js';
import { ClinicService } from '../clinic/clinic.service.js';
import { appointments, type AppointmentRow } from '../database/schema.js';
import { PatientsService } from '../patients/patients.service.js';

export const toAppointmentResource = (row: AppointmentRow): AppointmentResource => ({
  id: row.id,
  patientId: row.patientId,
  clinicianId: row.clinicianId,
  procedureType: row.procedureType,
  startsAt: row.startsAt.toISOString(),
  endsAt: row.endsAt.toISOString(),
  status: row.status,
  notes: row.notes,
  site: row.site,
  completedAt: row.completedAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

const slotTaken = () => new DomainError('APPOINTMENT.SLOT_TAKEN', 'That time is no longer free for this clinician or patient; pick another slot', 409, 'startsAt');

/** PostgreSQL's answer when an exclusion constraint (the double-booking guard) refuses a row. */
const isOverlap = (error: unknown) => (error as { code?: string }).code === '23P01' || (error as { cause?: { code?: string } }).cause?.code === '23P01';
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505';

const ACTIVE: AppointmentStatus[] = ['booked', 'confirmed', 'checked_in'];
/** How far ahead a booking may be made: further is a typing error, not a plan. */
const BOOKING_HORIZON_DAYS = 400;

@Injectable()
export class AppointmentsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly clinic: ClinicService,
    private readonly patients: PatientsService,
    private readonly availability: AvailabilityService,
  ) {}

  async book(ctx: RequestContext, data: BookAppointmentData, bookedByCarePlan = false): Promise<AppointmentResource> {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([data.patientId, data.clinicianId, data.procedureType, new Date(data.startsAt).toISOString()]))
      .digest('hex');
    if (data.idempotencyKey) {
      const replay = await this.byIdempotencyKey(ctx.clinicId, data.idempotencyKey, fingerprint);
      if (replay) return replay;
    }
    const startsAt = new Date(data.startsAt);
    await this.patients.get(ctx, data.patientId);
    const clinician = await this.clinic.clinician(ctx.clinicId, data.clinicianId);
    const type = await this.clinic.procedureType(ctx.clinicId, data.procedureType);
    this.assertBookable(startsAt);

    // The slot must be one the clinic offers (hours, grid); overlap is left to the database.
    const offered = await this.availability.find({
      clinicId: ctx.clinicId,
      procedureType: data.procedureType,
      clinicianIds: [data.clinicianId],
      from: startsAt,
      to: new Date(startsAt.getTime() + 60_000),
      limit: 1,
    });
    if (offered.length === 0 || offered[0]!.startsAt.getTime() !== startsAt.getTime()) {
      // Either outside hours/grid or overlapping an existing booking: tell which.
      const overlapping = await this.overlaps(data.clinicianId, data.patientId, startsAt, type.durationMinutes, type.bufferAfterMinutes);
      if (overlapping) throw slotTaken();
      throw new DomainError('APPOINTMENT.NOT_OFFERED', 'startsAt is not a bookable slot (outside clinic or clinician hours, or off the booking grid); see GET /api/availability', 422, 'startsAt');
    }

    const endsAt = new Date(startsAt.getTime() + type.durationMinutes * 60_000);
    const blocksUntil = new Date(endsAt.getTime() + type.bufferAfterMinutes * 60_000);
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(appointments)
          .values({
            id: randomUUID(),
            clinicId: ctx.clinicId,
            patientId: data.patientId,
            clinicianId: data.clinicianId,
            procedureType: data.procedureType,
            startsAt,
            endsAt,
            blocksUntil,
            status: 'booked',
            notes: data.notes ?? null,
            idempotencyKey: data.idempotencyKey ?? null,
            requestFingerprint: fingerprint,
            bookedByCarePlan,
          })
          .returning();
        await this.outbox.publish(
          tx,
          'appointment.booked',
          {
            appointmentId: row!.id,
            patientId: row!.patientId,
            clinicianId: row!.clinicianId,
            clinicianName: clinician.name,
            procedureType: row!.procedureType,
            startsAt: row!.startsAt.toISOString(),
            endsAt: row!.endsAt.toISOString(),
            sequence: row!.sequence,
            bookedByCarePlan,
          },
          { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
        );
        return toAppointmentResource(row!);
      });
    } catch (error) {
      if (isOverlap(error)) throw slotTaken();
      if (isUniqueViolation(error) && data.idempotencyKey) {
        const replay = await this.byIdempotencyKey(ctx.clinicId, data.idempotencyKey, fingerprint);
        if (replay) return replay;
      }
      throw error;
    }
  }

  /** The care plan's follow-up visit: the first free slot of the window, or null. */
  async bookInWindow(ctx: RequestContext, data: BookInWindowData): Promise<{ appointment: AppointmentResource | null }> {
    const key = `care-plan:${data.idempotencyKey}`;
    const [existing] = await this.db.select().from(appointments).where(and(eq(appointments.clinicId, ctx.clinicId), eq(appointments.idempotencyKey, key)));
    if (existing) return { appointment: toAppointmentResource(existing) };
    const now = this.clock.now();
    const from = new Date(Math.max(new Date(data.windowStart).getTime(), now.getTime()));
    const to = new Date(data.windowEnd);
    if (from >= to) return { appointment: null };
    // A slot can go between search and insert; then the next one is tried.
    for (let attempt = 0; attempt < 5; attempt++) {
      const slots = await this.availability.find({
        clinicId: ctx.clinicId,
        procedureType: data.procedureType,
        clinicianIds: [data.clinicianId],
        patientId: data.patientId,
        from,
        to,
        limit: 5,
      });
      for (const slot of slots) {
        try {
          const appointment = await this.book(
            ctx,
            {
              patientId: data.patientId,
              clinicianId: data.clinicianId,
              procedureType: data.procedureType,
              startsAt: slot.startsAt.toISOString(),
              idempotencyKey: key,
            },
            true,
          );
          return { appointment };
        } catch (error) {
          if (!(error instanceof DomainError && error.code === 'APPOINTMENT.SLOT_TAKEN')) throw error;
        }
      }
      if (slots.length === 0) break;
    }
    return { appointment: null };
  }

  async list(ctx: RequestContext, data: ListAppointmentsData): Promise<AppointmentResource[]> {
    const where: SQL[] = [eq(appointments.clinicId, ctx.clinicId)];
    if (data.from) where.push(gte(appointments.startsAt, new Date(data.from)));
    if (data.to) where.push(lt(appointments.startsAt, new Date(data.to)));
    if (data.clinicianId) where.push(eq(appointments.clinicianId, data.clinicianId));
    if (data.patientId) where.push(eq(appointments.patientId, data.patientId));
    const rows = await this.db.select().from(appointments).where(and(...where)).orderBy(asc(appointments.startsAt)).limit(1000);
    return rows.map(toAppointmentResource);
  }

  async get(ctx: RequestContext, id: string, db: Executor = this.db, lock = false): Promise<AppointmentRow> {
    const query = db.select().from(appointments).where(and(eq(appointments.id, id), eq(appointments.clinicId, ctx.clinicId)));
    const [row] = lock ? await query.for('update') : await query;
    if (!row) throw notFound('Appointment', id);
    return row;
  }

  async complete(ctx: RequestContext, data: CompleteData): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, data.id, tx, true);
      if (row.status === 'completed') return toAppointmentResource(row); // a second click changes nothing
      this.assertActive(row, 'complete');
      const now = this.clock.now();
      if (row.startsAt > now) {
        throw new DomainError('APPOINTMENT.NOT_STARTED', 'An appointment can be completed only once it has started', 409);
      }
      const [updated] = await tx
        .update(appointments)
        .set({ status: 'completed', completedAt: now, site: data.site ?? row.site, notes: data.notes ?? row.notes, updatedAt: now })
        .where(eq(appointments.id, row.id))
        .returning();
      await this.outbox.publish(
        tx,
        'procedure.completed',
        {
          appointmentId: row.id,
          patientId: row.patientId,
          clinicianId: row.clinicianId,
          procedureType: row.procedureType,
          completedAt: now.toISOString(),
          site: updated!.site,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated!);
    });
  }

  async cancel(ctx: RequestContext, data: CancelData): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, data.id, tx, true);
      if (row.status === 'cancelled') return toAppointmentResource(row);
      this.assertActive(row, 'cancel');
      const now = this.clock.now();
      const [updated] = await tx
        .update(appointments)
        .set({ status: 'cancelled', cancelledAt: now, cancelReason: data.reason ?? null, sequence: row.sequence + 1, updatedAt: now })
        .where(eq(appointments.id, row.id))
        .returning();
      await this.outbox.publish(
        tx,
        'appointment.cancelled',
        { appointmentId: row.id, patientId: row.patientId, reason: data.reason ?? null, sequence: updated!.sequence },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated!);
    });
  }

  async reschedule(ctx: RequestContext, data: RescheduleData): Promise<AppointmentResource> {
    const current = await this.get(ctx, data.id);
    this.assertActive(current, 'reschedule');
    const startsAt = new Date(data.startsAt);
    this.assertBookable(startsAt);
    const type = await this.clinic.procedureType(ctx.clinicId, current.procedureType);
    const clinician = await this.clinic.clinician(ctx.clinicId, current.clinicianId);
    const offered = await this.availability.find({
      clinicId: ctx.clinicId,
      procedureType: current.procedureType,
      clinicianIds: [current.clinicianId],
      from: startsAt,
      to: new Date(startsAt.getTime() + 60_000),
      limit: 1,
    });
    // The appointment's own current time blocks the search; a move within it is checked by the database.
    const offeredHere = offered.length > 0 && offered[0]!.startsAt.getTime() === startsAt.getTime();
    const endsAt = new Date(startsAt.getTime() + type.durationMinutes * 60_000);
    const overlapsItself = startsAt < current.blocksUntil && endsAt > current.startsAt;
    if (!offeredHere && !overlapsItself) {
      const overlapping = await this.overlaps(current.clinicianId, current.patientId, startsAt, type.durationMinutes, type.bufferAfterMinutes);
      if (overlapping) throw slotTaken();
      throw new DomainError('APPOINTMENT.NOT_OFFERED', 'startsAt is not a bookable slot (outside hours or off the booking grid)', 422, 'startsAt');
    }
    try {
      return await this.db.transaction(async (tx) => {
        const row = await this.get(ctx, data.id, tx, true);
        this.assertActive(row, 'reschedule');
        const [updated] = await tx
          .update(appointments)
          .set({
            startsAt,
            endsAt,
            blocksUntil: new Date(endsAt.getTime() + type.bufferAfterMinutes * 60_000),
            status: 'booked',
            sequence: row.sequence + 1,
            updatedAt: this.clock.now(),
          })
          .where(eq(appointments.id, row.id))
          .returning();
        await this.outbox.publish(
          tx,
          'appointment.rescheduled',
          {
            appointmentId: row.id,
            patientId: row.patientId,
            clinicianId: row.clinicianId,
            clinicianName: clinician.name,
            procedureType: row.procedureType,
            startsAt: updated!.startsAt.toISOString(),
            endsAt: updated!.endsAt.toISOString(),
            sequence: updated!.sequence,
          },
          { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
        );
        return toAppointmentResource(updated!);
      });
    } catch (error) {
      if (isOverlap(error)) throw slotTaken();
      throw error;
    }
  }

  /** The patient answered C: a booked appointment becomes confirmed (anything else stays). */
  async confirmByPatient(tx: Executor, clinicId: string, id: string): Promise<void> {
    await tx
      .update(appointments)
      .set({ status: 'confirmed', updatedAt: this.clock.now() })
      .where(and(eq(appointments.id, id), eq(appointments.clinicId, clinicId), eq(appointments.status, 'booked')));
  }

  async checkIn(ctx: RequestContext, id: string): Promise<AppointmentResource> {
    return this.transition(ctx, id, 'checked_in');
  }

  async noShow(ctx: RequestContext, id: string): Promise<AppointmentResource> {
    return this.transition(ctx, id, 'no_show');
  }

  private async transition(ctx: RequestContext, id: string, status: 'checked_in' | 'no_show'): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, id, tx, true);
      if (row.status === status) return toAppointmentResource(row);
      this.assertActive(row, status === 'checked_in' ? 'check in' : 'mark as no-show');
      const [updated] = await tx.update(appointments).set({ status, updatedAt: this.clock.now() }).where(eq(appointments.id, row.id)).returning();
      return toAppointmentResource(updated!);
    });
  }

  private assertBookable(startsAt: Date): void {
    const now = this.clock.now();
    if (Number.isNaN(startsAt.getTime())) throw new DomainError('APPOINTMENT.BAD_TIME', 'startsAt is not a valid time', 400, 'startsAt');
    if (startsAt <= now) throw new DomainError('APPOINTMENT.IN_PAST', 'startsAt must be in the future', 400, 'startsAt');
    if (startsAt.getTime() - now.getTime() > BOOKING_HORIZON_DAYS * 86_400_000) {
      throw new DomainError('APPOINTMENT.TOO_FAR_AHEAD', `startsAt must be within ${BOOKING_HORIZON_DAYS} days`, 400, 'startsAt');
    }
  }

  private assertActive(row: AppointmentRow, action: string): void {
    if (!ACTIVE.includes(row.status)) {
      throw new DomainError('APPOINTMENT.NOT_ACTIVE', `Cannot ${action} an appointment that is ${row.status}`, 409);
    }
  }

  private async overlaps(clinicianId: string, patientId: string, startsAt: Date, duration: number, buffer: number): Promise<boolean> {
    const endsAt = new Date(startsAt.getTime() + duration * 60_000);
    const blocks = new Date(endsAt.getTime() + buffer * 60_000);
    const { rows } = await this.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM scheduling.appointments
      WHERE status IN ('booked', 'confirmed', 'checked_in')
        AND ((clinician_id = ${clinicianId} AND tstzrange(starts_at, blocks_until) && tstzrange(${startsAt.toISOString()}::timestamptz, ${blocks.toISOString()}::timestamptz))
          OR (patient_id = ${patientId} AND tstzrange(starts_at, ends_at) && tstzrange(${startsAt.toISOString()}::timestamptz, ${endsAt.toISOString()}::timestamptz)))`);
    return (rows[0]?.n ?? 0) > 0;
  }

  private async byIdempotencyKey(clinicId: string, key: string, fingerprint: string): Promise<AppointmentResource | null> {
    const [row] = await this.db.select().from(appointments).where(and(eq(appointments.clinicId, clinicId), eq(appointments.idempotencyKey, key)));
    if (!row) return null;
    if (row.requestFingerprint !== fingerprint) {
      throw new DomainError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used for a different booking', 422, 'Idempotency-Key');
    }
    return toAppointmentResource(row);
  }
}
