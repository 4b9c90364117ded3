import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { and, asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import ICAL from 'ical.js';
import type { Pool } from 'pg';
import { DEFAULT_QUIET_HOURS, ManualClock } from '@aftercare/clock';
import type { AppConfig } from '@aftercare/config';
import { EVENT_VERSIONS, type EventEnvelope, type EventPayloads, type EventType } from '@aftercare/contracts';
import { createPool, migrate, type Db } from '@aftercare/database';
import { createTestDatabase, holdTransaction, waitForLockWaiters, type TestDatabase } from '@aftercare/testing';
import { NOTIFICATIONS_MIGRATIONS } from './database/migrations.js';
import { appointments, messages, notificationsMessaging, recipients, waitlistOffers, type MessageRow } from './database/schema.js';
import { MessageSenderService } from './delivery/message-sender.service.js';
import { NotificationsEventsController } from './events/notifications-events.controller.js';
import { InboundSmsService } from './inbound/inbound-sms.service.js';
import { LogMailer } from './providers/log.mailer.js';
import { LogSmsSender } from './providers/log.sms-sender.js';
import { RecordingQueue, wireNotifications } from './notifications.spec-support.js';

/**
 * Notifications' event handlers, inbound SMS and sender on a real PostgreSQL (migrated
 * notifications schema), wired by hand: no Redis, the queue is a recorder of the jobs that
 * would be added or removed, the providers are the log ones, the clock is manual.
 */

const CLINIC_ID = randomUUID();
const NY = 'America/New_York';
/** Monday 27 October 2025, 10:00 EDT: a week before New York's clocks go back. */
const MONDAY_10AM = new Date('2025-10-27T14:00:00Z');
const HOUR = 3_600_000;

const clock = new ManualClock(MONDAY_10AM);
const config = { quietHours: DEFAULT_QUIET_HOURS, smtp: null, twilio: null, publicUrl: 'http://localhost:3000', smsCap: { daily: 2, weekly: 6, preset: 'default' }, providerConcurrency: 8 } as unknown as AppConfig;

let testDb: TestDatabase;
let pool: Pool;
let db: Db;
let queue: RecordingQueue;
let sms: LogSmsSender;
let mailer: LogMailer;
let controller: NotificationsEventsController;
let inbound: InboundSmsService;
let sender: MessageSenderService;

beforeAll(async () => {
  testDb = await createTestDatabase('aftercare_test_notifications');
  pool = createPool(testDb.url, 'notifications-test', 4);
  await migrate(pool, 'notifications', NOTIFICATIONS_MIGRATIONS);
  db = drizzle({ client: pool });

  queue = new RecordingQueue();
  sms = new LogSmsSender();
  mailer = new LogMailer();
  const wired = wireNotifications(db, clock, config, queue);
  ({ controller, inbound } = wired);
  sender = new MessageSenderService(db, config, clock, sms, mailer, wired.fallback, wired.messages);

  await controller.clinicUpserted(
    envelope('clinic.upserted', { clinicId: CLINIC_ID, name: 'Aftercare Demo Clinic', phone: '+12125550100', email: 'appointments@aftercare.local', timezone: NY }),
  );
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

beforeEach(() => clock.set(MONDAY_10AM));

// ---- helpers ----

function envelope<T extends EventType>(type: T, payload: EventPayloads[T]): EventEnvelope<T> {
  const id = randomUUID();
  return { id, type, version: EVENT_VERSIONS[type], clinicId: CLINIC_ID, occurredAt: clock.now().toISOString(), correlationId: id, causationId: null, payload };
}

let phoneCounter = 1000;
async function registerPatient(overrides: Partial<EventPayloads['patient.registered']> = {}): Promise<EventPayloads['patient.registered']> {
  const patient: EventPayloads['patient.registered'] = {
    patientId: randomUUID(),
    firstName: 'Ana',
    lastName: 'García',
    phone: `+1212555${phoneCounter++}`,
    email: 'ana.garcia@example.com',
    timezone: NY,
    preferredChannel: 'both',
    smsConsent: true,
    language: 'en',
    ...overrides,
  };
  await controller.patientRegistered(envelope('patient.registered', patient));
  return patient;
}

function bookedPayload(patientId: string, startsAt: string, overrides: Partial<EventPayloads['appointment.booked']> = {}): EventPayloads['appointment.booked'] {
  return {
    appointmentId: randomUUID(),
    patientId,
    clinicianId: randomUUID(),
    clinicianName: 'Dr. Rivera',
    procedureType: 'bmac_injection',
    startsAt,
    endsAt: new Date(new Date(startsAt).getTime() + 2 * HOUR).toISOString(),
    sequence: 0,
    bookedByCarePlan: false,
    bookingTaskId: null,
    waitlistOfferId: null,
    ...overrides,
  };
}

const messagesOf = (patientId: string): Promise<MessageRow[]> =>
  db.select().from(messages).where(eq(messages.patientId, patientId)).orderBy(asc(messages.createdAt), asc(messages.sendAt), asc(messages.kind), asc(messages.channel));

const only = <T>(rows: T[]): T => {
  expect(rows).toHaveLength(1);
  return rows[0];
};

const outboxRows = (eventType: string) =>
  db.select().from(notificationsMessaging.outbox).where(eq(notificationsMessaging.outbox.eventType, eventType));

/** Parses an invite as a mail client would (ical.js); TZIDs resolve through the invite's own VTIMEZONE. */
function parseInvite(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const vevent = calendar.getFirstSubcomponent('vevent')!;
  const event = new ICAL.Event(vevent);
  return {
    method: calendar.getFirstPropertyValue('method'),
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue('status'),
    tzid: vevent.getFirstProperty('dtstart')!.getParameter('tzid'),
    vtimezones: calendar.getAllSubcomponents('vtimezone').map((c) => c.getFirstPropertyValue('tzid')),
    startsAt: event.startDate.toJSDate().toISOString(),
    endsAt: event.endDate.toJSDate().toISOString(),
  };
}

/** Sends every message of the patient that is due by now, as the BullMQ worker would. */
async function sendDue(patientId: string): Promise<void> {
  for (const row of await messagesOf(patientId)) {
    if (row.direction === 'outbound' && row.status === 'scheduled' && row.sendAt && row.sendAt <= clock.now()) await sender.send(row.id);
  }
}

// ---- tests ----

describe('appointments', () => {
  it('confirms a booking at once with an .ics REQUEST in the clinic zone, and plans the reminders; jobs carry ids only', async () => {
    const patient = await registerPatient();
    // Booked in EDT for the Monday after the clocks go back: 14:30 EST.
    const booked = bookedPayload(patient.patientId, '2025-11-03T19:30:00Z');
    const addedBefore = queue.added.length;
    expect(await controller.booked(envelope('appointment.booked', booked))).toEqual({ ack: true, duplicate: false });

    const rows = await messagesOf(patient.patientId);
    const confirmations = rows.filter((r) => r.kind === 'booking_confirmation');
    expect(confirmations.map((r) => [r.channel, r.status, r.sendAt?.toISOString()])).toEqual([
      ['email', 'scheduled', MONDAY_10AM.toISOString()],
      ['sms', 'scheduled', MONDAY_10AM.toISOString()],
    ]);
    expect(confirmations.find((r) => r.channel === 'sms')!.body).toContain('Mon, Nov 3 at 2:30 PM EST');

    const invite = parseInvite(confirmations.find((r) => r.channel === 'email')!.ics!);
    expect(invite).toEqual({
      method: 'REQUEST',
      uid: `${booked.appointmentId}@aftercare`,
      sequence: 0,
      status: 'CONFIRMED',
      tzid: NY,
      vtimezones: [NY],
      startsAt: '2025-11-03T19:30:00.000Z',
      endsAt: '2025-11-03T21:30:00.000Z',
    });
    expect(confirmations.find((r) => r.channel === 'email')!.ics).toContain('DTSTART;TZID=America/New_York:20251103T143000');

    // 48 h before is 48 real hours across the change: Saturday 15:30 EDT; 2 h before: 12:30 EST.
    const reminders = rows.filter((r) => r.kind === 'reminder' && r.channel === 'sms');
    expect(reminders.map((r) => r.sendAt?.toISOString())).toEqual(['2025-11-01T19:30:00.000Z', '2025-11-03T17:30:00.000Z']);

    const jobs = queue.added.slice(addedBefore);
    expect(jobs.map((j) => j.opts.jobId).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const job of jobs) {
      expect(job).toMatchObject({ name: 'message.send', data: { id: job.opts.jobId } });
      expect(Object.keys(job.data as object)).toEqual(['id']);
    }
  });

  it('changes nothing when the same event is delivered again', async () => {
    const patient = await registerPatient();
    const event = envelope('appointment.booked', bookedPayload(patient.patientId, '2025-11-05T15:00:00Z'));
    await controller.booked(event);
    const before = await messagesOf(patient.patientId);
    expect(await controller.booked(event)).toEqual({ ack: true, duplicate: true });
    expect(await messagesOf(patient.patientId)).toEqual(before);
  });

  it('moves the reminders on a reschedule and sends an .ics with the same UID and a higher SEQUENCE', async () => {
    const patient = await registerPatient();
    const booked = bookedPayload(patient.patientId, '2025-11-05T15:00:00Z');
    await controller.booked(envelope('appointment.booked', booked));
    const oldReminders = (await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder');
    expect(oldReminders).toHaveLength(4);

    clock.advance(HOUR);
    const removedBefore = queue.removed.length;
    await controller.rescheduled(
      envelope('appointment.rescheduled', {
        appointmentId: booked.appointmentId,
        patientId: patient.patientId,
        clinicianId: booked.clinicianId,
        clinicianName: booked.clinicianName,
        procedureType: booked.procedureType,
        startsAt: '2025-11-07T19:00:00Z',
        endsAt: '2025-11-07T21:00:00Z',
        sequence: 1,
        previousStartsAt: booked.startsAt,
      }),
    );

    const rows = await messagesOf(patient.patientId);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const old of oldReminders) expect(byId.get(old.id)!.status).toBe('cancelled');
    expect(queue.removed.slice(removedBefore)).toEqual(expect.arrayContaining(oldReminders.map((r) => r.id)));

    const pendingReminders = rows.filter((r) => r.kind === 'reminder' && r.status === 'scheduled' && r.channel === 'sms');
    expect(pendingReminders.map((r) => r.sendAt?.toISOString())).toEqual(['2025-11-05T19:00:00.000Z', '2025-11-07T17:00:00.000Z']);

    const first = parseInvite(rows.find((r) => r.kind === 'booking_confirmation' && r.channel === 'email')!.ics!);
    const moved = parseInvite(rows.find((r) => r.kind === 'rescheduled' && r.channel === 'email')!.ics!);
    expect(moved.method).toBe('REQUEST');
    expect(moved.uid).toBe(first.uid);
    expect(moved.sequence).toBeGreaterThan(first.sequence);
    expect(moved.startsAt).toBe('2025-11-07T19:00:00.000Z');
    expect(moved.tzid).toBe(NY);
  });

  it('cancels the reminders on a cancellation and mails an .ics CANCEL that reaches the mailer as such', async () => {
    const patient = await registerPatient();
    const booked = bookedPayload(patient.patientId, '2025-11-05T15:00:00Z');
    await controller.booked(envelope('appointment.booked', booked));
    await sendDue(patient.patientId); // the confirmation goes out
    const confirmation = parseInvite((await messagesOf(patient.patientId)).find((r) => r.kind === 'booking_confirmation' && r.channel === 'email')!.ics!);

    clock.advance(HOUR);
    await controller.cancelled(
      envelope('appointment.cancelled', {
        appointmentId: booked.appointmentId,
        patientId: patient.patientId,
        clinicianId: booked.clinicianId,
        procedureType: booked.procedureType,
        startsAt: booked.startsAt,
        reason: null,
        sequence: 1,
        bookedByCarePlan: false,
      }),
    );
    const rows = await messagesOf(patient.patientId);
    expect(rows.filter((r) => r.kind === 'reminder').every((r) => r.status === 'cancelled')).toBe(true);
    const email = only(rows.filter((r) => r.kind === 'cancellation' && r.channel === 'email'));

    await sender.send(email.id);
    const sent = only(await db.select().from(messages).where(eq(messages.id, email.id)));
    expect(sent.status).toBe('sent');
    const mail = only(mailer.sent.filter((m) => m.providerMessageId === sent.providerMessageId));
    expect(mail.icalEvent?.method).toBe('CANCEL');
    const invite = parseInvite(mail.icalEvent!.content);
    expect(invite).toMatchObject({ method: 'CANCEL', status: 'CANCELLED', uid: confirmation.uid, tzid: NY, startsAt: booked.startsAt.replace('Z', '.000Z') });
    expect(invite.sequence).toBeGreaterThan(confirmation.sequence);
  });

  it("writes to a patient in the language they registered with", async () => {
    const patient = await registerPatient({ language: 'es' });
    expect(only(await db.select().from(recipients).where(eq(recipients.id, patient.patientId))).language).toBe('es');
    await controller.booked(envelope('appointment.booked', bookedPayload(patient.patientId, '2025-11-05T15:00:00Z')));
    const confirmation = only((await messagesOf(patient.patientId)).filter((r) => r.kind === 'booking_confirmation' && r.channel === 'sms'));
    expect(confirmation.body).toContain('queda reservada para el miércoles 5 de noviembre a las 10:00 a.m. EST');
  });

  it('stops the reminders when the patient checks in; a reminder woken anyway is not sent', async () => {
    const patient = await registerPatient();
    const booked = bookedPayload(patient.patientId, '2025-10-29T15:00:00Z');
    await controller.booked(envelope('appointment.booked', booked));
    await controller.checkedIn(envelope('appointment.checked-in', { appointmentId: booked.appointmentId, patientId: patient.patientId, at: clock.now().toISOString() }));

    const reminders = (await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(reminders.every((r) => r.status === 'cancelled')).toBe(true);
    expect(only(await db.select().from(appointments).where(eq(appointments.id, booked.appointmentId))).status).toBe('checked_in');

    // A reminder that was already on its way when the check-in landed (a race) stops at the sender.
    await db.update(messages).set({ status: 'queued' }).where(eq(messages.id, reminders[0].id));
    clock.set(reminders[0].sendAt!);
    const smsBefore = sms.sent.length;
    await sender.send(reminders[0].id);
    const after = only(await db.select().from(messages).where(eq(messages.id, reminders[0].id)));
    expect([after.status, after.errorCode]).toEqual(['cancelled', 'APPOINTMENT_CHECKED_IN']);
    expect(sms.sent.length).toBe(smsBefore);
  });

  it('stops the reminders of a missed appointment and marks the copy no_show', async () => {
    const patient = await registerPatient();
    const booked = bookedPayload(patient.patientId, '2025-10-30T15:00:00Z');
    await controller.booked(envelope('appointment.booked', booked));
    await controller.noShow(
      envelope('appointment.no-show', {
        appointmentId: booked.appointmentId,
        patientId: patient.patientId,
        clinicianId: booked.clinicianId,
        procedureType: booked.procedureType,
        startsAt: booked.startsAt,
        sequence: 1,
        bookedByCarePlan: false,
      }),
    );
    expect((await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder').every((r) => r.status === 'cancelled')).toBe(true);
    const copy = only(await db.select().from(appointments).where(eq(appointments.id, booked.appointmentId)));
    expect([copy.status, copy.sequence]).toEqual(['no_show', 1]);
  });

  it('sends the confirmation of a waitlist booking at once in quiet hours; an ordinary one waits for 08:00', async () => {
    clock.set(new Date('2025-10-28T02:30:00Z')); // 22:30 EDT
    const fromOffer = await registerPatient();
    const ordinary = await registerPatient();
    await controller.booked(envelope('appointment.booked', bookedPayload(fromOffer.patientId, '2025-10-30T14:00:00Z', { waitlistOfferId: randomUUID() })));
    await controller.booked(envelope('appointment.booked', bookedPayload(ordinary.patientId, '2025-10-30T16:00:00Z')));

    const sendAt = async (patientId: string) =>
      [...new Set((await messagesOf(patientId)).filter((r) => r.kind === 'booking_confirmation').map((r) => r.sendAt?.toISOString()))];
    expect(await sendAt(fromOffer.patientId)).toEqual(['2025-10-28T02:30:00.000Z']);
    expect(await sendAt(ordinary.patientId)).toEqual(['2025-10-28T12:00:00.000Z']);
  });
});

describe('waitlist offers', () => {
  const offerPayload = (patientId: string, overrides: Partial<EventPayloads['waitlist.offered']> = {}): EventPayloads['waitlist.offered'] => ({
    offerId: randomUUID(),
    entryId: randomUUID(),
    patientId,
    clinicianId: randomUUID(),
    clinicianName: 'Dr. Rivera',
    procedureType: 'bmac_injection',
    startsAt: '2025-10-29T14:00:00Z',
    endsAt: '2025-10-29T16:00:00Z',
    expiresAt: '2025-10-27T18:00:00Z', // 4 hours after MONDAY_10AM
    ...overrides,
  });

  const offerCopy = async (offerId: string) => only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offerId)));
  const offerTexts = async (patientId: string, offerId: string) =>
    db.select().from(messages).where(and(eq(messages.patientId, patientId), eq(messages.waitlistOfferId, offerId))).orderBy(asc(messages.createdAt), asc(messages.kind));

  it("keeps a copy and texts the offer: the time in the patient's zone, the clinician, YES by the expiry, how to opt out, no procedure", async () => {
    const patient = await registerPatient({ timezone: 'America/Chicago', preferredChannel: 'sms' });
    const offer = offerPayload(patient.patientId);
    expect(await controller.waitlistOffered(envelope('waitlist.offered', offer))).toEqual({ ack: true, duplicate: false });

    expect(await offerCopy(offer.offerId)).toMatchObject({ status: 'pending', patientId: patient.patientId, expiresAt: new Date(offer.expiresAt) });
    const text = only(await offerTexts(patient.patientId, offer.offerId));
    expect([text.kind, text.channel, text.status, text.sendAt?.toISOString()]).toEqual(['waitlist_offer', 'sms', 'scheduled', MONDAY_10AM.toISOString()]);
    expect(text.body).toBe(
      'Hi Ana, a time has opened up at Aftercare Demo Clinic with Dr. Rivera: Wed, Oct 29 at 9:00 AM CDT. ' +
        'Reply YES by Mon, Oct 27 at 1:00 PM CDT to take it. If not, you stay on our waitlist. ' +
        'Questions? Call +12125550100. Reply STOP to opt out.',
    );
    expect(text.body).not.toMatch(/bmac|injection/i);
  });

  it('writes by email to a patient who may not be texted', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms', smsConsent: false });
    const offer = offerPayload(patient.patientId);
    await controller.waitlistOffered(envelope('waitlist.offered', offer));
    const text = only(await offerTexts(patient.patientId, offer.offerId));
    expect([text.kind, text.channel]).toEqual(['waitlist_offer', 'email']);
    expect(text.body).toContain('reply YES to our text message by Mon, Oct 27 at 2:00 PM EDT, or call us at +12125550100');
  });

  it('holds an offer made in quiet hours until 08:00, and drops it if the offer closes before then', async () => {
    clock.set(new Date('2025-10-28T02:30:00Z')); // 22:30 EDT
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = offerPayload(patient.patientId, { expiresAt: '2025-10-28T14:00:00Z' });
    await controller.waitlistOffered(envelope('waitlist.offered', offer));
    const held = only(await offerTexts(patient.patientId, offer.offerId));
    expect(held.sendAt?.toISOString()).toBe('2025-10-28T12:00:00.000Z');

    clock.set(new Date('2025-10-28T03:00:00Z'));
    const removedBefore = queue.removed.length;
    await controller.waitlistOfferClosed(envelope('waitlist.offer-closed', { offerId: offer.offerId, patientId: patient.patientId, reason: 'taken', appointmentId: null }));
    const after = only(await offerTexts(patient.patientId, offer.offerId)); // and no "sorry, taken": they never saw the offer
    expect([after.status, after.errorCode]).toEqual(['cancelled', 'OFFER_CLOSED']);
    expect(queue.removed.slice(removedBefore)).toEqual([held.id]);
    expect((await offerCopy(offer.offerId)).status).toBe('taken');
  });

  it('does not send an offer held past its expiry by quiet hours', async () => {
    clock.set(new Date('2025-10-28T02:30:00Z')); // 22:30 EDT, expires 23:30 EDT
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = offerPayload(patient.patientId, { expiresAt: '2025-10-28T03:30:00Z' });
    await controller.waitlistOffered(envelope('waitlist.offered', offer));
    const held = only(await offerTexts(patient.patientId, offer.offerId));

    clock.set(held.sendAt!);
    await sender.send(held.id);
    const after = only(await offerTexts(patient.patientId, offer.offerId));
    expect([after.status, after.errorCode]).toEqual(['cancelled', 'OFFER_CLOSED']);
  });

  it.each<[EventPayloads['waitlist.offer-closed']['reason'], string | null]>([
    ['taken', 'waitlist_taken'],
    ['expired', 'waitlist_expired'],
    ['booked', null],
    ['withdrawn', null],
  ])('closed as %s after the offer went out: the copy follows, and the patient hears %s', async (reason, kind) => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = offerPayload(patient.patientId);
    await controller.waitlistOffered(envelope('waitlist.offered', offer));
    await sendDue(patient.patientId);
    expect(only(await offerTexts(patient.patientId, offer.offerId)).status).toBe('sent');

    clock.advance(HOUR);
    const appointmentId = reason === 'booked' ? randomUUID() : null;
    await controller.waitlistOfferClosed(envelope('waitlist.offer-closed', { offerId: offer.offerId, patientId: patient.patientId, reason, appointmentId }));

    expect(await offerCopy(offer.offerId)).toMatchObject({ status: reason, appointmentId, closedAt: clock.now() });
    const followUps = (await offerTexts(patient.patientId, offer.offerId)).filter((r) => r.kind !== 'waitlist_offer');
    if (!kind) {
      expect(followUps).toEqual([]);
      return;
    }
    const followUp = only(followUps);
    expect([followUp.kind, followUp.channel, followUp.status]).toEqual([kind, 'sms', 'scheduled']);
    expect(followUp.body).toContain('Wed, Oct 29 at 10:00 AM EDT');
    expect(followUp.body).toContain('You stay on our waitlist');
  });
});

describe('inbound YES', () => {
  const offerFor = async (patientId: string, expiresAt = '2025-10-27T18:00:00Z') => {
    const offer: EventPayloads['waitlist.offered'] = {
      offerId: randomUUID(),
      entryId: randomUUID(),
      patientId,
      clinicianId: randomUUID(),
      clinicianName: 'Dr. Rivera',
      procedureType: 'bmac_injection',
      startsAt: '2025-10-29T14:00:00Z',
      endsAt: '2025-10-29T16:00:00Z',
      expiresAt,
    };
    await controller.waitlistOffered(envelope('waitlist.offered', offer));
    await sendDue(patientId);
    return offer;
  };
  const text = (from: string, body: string) => ({ messageSid: `SM${randomUUID().replace(/-/g, '')}`, from, to: '+12125550100', body });
  const inboundId = async (messageSid: string) => only(await db.select().from(messages).where(eq(messages.providerMessageId, messageSid))).id;

  it('accepts an open offer: waitlist.offer-accepted in the outbox with the inbound message, and an answer at once', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = await offerFor(patient.patientId);
    clock.advance(HOUR);
    const sms = text(patient.phone, 'Yes!');

    const { reply } = await inbound.receive(sms);
    expect(reply).toBe(
      'Thank you, Ana. We are booking Wed, Oct 29 at 10:00 AM EDT at Aftercare Demo Clinic for you; you will get a confirmation shortly. ' +
        'Questions? Call +12125550100. Reply STOP to opt out.',
    );

    const messageId = await inboundId(sms.messageSid);
    const published = (await outboxRows('waitlist.offer-accepted')).filter((r) => (r.envelope as EventEnvelope<'waitlist.offer-accepted'>).payload.offerId === offer.offerId);
    expect(published.map((r) => r.subscriber)).toEqual(['scheduling']);
    expect((published[0].envelope as EventEnvelope<'waitlist.offer-accepted'>).payload).toEqual({
      offerId: offer.offerId,
      patientId: patient.patientId,
      messageId,
      at: clock.now().toISOString(),
    });
    expect(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId))).toEqual([
      expect.objectContaining({ status: 'accepted', acceptedMessageId: messageId, acceptedAt: clock.now() }),
    ]);
    const answer = (await messagesOf(patient.patientId)).filter((r) => r.kind === 'waitlist_accept_received');
    expect(only(answer)).toMatchObject({ direction: 'outbound', status: 'sent', body: reply });

    // A second YES finds no open offer any more: no second acceptance.
    expect((await inbound.receive(text(patient.phone, 'YES'))).reply).toContain('has received your message');
    expect((await outboxRows('waitlist.offer-accepted')).filter((r) => (r.envelope as EventEnvelope<'waitlist.offer-accepted'>).payload.offerId === offer.offerId)).toHaveLength(1);
  });

  it('a YES in time meets the expiry job on the way: no "expired" text, the booking follows', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = await offerFor(patient.patientId);
    clock.advance(HOUR);
    await inbound.receive(text(patient.phone, 'YES'));
    // Scheduling's expiry job ran before the YES reached it: it reports the offer expired, then books it for the YES.
    await controller.waitlistOfferClosed(envelope('waitlist.offer-closed', { offerId: offer.offerId, patientId: patient.patientId, reason: 'expired', appointmentId: null }));
    expect(only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId))).status).toBe('accepted');
    expect((await messagesOf(patient.patientId)).filter((r) => r.kind === 'waitlist_expired')).toEqual([]);
    const appointmentId = randomUUID();
    await controller.waitlistOfferClosed(envelope('waitlist.offer-closed', { offerId: offer.offerId, patientId: patient.patientId, reason: 'booked', appointmentId }));
    expect(only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId)))).toMatchObject({ status: 'booked', appointmentId });
  });

  it('a YES that loses the time to a faster one is told it was taken', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = await offerFor(patient.patientId);
    clock.advance(HOUR);
    await inbound.receive(text(patient.phone, 'YES'));
    await controller.waitlistOfferClosed(envelope('waitlist.offer-closed', { offerId: offer.offerId, patientId: patient.patientId, reason: 'taken', appointmentId: null }));
    expect(only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId))).status).toBe('taken');
    expect((await messagesOf(patient.patientId)).filter((r) => r.kind === 'waitlist_taken')).toHaveLength(1);
  });

  it('answers as before when the offer has run out by the clock (even before offer-closed arrives)', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = await offerFor(patient.patientId);
    clock.set(new Date(offer.expiresAt));
    const { reply } = await inbound.receive(text(patient.phone, 'yes'));
    expect(reply).toContain('Aftercare Demo Clinic has received your message');
    expect((await outboxRows('waitlist.offer-accepted')).filter((r) => (r.envelope as EventEnvelope<'waitlist.offer-accepted'>).payload.offerId === offer.offerId)).toEqual([]);
    expect(only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId))).status).toBe('pending');
  });

  it('answers as before with no offer at all', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    expect((await inbound.receive(text(patient.phone, 'Y'))).reply).toContain('has received your message');
  });

  it('opts an opted-out patient back in on YES, as Twilio does (patient.opted-in), and then takes the offer', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    const offer = await offerFor(patient.patientId);
    await inbound.receive(text(patient.phone, 'STOP'));
    expect(only(await db.select().from(recipients).where(eq(recipients.id, patient.patientId))).smsOptedOut).toBe(true);

    const { reply } = await inbound.receive(text(patient.phone, 'Sí'));
    expect(reply).toContain('We are booking Wed, Oct 29 at 10:00 AM EDT');
    expect(only(await db.select().from(recipients).where(eq(recipients.id, patient.patientId))).smsOptedOut).toBe(false);
    const optedIn = (await outboxRows('patient.opted-in')).filter((r) => (r.envelope as EventEnvelope<'patient.opted-in'>).payload.patientId === patient.patientId);
    expect(optedIn.map((r) => r.subscriber).sort()).toEqual(['followup', 'scheduling']);
    expect(only(await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, offer.offerId))).status).toBe('accepted');
  });

  it('confirms the opt-in on YES from an opted-out patient with no offer', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    await inbound.receive(text(patient.phone, 'STOP'));
    const { reply } = await inbound.receive(text(patient.phone, 'YES'));
    expect(reply).toBe('Aftercare Demo Clinic: you are opted back in to appointment and care texts. Reply STOP to opt out or HELP for help.');
    expect(only(await db.select().from(recipients).where(eq(recipients.id, patient.patientId))).smsOptedOut).toBe(false);
  });

  it('a START that arrives while a STOP is being applied opts the patient back in, as they asked last', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    // Another transaction (the STOP, or the front desk) is opting the patient out and has not committed yet.
    const stop = await holdTransaction(db, (tx) => tx.update(recipients).set({ smsOptedOut: true }).where(eq(recipients.id, patient.patientId)));
    const start = inbound.receive(text(patient.phone, 'START'));
    await Promise.race([start, waitForLockWaiters(db, 1).catch(() => undefined)]);
    await stop.release();
    const { reply } = await start;
    expect(reply).toContain('you are opted back in');
    expect(only(await db.select().from(recipients).where(eq(recipients.id, patient.patientId))).smsOptedOut).toBe(false);
  });
});

describe('one phone number, patients of two clinics', () => {
  const OTHER_CLINIC = randomUUID();
  const text = (from: string, body: string) => ({ messageSid: `SM${randomUUID().replace(/-/g, '')}`, from, to: '+12125550100', body });
  const inOther = <T extends EventType>(type: T, payload: EventPayloads[T]): EventEnvelope<T> => ({ ...envelope(type, payload), clinicId: OTHER_CLINIC });
  const recipientOf = async (patientId: string) => only(await db.select().from(recipients).where(eq(recipients.id, patientId)));

  beforeAll(async () => {
    await controller.clinicUpserted(inOther('clinic.upserted', { clinicId: OTHER_CLINIC, name: 'Riverside Sports Clinic', phone: '+12125550199', email: null, timezone: NY }));
  });

  async function sharedNumber() {
    const phone = `+1212555${phoneCounter++}`;
    // The other clinic's patient registered first; ours is the more recently updated record.
    const theirs = { patientId: randomUUID(), firstName: 'Ana', lastName: 'García', phone, email: null, timezone: NY, preferredChannel: 'sms' as const, smsConsent: true, language: 'en' as const };
    await controller.patientRegistered(inOther('patient.registered', theirs));
    clock.advance(60_000);
    const ours = await registerPatient({ phone, preferredChannel: 'sms' });
    return { phone, theirs, ours };
  }

  it('a reply goes to the clinic whose text it answers, not to whichever record changed last', async () => {
    const { phone, theirs, ours } = await sharedNumber();
    await controller.booked(inOther('appointment.booked', bookedPayload(theirs.patientId, '2025-10-29T14:00:00Z')));
    await sendDue(theirs.patientId);
    expect((await messagesOf(theirs.patientId)).some((m) => m.direction === 'outbound' && m.channel === 'sms' && m.status === 'sent')).toBe(true);

    clock.advance(HOUR);
    const { reply } = await inbound.receive(text(phone, '7'));
    expect(reply).toContain('Riverside Sports Clinic');
    const inboundOf = async (patientId: string) => (await messagesOf(patientId)).filter((m) => m.direction === 'inbound');
    expect((await inboundOf(theirs.patientId)).map((m) => [m.clinicId, m.body])).toEqual([[OTHER_CLINIC, '7']]);
    expect(await inboundOf(ours.patientId)).toEqual([]);
    const answers = (await outboxRows('checkin.answered')).map((r) => r.envelope as EventEnvelope<'checkin.answered'>).filter((e) => e.payload.patientId === theirs.patientId);
    expect(answers.map((e) => [e.clinicId, e.payload.score])).toContainEqual([OTHER_CLINIC, 7]);
  });

  it("STOP opts the number out at every clinic (Twilio blocks our number for it), and START opts it back in", async () => {
    const { phone, theirs, ours } = await sharedNumber();
    await inbound.receive(text(phone, 'STOP'));
    expect([(await recipientOf(ours.patientId)).smsOptedOut, (await recipientOf(theirs.patientId)).smsOptedOut]).toEqual([true, true]);
    const optedOut = (await outboxRows('patient.opted-out')).map((r) => r.envelope as EventEnvelope<'patient.opted-out'>);
    for (const [patientId, clinicId] of [[ours.patientId, CLINIC_ID], [theirs.patientId, OTHER_CLINIC]]) {
      expect(optedOut.some((e) => e.payload.patientId === patientId && e.clinicId === clinicId)).toBe(true);
    }

    await inbound.receive(text(phone, 'START'));
    expect([(await recipientOf(ours.patientId)).smsOptedOut, (await recipientOf(theirs.patientId)).smsOptedOut]).toEqual([false, false]);
    const optedIn = (await outboxRows('patient.opted-in')).map((r) => r.envelope as EventEnvelope<'patient.opted-in'>);
    expect(optedIn.some((e) => e.payload.patientId === theirs.patientId && e.clinicId === OTHER_CLINIC)).toBe(true);
  });
});

describe('a written request to stop, and the reminders of an appointment days away', () => {
  const text = (from: string, body: string) => ({ messageSid: `SM${randomUUID().replace(/-/g, '')}`, from, to: '+12125550100', body });

  it('e-mails each held reminder at its own time, not at once', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    // Eleven days away: Friday 7 November, 15:00 EST. Reminders: Wednesday 15:00 and Friday 13:00.
    await controller.booked(envelope('appointment.booked', bookedPayload(patient.patientId, '2025-11-07T20:00:00Z')));
    await sendDue(patient.patientId); // the booking confirmation
    const reminders = (await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder' && r.channel === 'sms');
    expect(reminders.map((r) => r.sendAt!.toISOString())).toEqual(['2025-11-05T20:00:00.000Z', '2025-11-07T18:00:00.000Z']);

    expect((await inbound.receive(text(patient.phone, 'please stop'))).reply).toContain('has paused its automated texts');
    const emailsNow = (await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder' && r.channel === 'email');
    expect(emailsNow).toEqual([]);

    // At the first reminder's time the sender finds the hold: the SMS is suppressed, its e-mail goes then.
    clock.set(reminders[0]!.sendAt!);
    await sendDue(patient.patientId);
    const first = only((await messagesOf(patient.patientId)).filter((r) => r.id === reminders[0]!.id));
    expect([first.status, first.errorCode]).toEqual(['suppressed', 'SMS_HELD']);
    const email = only((await messagesOf(patient.patientId)).filter((r) => r.kind === 'reminder' && r.channel === 'email'));
    expect([email.fallbackOf, email.sendAt!.toISOString()]).toEqual([first.id, reminders[0]!.sendAt!.toISOString()]);
    await sendDue(patient.patientId);
    expect(only((await messagesOf(patient.patientId)).filter((r) => r.id === email.id)).status).toBe('sent');
    // The second reminder still waits for its own time.
    expect(only((await messagesOf(patient.patientId)).filter((r) => r.id === reminders[1]!.id)).status).toBe('scheduled');
  });
});
