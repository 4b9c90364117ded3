import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, asc, desc, eq, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import {
  JOBS,
  QUEUES,
  type CreateWaitlistEntryData,
  type EventPayloads,
  type ListWaitlistData,
  type RequestContext,
  type WaitlistEntryResource,
  type WaitlistPage,
} from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { CURSOR_PART, decodePageCursor, DRIZZLE, microInstant, pageSize, sliceToPage, type Db, type Executor, type PageSizes } from '@aftercare/database';
import { JobScheduler } from '@aftercare/jobs';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { AppointmentsService } from '../appointments/appointments.service.js';
import { AvailabilityService } from '../availability/availability.service.js';
import { ClinicService } from '../clinic/clinic.service.js';
import { appointments, patients, waitlistEntries, waitlistOffers, type WaitlistEntryRow, type WaitlistOfferRow } from '../database/schema.js';
import { PatientsService } from '../patients/patients.service.js';
import { candidatesForSlot, offerExpiry } from './waitlist.rules.js';

/** The waitlist: at most this many as an array; pages of 100 (up to 500) when paged. */
const WAITLIST_PAGES: PageSizes = { list: 500, default: 100, max: 500 };
/** A page's cursor: when its last entry was added (to the microsecond), and its id. */
const WAITLIST_CURSOR = [CURSOR_PART.microInstant, CURSOR_PART.uuid];

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505';
const isOverlap = (error: unknown) => (error as { code?: string }).code === '23P01' || (error as { cause?: { code?: string } }).cause?.code === '23P01';

/** A time that became free: an appointment cancelled or moved away. */
export interface FreedTime {
  clinicId: string;
  clinicianId: string;
  startsAt: Date;
  /** Offers for one freed time share it and compete: the first YES wins. */
  slotKey: string;
  releasedByPatientId: string | null;
  correlationId: string;
}

type OfferClosedReason = EventPayloads['waitlist.offer-closed']['reason'];

/**
 * The waitlist. When time frees up, the first matching waiting patients get an SMS offer; the
 * first YES books it (the database's exclusion constraints decide any race with the front
 * desk), the others hear it is taken; an offer nobody answers expires and the time goes to the
 * next patients in line.
 */
@Injectable()
export class WaitlistService {
  private readonly logger = new Logger(WaitlistService.name);

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.waitlistOffers) private readonly queue: Queue,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
    private readonly outbox: OutboxWriter,
    private readonly clinic: ClinicService,
    private readonly patients: PatientsService,
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsService,
  ) {}

  async create(ctx: RequestContext, data: CreateWaitlistEntryData): Promise<WaitlistEntryResource> {
    const patient = await this.patients.get(ctx, data.patientId);
    if (!patient.smsConsent || patient.smsOptedOut) {
      throw new DomainError(
        'WAITLIST.NO_SMS',
        'Waitlist offers go by SMS and are taken by answering YES; this patient has no SMS consent or has opted out. Record consent first, or book them directly.',
        422,
        'patientId',
      );
    }
    await this.clinic.procedureType(ctx.clinicId, data.procedureType);
    if (data.clinicianId) await this.clinic.clinician(ctx.clinicId, data.clinicianId);
    if (data.latestDate < data.earliestDate) throw new DomainError('WAITLIST.BAD_DATES', 'latestDate must be on or after earliestDate', 400, 'latestDate');
    const clinic = await this.clinic.clinic(ctx.clinicId);
    const today = DateTime.fromJSDate(this.clock.now(), { zone: clinic.timezone }).toISODate()!;
    if (data.latestDate < today) throw new DomainError('WAITLIST.BAD_DATES', 'latestDate is in the past', 400, 'latestDate');
    await this.expirePastEntries(ctx.clinicId);
    try {
      const [row] = await this.db
        .insert(waitlistEntries)
        .values({
          id: randomUUID(),
          clinicId: ctx.clinicId,
          patientId: patient.id,
          procedureType: data.procedureType,
          clinicianId: data.clinicianId ?? null,
          earliestDate: data.earliestDate,
          latestDate: data.latestDate,
          status: 'waiting',
          notes: data.notes ?? null,
          createdAt: this.clock.now(),
          updatedAt: this.clock.now(),
        })
        .returning();
      return (await this.resources([row!]))[0]!;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('WAITLIST.ALREADY_WAITING', 'This patient is already on the waitlist for this procedure type; cancel that entry first', 409, 'patientId');
      }
      throw error;
    }
  }

  /**
   * The live entries (waiting, offered: the default) in the order they came, the order offers go
   * in; a history (booked, cancelled, expired) newest first. A page `{ items, nextCursor }` when the
   * caller pages (limit or cursor); otherwise every match as an array - and when more than
   * WAITLIST_PAGES.list match, a 400 that says how to narrow or page, never the first ones alone.
   */
  async list(ctx: RequestContext, data: ListWaitlistData): Promise<WaitlistEntryResource[] | WaitlistPage> {
    await this.expirePastEntries(ctx.clinicId);
    const size = pageSize(data, WAITLIST_PAGES);
    const newestFirst = data.status !== undefined && data.status !== 'waiting' && data.status !== 'offered';
    const where: SQL[] = [eq(waitlistEntries.clinicId, ctx.clinicId)];
    if (data.status) where.push(eq(waitlistEntries.status, data.status));
    else where.push(inArray(waitlistEntries.status, ['waiting', 'offered']));
    if (data.procedureType) where.push(eq(waitlistEntries.procedureType, data.procedureType));
    if (data.patientId) where.push(eq(waitlistEntries.patientId, data.patientId));
    if (data.cursor) {
      const key = decodePageCursor(data.cursor, WAITLIST_CURSOR);
      if (!key) throw new DomainError('WAITLIST.BAD_CURSOR', 'cursor is not a nextCursor of this list (keep the same filters between pages)', 400, 'cursor');
      const last = sql`(${key[0]}::timestamptz, ${key[1]}::uuid)`;
      where.push(newestFirst ? sql`(${waitlistEntries.createdAt}, ${waitlistEntries.id}) < ${last}` : sql`(${waitlistEntries.createdAt}, ${waitlistEntries.id}) > ${last}`);
    }
    const order = newestFirst ? [desc(waitlistEntries.createdAt), desc(waitlistEntries.id)] : [asc(waitlistEntries.createdAt), asc(waitlistEntries.id)];
    const rows = await this.db
      .select({ entry: waitlistEntries, cursorAt: microInstant(waitlistEntries.createdAt) })
      .from(waitlistEntries)
      .where(and(...where))
      .orderBy(...order)
      .limit(size.limit + 1);
    const tooMany = () => {
      const narrower = (['procedureType', 'patientId'] as const).filter((filter) => data[filter] === undefined);
      return new DomainError(
        'WAITLIST.TOO_MANY',
        `More than ${size.limit} waitlist entries match: ${narrower.length > 0 ? `narrow them with ${narrower.join(' or ')}, or ` : ''}page through them with limit and cursor`,
        400,
        narrower[0] ?? 'limit',
      );
    };
    const { page, nextCursor } = sliceToPage(rows, size, (r) => [r.cursorAt, r.entry.id], tooMany);
    const items = await this.resources(page.map((r) => r.entry));
    return size.paged ? { items, nextCursor } : items;
  }

  async cancel(ctx: RequestContext, id: string): Promise<WaitlistEntryResource> {
    let offered: WaitlistOfferRow[] = [];
    const closed: WaitlistOfferRow[] = [];
    const row = await this.db.transaction(async (tx) => {
      // Lock order as in accept(): the freed times' locks first, then the rows.
      const keys = await tx.selectDistinct({ slotKey: waitlistOffers.slotKey }).from(waitlistOffers).where(and(eq(waitlistOffers.entryId, id), eq(waitlistOffers.status, 'pending')));
      for (const { slotKey } of keys.sort((a, b) => (a.slotKey < b.slotKey ? -1 : 1))) await this.lockSlot(tx, slotKey);
      const [entry] = await tx.select().from(waitlistEntries).where(and(eq(waitlistEntries.id, id), eq(waitlistEntries.clinicId, ctx.clinicId))).for('update');
      if (!entry) throw notFound('Waitlist entry', id);
      if (entry.status !== 'waiting' && entry.status !== 'offered') return entry;
      const [updated] = await tx.update(waitlistEntries).set({ status: 'cancelled', updatedAt: this.clock.now() }).where(eq(waitlistEntries.id, id)).returning();
      const pending = await tx.select().from(waitlistOffers).where(and(eq(waitlistOffers.entryId, id), eq(waitlistOffers.status, 'pending')));
      for (const offer of pending) closed.push(await this.closeOffer(tx, offer, 'withdrawn', null));
      offered = await this.reoffer(tx, closed);
      return updated!;
    });
    await this.dropJobs(closed);
    await this.scheduleJobs(offered);
    return (await this.resources([row]))[0]!;
  }

  /**
   * Offers freed time to the first matching waiting patients (at most the batch size, each
   * only if the time fits their procedure, their own calendar and the rooms). Runs inside the
   * transaction of the event that freed it; returns the offers whose expiry jobs to add.
   */
  async offerFreedTime(tx: Executor, freed: FreedTime): Promise<WaitlistOfferRow[]> {
    const now = this.clock.now();
    if (freed.startsAt <= now) return [];
    const clinic = await this.clinic.clinic(freed.clinicId, tx);
    // Serialise with accepts and expiries of the same freed time.
    await this.lockSlot(tx, freed.slotKey);
    const open = await tx
      .select({ status: waitlistOffers.status })
      .from(waitlistOffers)
      .where(and(eq(waitlistOffers.slotKey, freed.slotKey), inArray(waitlistOffers.status, ['pending', 'accepted'])));
    if (open.some((o) => o.status === 'accepted')) return []; // already taken
    // Up to the batch size open at once: a place freed by a withdrawn offer goes to the next.
    const room = this.config.waitlist.offerBatch - open.length;
    if (room <= 0) return [];

    const alreadyOffered = (await tx.select({ entryId: waitlistOffers.entryId }).from(waitlistOffers).where(eq(waitlistOffers.slotKey, freed.slotKey))).map(
      (r) => r.entryId,
    );
    // Only patients who can get the SMS and answer it.
    const waiting = (
      await tx
        .select({ entry: waitlistEntries })
        .from(waitlistEntries)
        .innerJoin(patients, eq(patients.id, waitlistEntries.patientId))
        .where(and(eq(waitlistEntries.clinicId, freed.clinicId), eq(waitlistEntries.status, 'waiting'), eq(patients.smsConsent, true), eq(patients.smsOptedOut, false)))
        .orderBy(asc(waitlistEntries.createdAt))
        .limit(1000)
    ).map((r) => r.entry);
    const candidates = candidatesForSlot(
      waiting.filter((e) => !alreadyOffered.includes(e.id)),
      { clinicianId: freed.clinicianId, startsAt: freed.startsAt, clinicTimezone: clinic.timezone, releasedByPatientId: freed.releasedByPatientId },
    );
    const clinician = await this.clinic.clinician(freed.clinicId, freed.clinicianId, tx).catch(() => null);
    if (!clinician) return [];

    const offers: WaitlistOfferRow[] = [];
    for (const entry of candidates) {
      if (offers.length >= room) break;
      const fits = await this.availability.find(
        {
          clinicId: freed.clinicId,
          procedureType: entry.procedureType,
          clinicianIds: [freed.clinicianId],
          patientId: entry.patientId,
          from: freed.startsAt,
          to: new Date(freed.startsAt.getTime() + 60_000),
          limit: 1,
        },
        tx,
      );
      const slot = fits[0];
      if (!slot || slot.startsAt.getTime() !== freed.startsAt.getTime()) continue;
      const [patient] = await tx.select({ timezone: patients.timezone }).from(patients).where(eq(patients.id, entry.patientId));
      const expiresAt = offerExpiry({ now, slotStartsAt: slot.startsAt, offerMinutes: this.config.waitlist.offerMinutes, patientTimezone: patient!.timezone, quietHours: this.config.quietHours });
      if (!expiresAt) continue;
      // The entry is claimed before its offer is written, and only while it still waits: the
      // front desk may have taken the patient off the list, or another freed time offered to
      // them, since the read above (that write waits for this one, or this one for it). One
      // open offer per entry: a patient never holds two times at once.
      const claimed = await tx
        .update(waitlistEntries)
        .set({ status: 'offered', updatedAt: now })
        .where(and(eq(waitlistEntries.id, entry.id), eq(waitlistEntries.status, 'waiting')))
        .returning({ id: waitlistEntries.id });
      if (claimed.length === 0) continue;
      const [offer] = await tx
        .insert(waitlistOffers)
        .values({
          id: randomUUID(),
          clinicId: freed.clinicId,
          entryId: entry.id,
          patientId: entry.patientId,
          slotKey: freed.slotKey,
          clinicianId: freed.clinicianId,
          procedureType: entry.procedureType,
          startsAt: slot.startsAt,
          endsAt: slot.endsAt,
          status: 'pending',
          expiresAt,
          createdAt: now,
        })
        .returning();
      await this.outbox.publish(
        tx,
        'waitlist.offered',
        {
          offerId: offer.id,
          entryId: entry.id,
          patientId: entry.patientId,
          clinicianId: freed.clinicianId,
          clinicianName: clinician.name,
          procedureType: entry.procedureType,
          startsAt: offer.startsAt.toISOString(),
          endsAt: offer.endsAt.toISOString(),
          expiresAt: offer.expiresAt.toISOString(),
        },
        { clinicId: freed.clinicId, correlationId: freed.correlationId },
      );
      offers.push(offer);
    }
    if (offers.length) this.logger.log(`offered freed time ${freed.slotKey} to ${offers.length} waitlisted patient(s)`);
    return offers;
  }

  /**
   * The patient answered YES to an offer. The first YES of a freed time books it; the other
   * pending offers of that time close as taken. Returns offers whose jobs can go.
   */
  async accept(tx: Executor, clinicId: string, payload: EventPayloads['waitlist.offer-accepted'], correlationId: string): Promise<{ closed: WaitlistOfferRow[]; offered: WaitlistOfferRow[] }> {
    const none = { closed: [], offered: [] };
    const [offer0] = await tx.select().from(waitlistOffers).where(and(eq(waitlistOffers.id, payload.offerId), eq(waitlistOffers.clinicId, clinicId)));
    if (!offer0 || offer0.patientId !== payload.patientId) return none;
    await this.lockSlot(tx, offer0.slotKey);
    const [offer] = await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, payload.offerId)).for('update');
    if (!offer) return none;
    const answeredInTime = new Date(payload.at) <= offer.expiresAt;
    // A YES sent in time wins even if the expiry job ran before the answer arrived here.
    const open = offer.status === 'pending' || (offer.status === 'expired' && answeredInTime);
    if (!open) return none; // closed: the patient has been (or is being) told why
    if (!answeredInTime) return { closed: [await this.closeOffer(tx, offer, 'expired', null)], offered: [] };
    const [entry] = await tx.select().from(waitlistEntries).where(eq(waitlistEntries.id, offer.entryId)).for('update');
    if (!entry || (entry.status !== 'waiting' && entry.status !== 'offered')) return { closed: [await this.closeOffer(tx, offer, 'withdrawn', null)], offered: [] };
    const rivals = await tx
      .select()
      .from(waitlistOffers)
      .where(and(eq(waitlistOffers.slotKey, offer.slotKey), eq(waitlistOffers.status, 'accepted')))
      .limit(1);
    if (rivals.length) return { closed: await this.closeIfPending(tx, offer, 'taken'), offered: [] };

    const now = this.clock.now();
    const ctx: RequestContext = { clinicId, userId: null, role: 'system', clinicianId: null, correlationId };
    const clinician = await this.clinic.clinician(clinicId, offer.clinicianId, tx).catch(() => null);
    const type = await this.clinic.procedureType(clinicId, offer.procedureType, tx);
    // Still a time the clinic offers: hours, closures, time off, rooms, the patient's own calendar.
    const still = clinician
      ? await this.availability.find(
          { clinicId, procedureType: offer.procedureType, clinicianIds: [offer.clinicianId], patientId: offer.patientId, from: offer.startsAt, to: new Date(offer.startsAt.getTime() + 60_000), limit: 1 },
          tx,
        )
      : [];
    let appointmentId: string | null = null;
    if (clinician && offer.startsAt > now && still[0]?.startsAt.getTime() === offer.startsAt.getTime()) {
      try {
        // A savepoint: a lost race at the exclusion constraints leaves the outer work intact.
        const booked = await tx.transaction((sp) =>
          this.appointments.insertBooking(sp, ctx, {
            patientId: offer.patientId,
            clinician,
            type,
            startsAt: offer.startsAt,
            notes: 'Booked from the waitlist by SMS',
            idempotencyKey: `waitlist-offer:${offer.id}`,
            fingerprint: null,
            bookedByCarePlan: false,
            bookingTaskId: null,
            waitlistOfferId: offer.id,
          }),
        );
        appointmentId = booked.id;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (!isOverlap(error) && code !== 'APPOINTMENT.RESOURCE_TAKEN') throw error;
      }
    }
    if (!appointmentId) return { closed: await this.closeIfPending(tx, offer, 'taken'), offered: [] };

    const closed = [await this.closeOffer(tx, offer, 'booked', appointmentId)];
    const others = await tx
      .select()
      .from(waitlistOffers)
      .where(and(eq(waitlistOffers.slotKey, offer.slotKey), eq(waitlistOffers.status, 'pending'), ne(waitlistOffers.id, offer.id)));
    for (const rival of others) closed.push(await this.closeOffer(tx, rival, 'taken', null));
    // The winner's other open offers (other freed times) go back to the line.
    const elsewhere = await tx.select().from(waitlistOffers).where(and(eq(waitlistOffers.entryId, offer.entryId), eq(waitlistOffers.status, 'pending')));
    const withdrawn: WaitlistOfferRow[] = [];
    for (const other of elsewhere) {
      await this.lockSlot(tx, other.slotKey);
      withdrawn.push(await this.closeOffer(tx, other, 'withdrawn', null));
    }
    return { closed: [...closed, ...withdrawn], offered: await this.reoffer(tx, withdrawn) };
  }

  /**
   * The expiry job: an unanswered offer closes, and when no offer of that freed time is open
   * any more, the time goes to the next patients in line. Returns new offers to schedule.
   */
  async expire(id: string): Promise<void> {
    const created = await this.db.transaction(async (tx) => {
      const [first] = await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, id));
      if (!first || first.status !== 'pending') return [];
      await this.lockSlot(tx, first.slotKey);
      const [offer] = await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, id)).for('update');
      if (!offer || offer.status !== 'pending') return [];
      if (offer.expiresAt > this.clock.now()) return []; // woken early: the reconciler re-arms it
      const closed = await this.closeOffer(tx, offer, 'expired', null);
      return this.reoffer(tx, [closed]);
    });
    await this.scheduleJobs(created);
  }

  /** Freed times whose offers were all closed without a winner go to the next in line. */
  private async reoffer(tx: Executor, closed: WaitlistOfferRow[]): Promise<WaitlistOfferRow[]> {
    const created: WaitlistOfferRow[] = [];
    const seen = new Set<string>();
    for (const offer of closed) {
      if (seen.has(offer.slotKey)) continue;
      seen.add(offer.slotKey);
      created.push(
        ...(await this.offerFreedTime(tx, {
          clinicId: offer.clinicId,
          clinicianId: offer.clinicianId,
          startsAt: offer.startsAt,
          slotKey: offer.slotKey,
          releasedByPatientId: await this.releasedBy(tx, offer.slotKey),
          correlationId: randomUUID(),
        })),
      );
    }
    return created;
  }

  /** Who gave the time up ('appointment:<id>:<sequence>'): they are not offered it back. */
  private async releasedBy(tx: Executor, slotKey: string): Promise<string | null> {
    const appointmentId = /^appointment:([0-9a-f-]{36}):/.exec(slotKey)?.[1];
    if (!appointmentId) return null;
    const [row] = await tx.select({ patientId: appointments.patientId }).from(appointments).where(eq(appointments.id, appointmentId));
    return row?.patientId ?? null;
  }

  private async lockSlot(tx: Executor, slotKey: string): Promise<void> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${slotKey}))`);
  }

  private async closeIfPending(tx: Executor, offer: WaitlistOfferRow, reason: OfferClosedReason): Promise<WaitlistOfferRow[]> {
    return offer.status === 'pending' ? [await this.closeOffer(tx, offer, reason, null)] : [];
  }

  async scheduleJobs(offers: WaitlistOfferRow[]): Promise<void> {
    await this.scheduler.scheduleMany(this.queue, JOBS.waitlistOfferExpire, offers.map((o) => ({ id: o.id, dueAt: o.expiresAt })));
  }

  async dropJobs(offers: WaitlistOfferRow[]): Promise<void> {
    for (const offer of offers) await this.queue.remove(offer.id).catch(() => undefined);
  }

  /** Closes one offer and tells notifications; the entry waits again unless it was booked. */
  private async closeOffer(tx: Executor, offer: WaitlistOfferRow, reason: OfferClosedReason, appointmentId: string | null): Promise<WaitlistOfferRow> {
    const now = this.clock.now();
    const status = reason === 'booked' ? 'accepted' : reason;
    const [closed] = await tx
      .update(waitlistOffers)
      .set({ status, appointmentId, closedAt: now })
      .where(eq(waitlistOffers.id, offer.id))
      .returning();
    if (reason === 'booked') {
      await tx.update(waitlistEntries).set({ status: 'booked', appointmentId, updatedAt: now }).where(eq(waitlistEntries.id, offer.entryId));
    } else if (reason !== 'withdrawn') {
      // Still waiting for another time, unless another offer to them is open.
      await tx
        .update(waitlistEntries)
        .set({ status: 'waiting', updatedAt: now })
        .where(
          and(
            eq(waitlistEntries.id, offer.entryId),
            eq(waitlistEntries.status, 'offered'),
            sql`NOT EXISTS (SELECT 1 FROM scheduling.waitlist_offers o WHERE o.entry_id = ${offer.entryId} AND o.status = 'pending')`,
          ),
        );
    }
    await this.outbox.publish(tx, 'waitlist.offer-closed', { offerId: offer.id, patientId: offer.patientId, reason, appointmentId }, { clinicId: offer.clinicId });
    return closed!;
  }

  /** Entries whose last wanted date has passed (clinic's local date) are over. */
  private async expirePastEntries(clinicId: string): Promise<void> {
    const clinic = await this.clinic.clinic(clinicId);
    const today = DateTime.fromJSDate(this.clock.now(), { zone: clinic.timezone }).toISODate()!;
    await this.db
      .update(waitlistEntries)
      .set({ status: 'expired', updatedAt: this.clock.now() })
      .where(and(eq(waitlistEntries.clinicId, clinicId), eq(waitlistEntries.status, 'waiting'), lt(waitlistEntries.latestDate, today)));
  }

  private async resources(rows: WaitlistEntryRow[]): Promise<WaitlistEntryResource[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const people = await this.db
      .select({ id: patients.id, firstName: patients.firstName, lastName: patients.lastName })
      .from(patients)
      .where(inArray(patients.id, [...new Set(rows.map((r) => r.patientId))]));
    const offers = await this.db.select().from(waitlistOffers).where(inArray(waitlistOffers.entryId, ids)).orderBy(desc(waitlistOffers.createdAt));
    return rows.map((r) => {
      const p = people.find((x) => x.id === r.patientId);
      return {
        id: r.id,
        patient: { id: r.patientId, name: p ? `${p.firstName} ${p.lastName}` : '' },
        procedureType: r.procedureType,
        clinicianId: r.clinicianId,
        earliestDate: r.earliestDate,
        latestDate: r.latestDate,
        status: r.status,
        notes: r.notes,
        appointmentId: r.appointmentId,
        createdAt: r.createdAt.toISOString(),
        offers: offers
          .filter((o) => o.entryId === r.id)
          .map((o) => ({
            id: o.id,
            clinicianId: o.clinicianId,
            startsAt: o.startsAt.toISOString(),
            endsAt: o.endsAt.toISOString(),
            status: o.status,
            expiresAt: o.expiresAt.toISOString(),
            appointmentId: o.appointmentId,
            createdAt: o.createdAt.toISOString(),
          })),
      };
    });
  }
}
