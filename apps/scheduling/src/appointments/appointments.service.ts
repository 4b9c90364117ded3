import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, asc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type {
  AppointmentPage,
  AppointmentResource,
  BookAppointmentData,
  BookInWindowData,
  CancelData,
  CompleteData,
  ListAppointmentsData,
  RequestContext,
  RescheduleData,
  AppointmentStatus,
  ProcedureTypeResource,
  ResourceRequirement,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DateTime } from 'luxon';
import { CURSOR_PART, decodePageCursor, DRIZZLE, isTransientConflict, pageSize, pgErrorOf, placeholders, PreparedQuery, retryTransient, sliceToPage, type Db, type Executor, type PageSizes } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter, safeErrorMessage } from '@aftercare/messaging';
import { AvailabilityService, candidatesFor } from '../availability/availability.service.js';
import { ClinicService, type ClinicSetup } from '../clinic/clinic.service.js';
import { appointmentResources, appointments, resources, type AppointmentRow, type ClinicianRow, type ResourceRow } from '../database/schema.js';
import { PatientsService } from '../patients/patients.service.js';

export type AppointmentWithResources = AppointmentRow & { resourceIds: string[] };

export const toAppointmentResource = (row: AppointmentWithResources): AppointmentResource => ({
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
  resourceIds: row.resourceIds,
  sequence: row.sequence,
});

/** The appointments list: at most this many as an array; pages of 100 (up to 500) when paged. */
const APPOINTMENT_PAGES: PageSizes = { list: 1000, default: 100, max: 500 };
/** A page's cursor: the start and id of its last appointment. */
const APPOINTMENT_CURSOR = [CURSOR_PART.instant, CURSOR_PART.uuid];

const slotTaken = () => new DomainError('APPOINTMENT.SLOT_TAKEN', 'That time is no longer free for this clinician or patient; pick another slot', 409, 'startsAt');

const resourceTaken = (what: string) =>
  new DomainError('APPOINTMENT.RESOURCE_TAKEN', `No ${what} is free at that time; pick another slot`, 409, 'startsAt');
const resourceMissing = (what: string) =>
  new DomainError('APPOINTMENT.NO_RESOURCE', `The clinic has no active ${what} for this procedure type; an admin can add or reactivate one under /api/resources`, 422, 'procedureType');

/**
 * PostgreSQL kept aborting the booking as a deadlock victim (concurrent bookings of the same
 * room or patient at the same instant) even after retries: a conflict the caller may retry.
 */
const contended = () =>
  new DomainError('APPOINTMENT.CONTENDED', 'Other bookings for that time were being saved at the same moment; try again or pick another slot', 409, 'startsAt');

const isTaken = (error: unknown) =>
  error instanceof DomainError && (error.code === 'APPOINTMENT.SLOT_TAKEN' || error.code === 'APPOINTMENT.RESOURCE_TAKEN' || error.code === 'APPOINTMENT.CONTENDED');

/** PostgreSQL's answer when an exclusion constraint (the double-booking guard) refuses a row. */
const isOverlap = (error: unknown) => pgErrorOf(error).code === '23P01';
/** A room or machine went to a concurrent booking between our pick and our insert: pick again. */
const isResourceRace = (error: unknown) => isOverlap(error) && pgErrorOf(error).constraint === 'appointment_resources_overlap';
const isUniqueViolation = (error: unknown) => pgErrorOf(error).code === '23505';

/**
 * Bookings of one slot take their turn: a booking (from the front desk, a care plan or a waitlist
 * offer) or a move to that slot waits here until another of the same clinician, or of the same
 * patient, at the same start has committed or rolled back, and then its row meets a settled one
 * (409 at once). Without the turn, concurrent inserts of clashing rows each
 * wait inside the exclusion constraint's check for another's uncommitted row; PostgreSQL finds
 * those cycles only after deadlock_timeout (1 s) each, and 100 bookings of one slot once took a
 * minute to untangle on a busy machine. Always the clinician's turn first, then the patient's
 * (one statement), so that two bookings never wait for each other here. Bookings of other starts
 * go on side by side (a turn per clinician's day cost 16 % of the booking bench's rate); a clash
 * of different starts that overlap is still the exclusion constraints' to decide, as it was.
 */
async function lockSlotOf(tx: Executor, clinicianId: string, patientId: string, startsAt: Date): Promise<void> {
  const at = startsAt.toISOString();
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(hashtext(${`booking:clinician:${clinicianId}:${at}`})), pg_advisory_xact_lock(hashtext(${`booking:patient:${patientId}:${at}`}))`,
  );
}

const ACTIVE: AppointmentStatus[] = ['booked', 'confirmed', 'checked_in'];
/** How far ahead a booking may be made: further is a typing error, not a plan. */
const BOOKING_HORIZON_DAYS = 400;

/** The statements of every booking, built once (PreparedQuery). */
const INSERT_BOOKING = new PreparedQuery('scheduling.appointments.insert_booking', (db) =>
  db
    .insert(appointments)
    .values({
      ...placeholders(['id', 'clinicId', 'patientId', 'clinicianId', 'procedureType', 'startsAt', 'endsAt', 'blocksUntil', 'notes', 'idempotencyKey',
        'requestFingerprint', 'bookedByCarePlan', 'bookingTaskId', 'waitlistOfferId']),
      status: 'booked',
    })
    .returning(),
);
/** One room or machine held for the appointment (the usual booking needs one). */
const HOLD_ONE = new PreparedQuery('scheduling.appointments.hold_one', (db) =>
  db.insert(appointmentResources).values({ ...placeholders(['appointmentId', 'resourceId', 'clinicId', 'during']), active: true }),
);
/** Which of these resources are held during [from, to) (ISO times). */
const BUSY_RESOURCES = new PreparedQuery('scheduling.appointments.busy_resources', (db) =>
  db
    .select({ resourceId: appointmentResources.resourceId })
    .from(appointmentResources)
    .where(
      and(
        // Written into the statement, not a parameter: a generic plan can then use the holds' index (active ones only).
        sql`${appointmentResources.active}`,
        sql`${appointmentResources.resourceId} = ANY(${sql.placeholder('ids')}::uuid[])`,
        sql`${appointmentResources.during} && tstzrange(${sql.placeholder('from')}::timestamptz, ${sql.placeholder('to')}::timestamptz)`,
      ),
    ),
);

/** A booking that passed its checks, ready to insert. */
export interface NewBooking {
  patientId: string;
  clinician: ClinicianRow;
  type: ProcedureTypeResource;
  startsAt: Date;
  notes: string | null;
  idempotencyKey: string | null;
  fingerprint: string | null;
  bookedByCarePlan: boolean;
  bookingTaskId: string | null;
  waitlistOfferId: string | null;
  /** Pick a random free room or machine instead of the first (after a lost race). */
  spreadResources?: boolean;
  /** The clinic's resources as the caller read them with the setup; read inside the transaction when absent. */
  resources?: readonly ResourceRow[];
}

@Injectable()
export class AppointmentsService {
  private readonly logger = new Logger('Appointments');

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly clinic: ClinicService,
    private readonly patients: PatientsService,
    private readonly availability: AvailabilityService,
  ) {}

  async book(
    ctx: RequestContext,
    data: BookAppointmentData,
    options: { bookedByCarePlan?: boolean; waitlistOfferId?: string | null } = {},
  ): Promise<AppointmentResource> {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([data.patientId, data.clinicianId, data.procedureType, new Date(data.startsAt).toISOString()]))
      .digest('hex');
    if (data.idempotencyKey) {
      const replay = await this.byIdempotencyKey(ctx.clinicId, data.idempotencyKey, fingerprint);
      if (replay) return replay;
    }
    const startsAt = new Date(data.startsAt);
    this.assertBookable(startsAt);
    await this.patients.get(ctx, data.patientId);
    // Read once for every check of this booking (one statement while the setup is unchanged).
    const setup = await this.clinic.setup(ctx.clinicId);
    const clinician = setup.clinician(data.clinicianId);
    const type = setup.procedureType(data.procedureType);
    try {
      await this.assertOffered(ctx, { clinicianId: data.clinicianId, patientId: data.patientId, type, startsAt }, setup);
    } catch (error) {
      // A replay racing its own first request finds the slot taken by it: answer as the first.
      const replay = data.idempotencyKey && isTaken(error) ? await this.byIdempotencyKey(ctx.clinicId, data.idempotencyKey, fingerprint) : null;
      if (replay) return replay;
      throw error;
    }

    const booking: NewBooking = {
      patientId: data.patientId,
      clinician,
      type,
      startsAt,
      notes: data.notes ?? null,
      idempotencyKey: data.idempotencyKey ?? null,
      fingerprint,
      bookedByCarePlan: options.bookedByCarePlan ?? false,
      bookingTaskId: data.bookingTaskId ?? null,
      waitlistOfferId: options.waitlistOfferId ?? null,
      resources: setup.resources,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        // After a lost race for a room (or a deadlock, usually over one), pick among the free ones
        // at random: concurrent bookings that all prefer the first free room would keep colliding.
        const inserted = await this.retryConflicts(`booking of patient ${data.patientId} with clinician ${data.clinicianId}`, (n) =>
          this.db.transaction(async (tx) => {
            return this.insertBooking(tx, ctx, { ...booking, spreadResources: attempt > 1 || n > 1 });
          }),
        );
        return toAppointmentResource(inserted);
      } catch (error) {
        if (isResourceRace(error) && attempt < 5) continue;
        if ((isOverlap(error) || isUniqueViolation(error)) && data.idempotencyKey) {
          const replay = await this.byIdempotencyKey(ctx.clinicId, data.idempotencyKey, fingerprint);
          if (replay) return replay;
        }
        if (isResourceRace(error)) throw resourceTaken('room or equipment');
        if (isOverlap(error)) throw slotTaken();
        if (isTransientConflict(error)) throw contended();
        throw error;
      }
    }
  }

  /**
   * Runs a whole transaction (its outbox rows included) again when PostgreSQL aborted it as a
   * deadlock victim: two bookings inserting clashing rows (one room, or one patient with two
   * clinicians) at the same instant can each wait for the other inside an exclusion constraint's
   * check. Logged with ids and the PostgreSQL code only.
   */
  private retryConflicts<T>(what: string, work: (attempt: number) => Promise<T>): Promise<T> {
    return retryTransient(work, {
      onRetry: (error, attempt, waitMs) => this.logger.warn(`${what}: ${safeErrorMessage(error)} on attempt ${attempt}; retrying in ${waitMs} ms`),
    });
  }

  /**
   * Inserts a booking with its rooms and equipment and its event, inside the caller's
   * transaction, once the slot's turn is its own (lockSlotOf). The exclusion constraints are the final word on overlaps (a concurrent booking
   * makes this throw 23P01), so callers run it after their own checks.
   */
  async insertBooking(tx: Executor, ctx: RequestContext, b: NewBooking): Promise<AppointmentWithResources> {
    await lockSlotOf(tx, b.clinician.id, b.patientId, b.startsAt);
    const endsAt = new Date(b.startsAt.getTime() + b.type.durationMinutes * 60_000);
    const blocksUntil = new Date(endsAt.getTime() + b.type.bufferAfterMinutes * 60_000);
    const resourceIds = await this.pickResources(tx, ctx.clinicId, b.type.requires, b.startsAt, blocksUntil, { spread: b.spreadResources, known: b.resources });
    const [row] = await INSERT_BOOKING.execute(tx, {
      id: randomUUID(),
      clinicId: ctx.clinicId,
      patientId: b.patientId,
      clinicianId: b.clinician.id,
      procedureType: b.type.code,
      startsAt: b.startsAt,
      endsAt,
      blocksUntil,
      notes: b.notes,
      idempotencyKey: b.idempotencyKey,
      requestFingerprint: b.fingerprint,
      bookedByCarePlan: b.bookedByCarePlan,
      bookingTaskId: b.bookingTaskId,
      waitlistOfferId: b.waitlistOfferId,
    });
    await this.holdResources(tx, row!, resourceIds);
    await this.outbox.publish(
      tx,
      'appointment.booked',
      {
        appointmentId: row!.id,
        patientId: row!.patientId,
        clinicianId: row!.clinicianId,
        clinicianName: b.clinician.name,
        procedureType: row!.procedureType,
        startsAt: row!.startsAt.toISOString(),
        endsAt: row!.endsAt.toISOString(),
        sequence: row!.sequence,
        bookedByCarePlan: b.bookedByCarePlan,
        bookingTaskId: b.bookingTaskId,
        waitlistOfferId: b.waitlistOfferId,
      },
      { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
    );
    return { ...row!, resourceIds };
  }

  /**
   * The care plan's follow-up visit: the first free slot of the window, or null. With
   * `existingOnly`, only the visit an earlier call booked under the key (the plan has ended, and
   * followup looks for a visit to cancel).
   */
  async bookInWindow(ctx: RequestContext, data: BookInWindowData): Promise<{ appointment: AppointmentResource | null }> {
    const key = `care-plan:${data.idempotencyKey}`;
    const [existing] = await this.db.select().from(appointments).where(and(eq(appointments.clinicId, ctx.clinicId), eq(appointments.idempotencyKey, key)));
    if (existing) return { appointment: toAppointmentResource((await this.withResources([existing]))[0]!) };
    if (data.existingOnly) return { appointment: null };
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
            { bookedByCarePlan: true },
          );
          return { appointment };
        } catch (error) {
          if (!isTaken(error)) throw error;
        }
      }
      if (slots.length === 0) break;
    }
    return { appointment: null };
  }

  /**
   * In time order. A page `{ items, nextCursor }` when the caller pages (limit or cursor);
   * otherwise every match as an array, the answer of the first API (PRODUCT.md) - and when more
   * than APPOINTMENT_PAGES.list match, a 400 that says how to narrow or page, never the first ones alone
   * (a clinic's oldest appointments, with today's left out).
   */
  async list(ctx: RequestContext, data: ListAppointmentsData): Promise<AppointmentResource[] | AppointmentPage> {
    const size = pageSize(data, APPOINTMENT_PAGES);
    const where: SQL[] = [eq(appointments.clinicId, ctx.clinicId)];
    if (data.from) where.push(gte(appointments.startsAt, new Date(data.from)));
    if (data.to) where.push(lt(appointments.startsAt, new Date(data.to)));
    if (data.clinicianId) where.push(eq(appointments.clinicianId, data.clinicianId));
    if (data.patientId) where.push(eq(appointments.patientId, data.patientId));
    if (data.cursor) {
      const after = decodePageCursor(data.cursor, APPOINTMENT_CURSOR);
      if (!after) throw new DomainError('APPOINTMENT.BAD_CURSOR', 'cursor is not a nextCursor of this list (keep the same filters between pages)', 400, 'cursor');
      where.push(sql`(${appointments.startsAt}, ${appointments.id}) > (${after[0]}::timestamptz, ${after[1]}::uuid)`);
    }
    const rows = await this.db.select().from(appointments).where(and(...where)).orderBy(asc(appointments.startsAt), asc(appointments.id)).limit(size.limit + 1);
    const tooMany = () =>
      new DomainError(
        'APPOINTMENT.TOO_MANY',
        `More than ${size.limit} appointments match: narrow them with from and to (or clinicianId, patientId), or page through them with limit and cursor`,
        400,
        'from',
      );
    const { page, nextCursor } = sliceToPage(rows, size, (row) => [row.startsAt.toISOString(), row.id], tooMany);
    const items = (await this.withResources(page)).map(toAppointmentResource);
    return size.paged ? { items, nextCursor } : items;
  }

  async get(ctx: RequestContext, id: string, db: Executor = this.db, lock = false): Promise<AppointmentRow> {
    const query = db.select().from(appointments).where(and(eq(appointments.id, id), eq(appointments.clinicId, ctx.clinicId)));
    const [row] = lock ? await query.for('update') : await query;
    if (!row) throw notFound('Appointment', id);
    return row;
  }

  async getResource(ctx: RequestContext, id: string): Promise<AppointmentResource> {
    const [row] = await this.withResources([await this.get(ctx, id)]);
    return toAppointmentResource(row!);
  }

  /** The rooms and equipment each appointment holds (or held). */
  async withResources(rows: AppointmentRow[], db: Executor = this.db): Promise<AppointmentWithResources[]> {
    if (rows.length === 0) return [];
    const held = await db
      .select({ appointmentId: appointmentResources.appointmentId, resourceId: appointmentResources.resourceId })
      .from(appointmentResources)
      .where(inArray(appointmentResources.appointmentId, rows.map((r) => r.id)));
    return rows.map((r) => ({ ...r, resourceIds: held.filter((h) => h.appointmentId === r.id).map((h) => h.resourceId) }));
  }

  async complete(ctx: RequestContext, data: CompleteData): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, data.id, tx, true);
      if (row.status === 'completed') return toAppointmentResource((await this.withResources([row], tx))[0]!); // a second click changes nothing
      this.assertActive(row, 'complete');
      const now = this.clock.now();
      if (row.startsAt > now) {
        throw new DomainError('APPOINTMENT.NOT_STARTED', 'An appointment can be completed only once it has started', 409);
      }
      const updated = await this.update(tx, row, { status: 'completed', completedAt: now, site: data.site ?? row.site, notes: data.notes ?? row.notes, updatedAt: now });
      await this.outbox.publish(
        tx,
        'procedure.completed',
        {
          appointmentId: row.id,
          patientId: row.patientId,
          clinicianId: row.clinicianId,
          procedureType: row.procedureType,
          completedAt: now.toISOString(),
          site: updated.site,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated);
    });
  }

  async cancel(ctx: RequestContext, data: CancelData): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, data.id, tx, true);
      if (row.status === 'cancelled') return toAppointmentResource((await this.withResources([row], tx))[0]!);
      this.assertActive(row, 'cancel');
      const now = this.clock.now();
      const updated = await this.update(tx, row, { status: 'cancelled', cancelledAt: now, cancelReason: data.reason ?? null, sequence: row.sequence + 1, updatedAt: now });
      await this.outbox.publish(
        tx,
        'appointment.cancelled',
        {
          appointmentId: row.id,
          patientId: row.patientId,
          clinicianId: row.clinicianId,
          procedureType: row.procedureType,
          startsAt: row.startsAt.toISOString(),
          reason: data.reason ?? null,
          sequence: updated.sequence,
          bookedByCarePlan: row.bookedByCarePlan,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated);
    });
  }

  async reschedule(ctx: RequestContext, data: RescheduleData): Promise<AppointmentResource> {
    const current = await this.get(ctx, data.id);
    this.assertActive(current, 'reschedule');
    this.assertNotCheckedIn(current, 'reschedule');
    const startsAt = new Date(data.startsAt);
    this.assertBookable(startsAt);
    const setup = await this.clinic.setup(ctx.clinicId);
    const type = setup.procedureType(current.procedureType);
    const clinician = setup.clinician(current.clinicianId);
    // Its own current time does not block the move (e.g. 30 minutes later, overlapping itself).
    await this.assertOffered(ctx, { clinicianId: current.clinicianId, patientId: current.patientId, type, startsAt, ignoreAppointmentId: current.id }, setup);
    const endsAt = new Date(startsAt.getTime() + type.durationMinutes * 60_000);
    const blocksUntil = new Date(endsAt.getTime() + type.bufferAfterMinutes * 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.retryConflicts(`move of appointment ${current.id}`, () =>
          this.db.transaction(async (tx) => {
            // The new time's turn first, then the row: as a booking of that time would.
            await lockSlotOf(tx, current.clinicianId, current.patientId, startsAt);
            const row = await this.get(ctx, data.id, tx, true);
            this.assertActive(row, 'reschedule');
            this.assertNotCheckedIn(row, 'reschedule');
            // Let go of the old rooms first, so the new pick may keep the same ones.
            await tx.delete(appointmentResources).where(eq(appointmentResources.appointmentId, row.id));
            const resourceIds = await this.pickResources(tx, ctx.clinicId, type.requires, startsAt, blocksUntil, { known: setup.resources });
            const [moved] = await tx
              .update(appointments)
              .set({ startsAt, endsAt, blocksUntil, status: 'booked', sequence: row.sequence + 1, updatedAt: this.clock.now() })
              .where(eq(appointments.id, row.id))
              .returning();
            await this.holdResources(tx, moved!, resourceIds);
            await this.outbox.publish(
              tx,
              'appointment.rescheduled',
              {
                appointmentId: row.id,
                patientId: row.patientId,
                clinicianId: row.clinicianId,
                clinicianName: clinician.name,
                procedureType: row.procedureType,
                startsAt: moved!.startsAt.toISOString(),
                endsAt: moved!.endsAt.toISOString(),
                sequence: moved!.sequence,
                previousStartsAt: row.startsAt.toISOString(),
              },
              { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
            );
            return toAppointmentResource({ ...moved!, resourceIds });
          }),
        );
      } catch (error) {
        if (isResourceRace(error) && attempt < 3) continue;
        if (isOverlap(error)) throw slotTaken();
        if (isTransientConflict(error)) throw contended();
        throw error;
      }
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
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, id, tx, true);
      if (row.status === 'checked_in') return toAppointmentResource((await this.withResources([row], tx))[0]!);
      this.assertActive(row, 'check in');
      const now = this.clock.now();
      // Only on the appointment's own day: a click on next week's row must not stop its reminders.
      const clinic = await this.clinic.clinic(ctx.clinicId, tx);
      const day = (t: Date) => DateTime.fromJSDate(t, { zone: clinic.timezone }).toISODate();
      if (day(now) !== day(row.startsAt) && now < row.startsAt) {
        throw new DomainError('APPOINTMENT.NOT_TODAY', 'A patient can be checked in only on the day of the appointment', 409);
      }
      const updated = await this.update(tx, row, { status: 'checked_in', updatedAt: now });
      await this.outbox.publish(
        tx,
        'appointment.checked-in',
        { appointmentId: row.id, patientId: row.patientId, at: now.toISOString() },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated);
    });
  }

  async noShow(ctx: RequestContext, id: string): Promise<AppointmentResource> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(ctx, id, tx, true);
      if (row.status === 'no_show') return toAppointmentResource((await this.withResources([row], tx))[0]!);
      this.assertActive(row, 'mark as no-show');
      this.assertNotCheckedIn(row, 'mark as a no-show');
      const now = this.clock.now();
      if (row.startsAt > now) {
        throw new DomainError('APPOINTMENT.NOT_STARTED', 'A patient can be marked as a no-show only once the appointment has started; cancel it instead', 409);
      }
      const updated = await this.update(tx, row, { status: 'no_show', sequence: row.sequence + 1, updatedAt: now });
      await this.outbox.publish(
        tx,
        'appointment.no-show',
        {
          appointmentId: row.id,
          patientId: row.patientId,
          clinicianId: row.clinicianId,
          procedureType: row.procedureType,
          startsAt: row.startsAt.toISOString(),
          sequence: updated.sequence,
          bookedByCarePlan: row.bookedByCarePlan,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      return toAppointmentResource(updated);
    });
  }

  /**
   * Changes the row; its rooms stay held while it holds its slot. A completed appointment keeps
   * them for its clean-up: until the buffer after the actual end (never longer than booked).
   */
  private async update(tx: Executor, row: AppointmentRow, set: Partial<typeof appointments.$inferInsert>): Promise<AppointmentWithResources> {
    const [updated] = await tx.update(appointments).set(set).where(eq(appointments.id, row.id)).returning();
    const u = updated!;
    if (u.status === 'completed' && u.completedAt) {
      const bufferMs = row.blocksUntil.getTime() - row.endsAt.getTime();
      const until = new Date(Math.min(row.blocksUntil.getTime(), u.completedAt.getTime() + bufferMs));
      await tx
        .update(appointmentResources)
        .set({ active: true, during: sql`tstzrange(lower(${appointmentResources.during}), greatest(lower(${appointmentResources.during}), ${until.toISOString()}::timestamptz))` })
        .where(eq(appointmentResources.appointmentId, row.id));
    } else {
      await tx
        .update(appointmentResources)
        .set({ active: ACTIVE.includes(u.status) })
        .where(eq(appointmentResources.appointmentId, row.id));
    }
    return (await this.withResources([u], tx))[0]!;
  }

  private async holdResources(tx: Executor, row: AppointmentRow, resourceIds: string[]): Promise<void> {
    if (resourceIds.length === 0) return;
    if (resourceIds.length === 1) {
      await HOLD_ONE.execute(tx, { appointmentId: row.id, resourceId: resourceIds[0]!, clinicId: row.clinicId, during: `[${row.startsAt.toISOString()},${row.blocksUntil.toISOString()})` });
      return;
    }
    await tx.insert(appointmentResources).values(
      resourceIds.map((resourceId) => ({
        appointmentId: row.id,
        resourceId,
        clinicId: row.clinicId,
        during: `[${row.startsAt.toISOString()},${row.blocksUntil.toISOString()})`,
        active: true,
      })),
    );
  }

  /**
   * One free resource per requirement for [from, to), first by name; 409 naming what is
   * missing. Reads committed holds: a concurrent pick of the same room loses at the constraint.
   */
  private async pickResources(
    tx: Executor,
    clinicId: string,
    requires: ResourceRequirement[],
    from: Date,
    to: Date,
    { spread = false, known }: { spread?: boolean; known?: readonly ResourceRow[] } = {},
  ): Promise<string[]> {
    if (requires.length === 0) return [];
    const all = known ?? (await tx.select().from(resources).where(eq(resources.clinicId, clinicId)).orderBy(asc(resources.name), asc(resources.id)));
    const ids = [...new Set(requires.flatMap((req) => candidatesFor(all, req).map((r) => r.id)))];
    const busy = ids.length ? await BUSY_RESOURCES.execute(tx, { ids, from: from.toISOString(), to: to.toISOString() }) : [];
    const taken = new Set(busy.map((b) => b.resourceId));
    const picked: string[] = [];
    for (const req of requires) {
      const candidates = candidatesFor(all, req);
      const what = [req.category, ...(req.features ?? [])].join(' with ').replace(/_/g, ' ');
      if (candidates.length === 0) throw resourceMissing(what);
      const frees = candidates.filter((r) => !taken.has(r.id) && !picked.includes(r.id));
      const free = spread ? frees[Math.floor(Math.random() * frees.length)] : frees[0];
      if (!free) throw resourceTaken(what);
      picked.push(free.id);
    }
    return picked;
  }

  /**
   * The time must be one the clinic offers: within hours, on the grid, not closed, every room
   * free. Overlap is checked again by the database at insert; here we say why it is refused.
   */
  private async assertOffered(
    ctx: RequestContext,
    q: { clinicianId: string; patientId: string; type: ProcedureTypeResource; startsAt: Date; ignoreAppointmentId?: string },
    setup: ClinicSetup,
  ): Promise<void> {
    const offered = await this.availability.find({
      clinicId: ctx.clinicId,
      procedureType: q.type.code,
      clinicianIds: [q.clinicianId],
      patientId: q.patientId,
      from: q.startsAt,
      to: new Date(q.startsAt.getTime() + 60_000),
      limit: 1,
      ignoreAppointmentId: q.ignoreAppointmentId,
    }, this.db, setup);
    if (offered.length > 0 && offered[0]!.startsAt.getTime() === q.startsAt.getTime()) return;
    if (await this.overlaps(q.clinicianId, q.patientId, q.startsAt, q.type.durationMinutes, q.type.bufferAfterMinutes, q.ignoreAppointmentId)) throw slotTaken();
    const blocksUntil = new Date(q.startsAt.getTime() + (q.type.durationMinutes + q.type.bufferAfterMinutes) * 60_000);
    await this.pickResources(this.db, ctx.clinicId, q.type.requires, q.startsAt, blocksUntil, { known: setup.resources }); // throws RESOURCE_TAKEN
    throw new DomainError(
      'APPOINTMENT.NOT_OFFERED',
      'startsAt is not a bookable slot (outside clinic or clinician hours, off the booking grid, or during a closure or time off); see GET /api/availability',
      422,
      'startsAt',
    );
  }

  private assertBookable(startsAt: Date): void {
    const now = this.clock.now();
    if (Number.isNaN(startsAt.getTime())) throw new DomainError('APPOINTMENT.BAD_TIME', 'startsAt is not a valid time', 400, 'startsAt');
    if (startsAt <= now) throw new DomainError('APPOINTMENT.IN_PAST', 'startsAt must be in the future', 400, 'startsAt');
    if (startsAt.getTime() - now.getTime() > BOOKING_HORIZON_DAYS * 86_400_000) {
      throw new DomainError('APPOINTMENT.TOO_FAR_AHEAD', `startsAt must be within ${BOOKING_HORIZON_DAYS} days`, 400, 'startsAt');
    }
  }

  private assertNotCheckedIn(row: AppointmentRow, action: string): void {
    if (row.status === 'checked_in') {
      throw new DomainError('APPOINTMENT.CHECKED_IN', `The patient is checked in; cannot ${action} this appointment`, 409);
    }
  }

  private assertActive(row: AppointmentRow, action: string): void {
    if (!ACTIVE.includes(row.status)) {
      throw new DomainError('APPOINTMENT.NOT_ACTIVE', `Cannot ${action} an appointment that is ${row.status}`, 409);
    }
  }

  private async overlaps(clinicianId: string, patientId: string, startsAt: Date, duration: number, buffer: number, ignoreId?: string): Promise<boolean> {
    const endsAt = new Date(startsAt.getTime() + duration * 60_000);
    const blocks = new Date(endsAt.getTime() + buffer * 60_000);
    const { rows } = await this.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM scheduling.appointments
      WHERE status IN ('booked', 'confirmed', 'checked_in')
        AND id IS DISTINCT FROM ${ignoreId ?? null}::uuid
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
    return toAppointmentResource((await this.withResources([row]))[0]!);
  }
}
