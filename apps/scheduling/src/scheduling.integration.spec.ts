import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { and, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { loadConfig, logLevels } from '@aftercare/config';
import { DEMO, type RequestContext } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { createTestDatabase, holdTransaction, PrivateRedis, waitForLockWaiters, type TestDatabase } from '@aftercare/testing';
import { seedDemoClinic } from './clinic/demo-clinic.seeder.js';
import { appointments as appointmentsTable, clinics, patients, waitlistEntries, waitlistOffers } from './database/schema.js';
import { AppointmentsService } from './appointments/appointments.service.js';
import { ClinicSetupService } from './clinic/clinic-setup.service.js';
import { PatientsService } from './patients/patients.service.js';
import { SchedulingModule } from './scheduling.module.js';
import { WaitlistService } from './waitlist/waitlist.service.js';

/**
 * The scheduling module compiled (not started: no relay, no queue worker) on a real PostgreSQL:
 * what happens when two things happen to one row at once (each transaction held where the test
 * needs it by a lock another connection holds), and the care plan's visit booking.
 */

jest.setTimeout(30_000);

describe('scheduling (module compiled, real PostgreSQL)', () => {
  const redis = new PrivateRedis();
  let database: TestDatabase;
  let app: TestingModule;
  let db: Db;
  let waitlist: WaitlistService;
  const ctx: RequestContext = { clinicId: DEMO.clinicId, userId: null, role: 'front_desk', clinicianId: null, correlationId: randomUUID() };
  const clinician = DEMO.clinicians[0].id;

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase('aftercare_test_waitlist_races');
    const config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'error' });
    app = await Test.createTestingModule({ imports: [SchedulingModule.forRoot(config)] }).compile();
    app.useLogger(logLevels(config.logLevel));
    db = app.get<Db>(DRIZZLE);
    waitlist = app.get(WaitlistService);
    await seedDemoClinic(db, app.get(OutboxWriter));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await redis.stop();
  }, 30_000);

  /** A Wednesday at 10:00 in the clinic, `weeks` weeks ahead: inside the clinician's hours. */
  const wednesdayAt10 = (weeks: number) => {
    const now = DateTime.now().setZone(DEMO.clinicTimezone);
    return now.plus({ weeks, days: (3 - now.weekday + 7) % 7 || 7 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
  };

  async function waitingPatient(day: DateTime) {
    const patientId = randomUUID();
    await db.insert(patients).values({ id: patientId, clinicId: DEMO.clinicId, firstName: 'Wren', lastName: 'Test', phone: '+12125550142', timezone: DEMO.clinicTimezone, preferredChannel: 'sms', smsConsent: true });
    const entry = await waitlist.create(ctx, { patientId, procedureType: 'consultation', clinicianId: clinician, earliestDate: day.toISODate()!, latestDate: day.toISODate()! });
    return { patientId, entryId: entry.id };
  }

  /** Runs `statement` in a transaction of its own, kept open until the returned release is called. */
  const holding = (statement: string) => holdTransaction(db, (tx) => tx.execute(sql.raw(statement)));


  it('lists appointments in time order: every match as an array, pages with limit and cursor, and a 400 saying how to narrow rather than the oldest 1,000 when more match', async () => {
    const appointments = app.get(AppointmentsService);
    const patientId = randomUUID();
    await db.insert(patients).values({ id: patientId, clinicId: DEMO.clinicId, firstName: 'Lena', lastName: 'List', phone: '+12125550143', timezone: DEMO.clinicTimezone, preferredChannel: 'sms', smsConsent: true });
    // 1,001 past appointments of one patient, an hour apart (cancelled, so none holds a slot), then one today.
    const first = DateTime.fromISO('2025-01-06T15:00:00Z');
    await db.execute(sql`
      INSERT INTO scheduling.appointments (id, clinic_id, patient_id, clinician_id, procedure_type, starts_at, ends_at, blocks_until, status)
      SELECT gen_random_uuid(), ${DEMO.clinicId}::uuid, ${patientId}::uuid, ${clinician}::uuid, 'consultation', t, t + interval '30 minutes', t + interval '30 minutes', 'cancelled'
        FROM generate_series(${first.toISO()}::timestamptz, ${first.toISO()}::timestamptz + interval '1000 hours', interval '1 hour') AS t`);
    const today = DateTime.now().toUTC().startOf('hour');
    await db.execute(sql`
      INSERT INTO scheduling.appointments (id, clinic_id, patient_id, clinician_id, procedure_type, starts_at, ends_at, blocks_until, status)
      VALUES (gen_random_uuid(), ${DEMO.clinicId}::uuid, ${patientId}::uuid, ${clinician}::uuid, 'consultation', ${today.toISO()}::timestamptz, ${today.plus({ minutes: 30 }).toISO()}::timestamptz, ${today.plus({ minutes: 30 }).toISO()}::timestamptz, 'cancelled')`);

    // 1,002 match: not the oldest 1,000 (today's would be missing), but how to ask.
    await expect(appointments.list(ctx, { patientId })).rejects.toMatchObject({ code: 'APPOINTMENT.TOO_MANY', statusCode: 400, field: 'from', message: expect.stringContaining('limit and cursor') });
    // Narrowed, an array as before.
    const recent = await appointments.list(ctx, { patientId, from: today.minus({ days: 1 }).toISO()! });
    expect(Array.isArray(recent) && recent.map((a) => a.startsAt)).toEqual([today.toJSDate().toISOString()]);

    // Paged: every one once, in time order, the last page without a cursor.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await appointments.list(ctx, { patientId, limit: 500, ...(cursor ? { cursor } : {}) });
      if (Array.isArray(page)) throw new Error('a paged request answered an array');
      seen.push(...page.items.map((a) => a.startsAt));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(1002);
    expect(new Set(seen).size).toBe(1002);
    expect([...seen].sort()).toEqual(seen);
    expect(seen.at(-1)).toBe(today.toJSDate().toISOString());
    await expect(appointments.list(ctx, { patientId, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'APPOINTMENT.BAD_CURSOR', field: 'cursor' });
  });

  /** Every item of a paged list, page after page (pages of `limit`), with how many pages it took. */
  async function allPages<T>(list: (cursor?: string) => Promise<T[] | { items: T[]; nextCursor: string | null }>): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(cursor);
      if (Array.isArray(page)) throw new Error('a paged request answered an array');
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    return { items, pages };
  }

  it('searches patients by name: every match as an array, pages with limit and cursor, and a 400 saying how to narrow rather than the first 200 when more match', async () => {
    const patientsService = app.get(PatientsService);
    // 205 Pagewoods, three of them with the same name (the id orders them).
    await db.execute(sql`
      INSERT INTO scheduling.patients (id, clinic_id, first_name, last_name, phone, timezone, preferred_channel, sms_consent)
      SELECT gen_random_uuid(), ${DEMO.clinicId}::uuid, CASE WHEN n <= 3 THEN 'Ada' ELSE 'Ada' || lpad(n::text, 3, '0') END, 'Pagewood',
             '+1212777' || lpad(n::text, 4, '0'), ${DEMO.clinicTimezone}, 'sms', true
        FROM generate_series(1, 205) AS n`);

    await expect(patientsService.list(ctx, { query: 'pagewood' })).rejects.toMatchObject({ code: 'PATIENT.TOO_MANY', statusCode: 400, field: 'query', message: expect.stringContaining('limit and cursor') });
    const narrowed = await patientsService.list(ctx, { query: 'Ada204 Pagewood' });
    expect(Array.isArray(narrowed) && narrowed.map((p) => `${p.firstName} ${p.lastName}`)).toEqual(['Ada204 Pagewood']);

    const { items, pages } = await allPages((cursor) => patientsService.list(ctx, { query: 'pagewood', limit: 100, ...(cursor ? { cursor } : {}) }));
    expect(pages).toBe(3);
    expect(items).toHaveLength(205);
    expect(new Set(items.map((p) => p.id)).size).toBe(205);
    const names = items.map((p) => p.firstName);
    expect(names.slice(0, 4)).toEqual(['Ada', 'Ada', 'Ada', 'Ada004']);
    expect(names.at(-1)).toBe('Ada205');
    // The three of one name come in id order (the cursor's tie-break), also across a page's end.
    expect(items.slice(0, 3).map((p) => p.id)).toEqual(items.slice(0, 3).map((p) => p.id).sort());
    const sameName = await allPages((cursor) => patientsService.list(ctx, { query: 'Ada Pagewood', limit: 2, ...(cursor ? { cursor } : {}) }));
    expect([sameName.pages, sameName.items.map((p) => p.id)]).toEqual([2, items.slice(0, 3).map((p) => p.id)]);
    await expect(patientsService.list(ctx, { query: 'pagewood', cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'PATIENT.BAD_CURSOR', field: 'cursor' });
  });

  it('lists a waitlist history newest first: a long one pages with limit and cursor, each entry once, and unpaged is a 400 saying how to narrow', async () => {
    const patientId = randomUUID();
    await db.insert(patients).values({ id: patientId, clinicId: DEMO.clinicId, firstName: 'Hedda', lastName: 'History', phone: '+12125550147', timezone: DEMO.clinicTimezone, preferredChannel: 'sms', smsConsent: true });
    // 501 expired entries a minute apart, and three more added at the same instant as the 200th newest (to the microsecond): the first page ends among them.
    await db.execute(sql`
      INSERT INTO scheduling.waitlist_entries (id, clinic_id, patient_id, procedure_type, earliest_date, latest_date, status, created_at, updated_at)
      SELECT gen_random_uuid(), ${DEMO.clinicId}::uuid, ${patientId}::uuid, 'consultation', '2025-01-01', '2025-01-02', 'expired', t, t
        FROM generate_series('2025-01-01T10:00:00.123456Z'::timestamptz, '2025-01-01T10:00:00.123456Z'::timestamptz + interval '500 minutes', interval '1 minute') AS t`);
    await db.execute(sql`
      INSERT INTO scheduling.waitlist_entries (id, clinic_id, patient_id, procedure_type, earliest_date, latest_date, status, created_at, updated_at)
      SELECT gen_random_uuid(), ${DEMO.clinicId}::uuid, ${patientId}::uuid, 'consultation', '2025-01-01', '2025-01-02', 'expired', '2025-01-01T15:01:00.123456Z', now()
        FROM generate_series(1, 3)`);

    await expect(waitlist.list(ctx, { status: 'expired', patientId })).rejects.toMatchObject({ code: 'WAITLIST.TOO_MANY', statusCode: 400, field: 'procedureType', message: expect.stringContaining('limit and cursor') });
    const { items, pages } = await allPages((cursor) => waitlist.list(ctx, { status: 'expired', patientId, limit: 200, ...(cursor ? { cursor } : {}) }));
    expect(pages).toBe(3);
    expect(items).toHaveLength(504);
    expect(new Set(items.map((e) => e.id)).size).toBe(504);
    const added = items.map((e) => e.createdAt);
    expect([...added].sort().reverse()).toEqual(added);
    expect(added[0]).toBe('2025-01-01T18:20:00.123Z');
    await expect(waitlist.list(ctx, { status: 'expired', patientId, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'WAITLIST.BAD_CURSOR', field: 'cursor' });
  });

  it('a patient who leaves the list while freed time is being offered gets no offer', async () => {
    const day = wednesdayAt10(2);
    const { entryId } = await waitingPatient(day);
    // The offer has read the entry as waiting; its writes wait for a lock on the offers table.
    const lock = await holding('LOCK TABLE scheduling.waitlist_offers IN EXCLUSIVE MODE');
    const offering = db.transaction((tx) =>
      waitlist.offerFreedTime(tx, { clinicId: DEMO.clinicId, clinicianId: clinician, startsAt: day.toJSDate(), slotKey: `test:${randomUUID()}`, releasedByPatientId: null, correlationId: randomUUID() }),
    );
    await waitForLockWaiters(db, 1);
    // Meanwhile the front desk takes the patient off the list.
    const cancelling = waitlist.cancel(ctx, entryId);
    await Promise.race([cancelling, waitForLockWaiters(db, 2).catch(() => undefined)]);
    await lock.release();
    const [, cancelled] = await Promise.all([offering, cancelling]);

    expect(cancelled.status).toBe('cancelled');
    const [entry] = await db.select({ status: waitlistEntries.status }).from(waitlistEntries).where(eq(waitlistEntries.id, entryId));
    expect(entry!.status).toBe('cancelled');
    const pending = await db.select().from(waitlistOffers).where(and(eq(waitlistOffers.entryId, entryId), eq(waitlistOffers.status, 'pending')));
    expect(pending).toEqual([]);
  });

  it('two freed times offered at once give each waiting patient one offer, not two', async () => {
    const day = wednesdayAt10(3);
    const first = await waitingPatient(day);
    const second = await waitingPatient(day);
    const freed = (minutes: number) => ({
      clinicId: DEMO.clinicId,
      clinicianId: clinician,
      startsAt: day.plus({ minutes }).toJSDate(),
      slotKey: `test:${randomUUID()}`,
      releasedByPatientId: null,
      correlationId: randomUUID(),
    });
    // Both offers read the same patients waiting before either writes.
    const lock = await holding('LOCK TABLE scheduling.waitlist_offers IN EXCLUSIVE MODE');
    const a = db.transaction((tx) => waitlist.offerFreedTime(tx, freed(0)));
    const b = db.transaction((tx) => waitlist.offerFreedTime(tx, freed(60)));
    await waitForLockWaiters(db, 2);
    await lock.release();
    await Promise.all([a, b]);

    const pendingOf = async (entryId: string) => db.select().from(waitlistOffers).where(and(eq(waitlistOffers.entryId, entryId), eq(waitlistOffers.status, 'pending')));
    expect((await pendingOf(first.entryId)).length).toBe(1);
    expect((await pendingOf(second.entryId)).length).toBe(1);
  });

  it("two admins saving different clinic settings at once both keep their change", async () => {
    const setup = app.get(ClinicSetupService);
    const admin: RequestContext = { ...ctx, role: 'admin' };
    // The first admin's save has written the phone and not committed yet.
    const first = await holding(`UPDATE scheduling.clinics SET phone = '+12125550177' WHERE id = '${DEMO.clinicId}'`);
    const second = setup.updateClinic(admin, { name: 'Aftercare Riverside' });
    await Promise.race([second, waitForLockWaiters(db, 1).catch(() => undefined)]);
    await first.release();
    const saved = await second;
    expect([saved.name, saved.phone]).toEqual(['Aftercare Riverside', '+12125550177']);
    const [row] = await db.select({ name: clinics.name, phone: clinics.phone }).from(clinics).where(eq(clinics.id, DEMO.clinicId));
    expect(row).toEqual({ name: 'Aftercare Riverside', phone: '+12125550177' });
  });

  it("the care plan's visit: booked once per step, and only looked up when the plan has ended", async () => {
    const appointments = app.get(AppointmentsService);
    const day = wednesdayAt10(5);
    const patientId = randomUUID();
    await db.insert(patients).values({ id: patientId, clinicId: DEMO.clinicId, firstName: 'Vera', lastName: 'Test', phone: '+12125550143', timezone: DEMO.clinicTimezone, preferredChannel: 'sms', smsConsent: true });
    const system: RequestContext = { ...ctx, role: 'system' };
    const request = { patientId, clinicianId: clinician, procedureType: 'follow_up_visit', windowStart: day.toISO()!, windowEnd: day.plus({ days: 2 }).toISO()!, idempotencyKey: randomUUID() };
    const countOf = async () => (await db.select({ id: appointmentsTable.id }).from(appointmentsTable).where(eq(appointmentsTable.patientId, patientId))).length;

    expect(await appointments.bookInWindow(system, { ...request, existingOnly: true })).toEqual({ appointment: null });
    expect(await countOf()).toBe(0);
    const first = await appointments.bookInWindow(system, request);
    expect(first.appointment).toMatchObject({ patientId, status: 'booked' });
    expect((await appointments.bookInWindow(system, request)).appointment!.id).toBe(first.appointment!.id);
    expect((await appointments.bookInWindow(system, { ...request, existingOnly: true })).appointment!.id).toBe(first.appointment!.id);
    expect(await countOf()).toBe(1);
  });
});
