import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { and, asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { DEFAULT_QUIET_HOURS, ManualClock } from '@aftercare/clock';
import type { AppConfig } from '@aftercare/config';
import { EVENT_VERSIONS, type EventEnvelope, type EventPayloads, type EventType, type RequestContext } from '@aftercare/contracts';
import { createPool, migrate, type Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { createTestDatabase, waitForLockWaiters, type TestDatabase } from '@aftercare/testing';
import { ConsentService } from './consent/consent.service.js';
import { NOTIFICATIONS_MIGRATIONS } from './database/migrations.js';
import { messages, notificationsMessaging, recipients, type MessageRow } from './database/schema.js';
import { DirectoryService } from './directory/directory.service.js';
import { NotificationsEventsController } from './events/notifications-events.controller.js';
import { InboundSmsService, REPLY_LATE } from './inbound/inbound-sms.service.js';
import { MessagesService } from './messages/messages.service.js';
import { TemplatesService } from './templates/templates.service.js';
import { RecordingQueue, wireNotifications } from './notifications.spec-support.js';

/**
 * Notifications' messaging policy on a real PostgreSQL: templates and their overrides, quiet
 * hours and the frequency cap at compose time, and what each kind of inbound text does. Wired
 * by hand like notifications.integration.spec.ts: no Redis (a recording queue), manual clock.
 */

const CLINIC_ID = randomUUID();
/** A second clinic, whose admin edits templates (the first one's texts stay the defaults). */
const TEMPLATE_CLINIC_ID = randomUUID();
const NY = 'America/New_York';
const HOUR = 3_600_000;
/** Monday 12 January 2026, 09:00 EST. */
const MONDAY_9AM = new Date('2026-01-12T14:00:00Z');

const clock = new ManualClock(MONDAY_9AM);
const config = { quietHours: DEFAULT_QUIET_HOURS, smtp: null, twilio: null, publicUrl: 'http://localhost:3000', smsCap: { daily: 2, weekly: 6, preset: 'default' } } as unknown as AppConfig;

let testDb: TestDatabase;
let pool: Pool;
let db: Db;
let queue: RecordingQueue;
let controller: NotificationsEventsController;
let inbound: InboundSmsService;
let templates: TemplatesService;
let messagesService: MessagesService;
let directory: DirectoryService;
let consent: ConsentService;

beforeAll(async () => {
  testDb = await createTestDatabase('aftercare_test_notifications_policy');
  pool = createPool(testDb.url, 'notifications-policy-test', 4);
  await migrate(pool, 'notifications', NOTIFICATIONS_MIGRATIONS);
  db = drizzle({ client: pool });
  queue = new RecordingQueue();
  ({ controller, inbound, templates, messages: messagesService, directory, consent } = wireNotifications(db, clock, config, queue));
  for (const [id, name] of [
    [CLINIC_ID, 'Aftercare Demo Clinic'],
    [TEMPLATE_CLINIC_ID, 'Riverside Clinic'],
  ] as const) {
    await controller.clinicUpserted(envelope('clinic.upserted', { clinicId: id, name, phone: '+12125550100', email: 'care@clinic.example', timezone: NY }, id));
  }
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

beforeEach(() => clock.set(MONDAY_9AM));

// ---- helpers ----

function envelope<T extends EventType>(type: T, payload: EventPayloads[T], clinicId = CLINIC_ID): EventEnvelope<T> {
  const id = randomUUID();
  return { id, type, version: EVENT_VERSIONS[type], clinicId, occurredAt: clock.now().toISOString(), correlationId: id, causationId: null, payload };
}

let phoneCounter = 2000;
async function registerPatient(overrides: Partial<EventPayloads['patient.registered']> = {}, clinicId = CLINIC_ID): Promise<EventPayloads['patient.registered']> {
  const patient: EventPayloads['patient.registered'] = {
    patientId: randomUUID(),
    firstName: 'Ana',
    lastName: 'García',
    phone: `+1312555${phoneCounter++}`,
    email: 'ana.garcia@example.com',
    timezone: NY,
    preferredChannel: 'sms',
    smsConsent: true,
    language: 'en',
    ...overrides,
  };
  await controller.patientRegistered(envelope('patient.registered', patient, clinicId));
  return patient;
}

async function book(patientId: string, startsAt: string, clinicId = CLINIC_ID, clinicianId = randomUUID()): Promise<EventPayloads['appointment.booked']> {
  const payload: EventPayloads['appointment.booked'] = {
    appointmentId: randomUUID(),
    patientId,
    clinicianId,
    clinicianName: 'Dr. Rivera',
    procedureType: 'bmac_injection',
    startsAt,
    endsAt: new Date(new Date(startsAt).getTime() + 2 * HOUR).toISOString(),
    sequence: 0,
    bookedByCarePlan: false,
    bookingTaskId: null,
    waitlistOfferId: null,
  };
  await controller.booked(envelope('appointment.booked', payload, clinicId));
  return payload;
}

async function checkinDue(patientId: string, dueAt: string, clinicId = CLINIC_ID): Promise<string> {
  const stepId = randomUUID();
  await controller.carePlanMessageDue(envelope('care-plan.message-due', { stepId, carePlanId: randomUUID(), patientId, kind: 'checkin', dueAt }, clinicId));
  return stepId;
}

const messagesOf = (patientId: string): Promise<MessageRow[]> =>
  db.select().from(messages).where(eq(messages.patientId, patientId)).orderBy(asc(messages.createdAt), asc(messages.sendAt), asc(messages.kind), asc(messages.channel));
const outbound = async (patientId: string, kind: string, channel: 'sms' | 'email' = 'sms') =>
  (await messagesOf(patientId)).filter((m) => m.direction === 'outbound' && m.kind === kind && m.channel === channel);
const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

const published = async <T extends EventType>(type: T, patientId: string) =>
  (await db.select().from(notificationsMessaging.outbox).where(eq(notificationsMessaging.outbox.eventType, type)))
    .map((r) => ({ subscriber: r.subscriber, payload: (r.envelope as EventEnvelope<T>).payload }))
    .filter((r) => (r.payload as { patientId: string }).patientId === patientId);

const text = (from: string, body: string, messageSid = `SM${randomUUID().replace(/-/g, '')}`) => ({ messageSid, from, to: '+15005550006', body });

const adminCtx: RequestContext = { clinicId: TEMPLATE_CLINIC_ID, userId: randomUUID(), role: 'admin', clinicianId: null, correlationId: 'test' };

async function refusal(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

// ---- templates ----

describe('templates: overrides are stored per clinic and used when composing', () => {
  it('lists every kind in every language with its variables and SMS size; nothing overridden yet', async () => {
    const list = await templates.list(adminCtx);
    expect(list).toHaveLength(2 * 21);
    const reminder = list.find((t) => t.kind === 'reminder' && t.language === 'es')!;
    expect(reminder).toMatchObject({
      overridden: { smsBody: false, emailSubject: false, emailBody: false },
      variables: ['firstName', 'clinicName', 'clinicPhone', 'appointmentTime', 'clinicianName'],
      sms: { encoding: 'GSM-7', segments: 3 },
      updatedAt: null,
    });
    expect(reminder.smsBody).toBe(reminder.defaults.smsBody);
    expect(await templates.list(adminCtx, { kind: 'help', language: 'en' })).toEqual([expect.objectContaining({ kind: 'help', language: 'en', emailSubject: null })]);
  });

  it('uses an admin’s SMS override for the clinic’s patients in that language only, and the default again after a reset', async () => {
    const sms = '{{clinicName}}: {{firstName}}, see you {{appointmentTime}}. Reply C to confirm or R to reschedule. Reply STOP to opt out.';
    const saved = await templates.put(adminCtx, { kind: 'reminder', language: 'en', smsBody: sms });
    expect(saved).toMatchObject({ smsBody: sms, overridden: { smsBody: true, emailSubject: false, emailBody: false }, updatedBy: adminCtx.userId, sms: { encoding: 'GSM-7', segments: 2 } });

    const english = await registerPatient({ preferredChannel: 'both' }, TEMPLATE_CLINIC_ID);
    const spanish = await registerPatient({ language: 'es' }, TEMPLATE_CLINIC_ID);
    const other = await registerPatient(); // the other clinic: defaults
    for (const p of [english, spanish]) await book(p.patientId, '2026-01-16T15:00:00Z', TEMPLATE_CLINIC_ID);
    await book(other.patientId, '2026-01-16T15:00:00Z');
    const [reminder] = await outbound(english.patientId, 'reminder');
    expect(reminder!.body).toBe('Riverside Clinic: Ana, see you Fri, Jan 16 at 10:00 AM EST. Reply C to confirm or R to reschedule. Reply STOP to opt out.');
    expect((await outbound(english.patientId, 'reminder', 'email'))[0]!.subject).toBe('Reminder: your appointment at Riverside Clinic on Fri, Jan 16 at 10:00 AM EST');
    expect((await outbound(spanish.patientId, 'reminder'))[0]!.body).toMatch(/^Hola, Ana: le recordamos su cita/);
    expect((await outbound(other.patientId, 'reminder'))[0]!.body).toMatch(/^Hi Ana, a reminder of your appointment at Aftercare Demo Clinic/);

    const reset = await templates.reset(adminCtx, { kind: 'reminder', language: 'en' });
    expect(reset.overridden.smsBody).toBe(false);
    const later = await registerPatient({}, TEMPLATE_CLINIC_ID);
    await book(later.patientId, '2026-01-16T15:00:00Z', TEMPLATE_CLINIC_ID);
    expect((await outbound(later.patientId, 'reminder'))[0]!.body).toMatch(/^Hi Ana, a reminder of your appointment at Riverside Clinic/);
  });

  it('uses an admin’s e-mail-only override for the e-mail, and the default SMS beside it', async () => {
    const subject = 'See you soon at {{clinicName}}: {{appointmentTime}}';
    expect((await templates.put(adminCtx, { kind: 'reminder', language: 'en', emailSubject: subject })).overridden).toEqual({ smsBody: false, emailSubject: true, emailBody: false });
    const patient = await registerPatient({ preferredChannel: 'both' }, TEMPLATE_CLINIC_ID);
    await book(patient.patientId, '2026-01-16T15:00:00Z', TEMPLATE_CLINIC_ID);
    expect((await outbound(patient.patientId, 'reminder', 'email'))[0]!.subject).toBe('See you soon at Riverside Clinic: Fri, Jan 16 at 10:00 AM EST');
    expect((await outbound(patient.patientId, 'reminder'))[0]!.body).toMatch(/^Hi Ana, a reminder of your appointment at Riverside Clinic/);
    await templates.reset(adminCtx, { kind: 'reminder', language: 'en' });
  });

  it('answers HELP with the clinic’s own HELP text', async () => {
    await templates.put(adminCtx, { kind: 'help', language: 'en', smsBody: '{{clinicName}} care texts. Help: {{clinicPhone}}. STOP to opt out.' });
    const patient = await registerPatient({}, TEMPLATE_CLINIC_ID);
    expect((await inbound.receive(text(patient.phone, 'help'))).reply).toBe('Riverside Clinic care texts. Help: +12125550100. STOP to opt out.');
    await templates.reset(adminCtx, { kind: 'help', language: 'en' });
  });

  it('refuses unknown variables with a 400 that names them', async () => {
    const error = await refusal(templates.put(adminCtx, { kind: 'checkin', language: 'en', smsBody: 'Hi {{firstName}} {{lastName}}, {{clinicName}}: pain 0-10? {{appointmentTime}} Reply STOP' }));
    expect([error.statusCode, error.code, error.field]).toEqual([400, 'TEMPLATE.UNKNOWN_VARIABLE', 'smsBody']);
    expect(error.message).toContain('unknown variables {{lastName}}, {{appointmentTime}}');
  });

  it('refuses a template that breaks a rule with a 422 that says which', async () => {
    const noStop = await refusal(templates.put(adminCtx, { kind: 'checkin', language: 'en', smsBody: 'Hi {{firstName}}, {{clinicName}} here: your pain from 0 to 10?' }));
    expect([noStop.statusCode, noStop.code, noStop.field]).toEqual([422, 'TEMPLATE.RULE_VIOLATION', 'smsBody']);
    expect(noStop.message).toContain('smsBody must say how to opt out');
    const site = await refusal(templates.put(adminCtx, { kind: 'aftercare', language: 'es', emailBody: 'Hola {{firstName}}: cuide su rodilla. {{clinicName}}, {{clinicPhone}}' }));
    expect([site.statusCode, site.field]).toEqual([422, 'emailBody']);
    expect(site.message).toContain('"rodilla"');
    expect(await templates.list(adminCtx, { kind: 'checkin', language: 'en' })).toEqual([expect.objectContaining({ overridden: { smsBody: false, emailSubject: false, emailBody: false } })]);
  });

  it('refuses email parts for an SMS-only kind, an unknown kind, and an empty override', async () => {
    expect(await refusal(templates.put(adminCtx, { kind: 'help', language: 'en', emailSubject: '{{clinicName}}' }))).toMatchObject({ statusCode: 400, code: 'TEMPLATE.SMS_ONLY', field: 'emailSubject' });
    expect(await refusal(templates.put(adminCtx, { kind: 'diagnosis', language: 'en', smsBody: 'x' }))).toMatchObject({ statusCode: 404, code: 'TEMPLATE.UNKNOWN_KIND' });
    expect(await refusal(templates.put(adminCtx, { kind: 'help', language: 'en' }))).toMatchObject({ statusCode: 400, code: 'TEMPLATE.EMPTY' });
  });

  it('previews with the clinic’s name and sample values, or given ones, with segments, encoding and problems', async () => {
    const preview = await templates.preview(adminCtx, { kind: 'checkin', language: 'en', values: { firstName: 'Zoë' } });
    expect(preview.sms.text).toMatch(/^Hi Zoe, this is Riverside Clinic checking in/);
    expect(preview.sms).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(preview.problems).toEqual([]);
    const draft = await templates.preview(adminCtx, { kind: 'checkin', language: 'en', smsBody: '{{clinicName}} 🙂 {{firstName}}, how is your knee? 0-10' });
    expect(draft.sms).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(draft.problems.map((p) => p.rule).sort()).toEqual(['clinical_terms', 'opt_out']);
    expect(await refusal(templates.preview(adminCtx, { kind: 'checkin', language: 'en', values: { appointmentTime: 'x' } }))).toMatchObject({ statusCode: 400, field: 'values.appointmentTime' });
  });
});

// ---- quiet hours ----

describe('quiet hours at compose time, in the patient’s zone', () => {
  it.each([
    // zone, a check-in due at 22:30 local, 08:00 local the next morning
    ['America/Los_Angeles', '2026-01-13T06:30:00Z', '2026-01-13T16:00:00Z'],
    ['Europe/Berlin', '2026-01-12T21:30:00Z', '2026-01-13T07:00:00Z'],
    ['Asia/Kolkata', '2026-01-12T17:00:00Z', '2026-01-13T02:30:00Z'],
  ])('%s: a check-in due at 22:30 goes at 08:00 the next morning, by SMS and email alike', async (zone, dueAt, morning) => {
    const patient = await registerPatient({ timezone: zone, preferredChannel: 'both' });
    await checkinDue(patient.patientId, dueAt);
    const rows = (await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin');
    expect(rows.map((m) => [m.channel, m.status, iso(m.sendAt)])).toEqual([
      ['email', 'scheduled', new Date(morning).toISOString()],
      ['sms', 'scheduled', new Date(morning).toISOString()],
    ]);
  });

  it.each([
    // zone, appointment at 08:30 local, 20:59 local the evening before
    ['America/Los_Angeles', '2026-01-15T16:30:00Z', '2026-01-15T04:59:00Z'],
    ['Europe/Berlin', '2026-01-15T07:30:00Z', '2026-01-14T19:59:00Z'],
    ['Asia/Kolkata', '2026-01-15T03:00:00Z', '2026-01-14T15:29:00Z'],
  ])('%s: the 2-hours-before reminder of an 08:30 appointment goes at 20:59 the evening before', async (zone, startsAt, eveningBefore) => {
    const patient = await registerPatient({ timezone: zone });
    await book(patient.patientId, startsAt);
    const reminders = await outbound(patient.patientId, 'reminder');
    expect(reminders.map((m) => iso(m.sendAt))).toContain(new Date(eveningBefore).toISOString());
    expect(reminders.every((m) => m.status === 'scheduled')).toBe(true);
  });

  it('across the spring-forward night in New York: a check-in due Saturday 23:30 EST goes Sunday 08:00 EDT', async () => {
    clock.set(new Date('2026-03-07T15:00:00Z'));
    const patient = await registerPatient();
    await checkinDue(patient.patientId, '2026-03-08T04:30:00Z');
    expect(iso((await outbound(patient.patientId, 'checkin'))[0]!.sendAt)).toBe('2026-03-08T12:00:00.000Z');
  });

  it('across the spring-forward night: reminders of a Monday 08:30 EDT appointment at 20:59 the evening before, in each offset', async () => {
    clock.set(new Date('2026-03-05T15:00:00Z'));
    const patient = await registerPatient();
    await book(patient.patientId, '2026-03-09T12:30:00Z');
    // 48 h before is Sat 07:30 EST -> Fri 20:59 EST; 2 h before is Mon 06:30 EDT -> Sun 20:59 EDT.
    expect((await outbound(patient.patientId, 'reminder')).map((m) => iso(m.sendAt))).toEqual(['2026-03-07T01:59:00.000Z', '2026-03-09T00:59:00.000Z']);
  });

  it('sends the answer to a patient’s own text at once, in the middle of the night', async () => {
    clock.set(new Date('2026-01-13T07:00:00Z')); // 02:00 EST
    const patient = await registerPatient();
    const { reply } = await inbound.receive(text(patient.phone, 'HELP'));
    expect(reply).toContain('Aftercare Demo Clinic');
    expect((await outbound(patient.patientId, 'help')).map((m) => [m.status, iso(m.sentAt)])).toEqual([['sent', '2026-01-13T07:00:00.000Z']]);
  });

  it('an answer ready only after the gateway stopped waiting for it is logged as not sent (REPLY_LATE), not as sent', async () => {
    const patient = await registerPatient();
    const inTime = await inbound.receive({ ...text(patient.phone, 'HELP'), replyBy: new Date(Date.now() + 4_000).toISOString() });
    expect(inTime.reply).toContain('Aftercare Demo Clinic');
    // The gateway's wait (real time) ended a moment ago: its response to Twilio went out empty.
    const late = await inbound.receive({ ...text(patient.phone, 'HELP'), replyBy: new Date(Date.now() - 1_000).toISOString() });
    expect(late.reply).toBeNull();
    expect((await outbound(patient.patientId, 'help')).map((m) => [m.status, m.errorCode])).toEqual([
      ['sent', null],
      ['suppressed', REPLY_LATE],
    ]);
    // An unknown number, too late: nothing to answer with.
    expect((await inbound.receive({ ...text('+12125550999', 'hello?'), replyBy: new Date(Date.now() - 1_000).toISOString() })).reply).toBeNull();
  });
});

// ---- frequency cap ----

describe('the frequency cap at compose time', () => {
  it('moves a third check-in of the day to 08:00 the next day', async () => {
    const patient = await registerPatient();
    await checkinDue(patient.patientId, '2026-01-12T15:00:00Z'); // 10:00
    await checkinDue(patient.patientId, '2026-01-12T19:00:00Z'); // 14:00
    await checkinDue(patient.patientId, '2026-01-12T23:00:00Z'); // 18:00
    expect((await outbound(patient.patientId, 'checkin')).map((m) => [m.status, iso(m.sendAt)])).toEqual([
      ['scheduled', '2026-01-12T15:00:00.000Z'],
      ['scheduled', '2026-01-12T19:00:00.000Z'],
      ['scheduled', '2026-01-13T13:00:00.000Z'],
    ]);
  });

  it('drops a reminder it could only send too late, as suppressed with the reason; the email still goes', async () => {
    clock.set(new Date('2026-01-11T15:00:00Z')); // Sunday
    const patient = await registerPatient({ preferredChannel: 'both' });
    await checkinDue(patient.patientId, '2026-01-12T13:00:00Z'); // Mon 08:00
    await checkinDue(patient.patientId, '2026-01-12T14:00:00Z'); // Mon 09:00
    const appointment = await book(patient.patientId, '2026-01-12T17:00:00Z'); // Mon 12:00: the 2 h reminder is Mon 10:00
    const sms = (await outbound(patient.patientId, 'reminder')).filter((m) => m.appointmentId === appointment.appointmentId);
    expect(sms.map((m) => [m.status, m.errorCode, iso(m.sendAt)])).toEqual([['suppressed', 'FREQUENCY_CAP', '2026-01-12T15:00:00.000Z']]);
    expect(sms[0]!.error).toBe('Within the SMS limit (2 a day, 6 a week) the reminder could only go less than 60 minutes before the appointment');
    expect(queue.added.map((j) => j.opts.jobId)).not.toContain(sms[0]!.id);
    const email = await outbound(patient.patientId, 'reminder', 'email');
    expect(email.map((m) => [m.status, iso(m.sendAt)])).toEqual([['scheduled', '2026-01-12T15:00:00.000Z']]);
    // The booking confirmation is not counted and not held back.
    expect((await outbound(patient.patientId, 'booking_confirmation')).map((m) => m.status)).toEqual(['scheduled']);
  });

  it('does not count cancelled or suppressed messages', async () => {
    const patient = await registerPatient();
    await checkinDue(patient.patientId, '2026-01-12T15:00:00Z');
    await db.update(messages).set({ status: 'cancelled' }).where(eq(messages.patientId, patient.patientId));
    await checkinDue(patient.patientId, '2026-01-12T16:00:00Z');
    await checkinDue(patient.patientId, '2026-01-12T17:00:00Z');
    expect((await outbound(patient.patientId, 'checkin')).filter((m) => m.status === 'scheduled').map((m) => iso(m.sendAt))).toEqual([
      '2026-01-12T16:00:00.000Z',
      '2026-01-12T17:00:00.000Z',
    ]);
  });
});

// ---- inbound texts ----

describe('inbound texts', () => {
  it.each<[string, RegExp]>([
    ['C', /Your appointment at Aftercare Demo Clinic on .* is confirmed/],
    ['confirm', /is confirmed/],
    ['R', /will contact you to find a new time/],
    [' Reschedule ', /will contact you to find a new time/],
    ['HELP', /^Aftercare Demo Clinic: appointment and care texts\. For help, call \+12125550100\./],
    ['info', /^Aftercare Demo Clinic: appointment and care texts/],
    ['7/10', /has received your answer/],
    ['pain 7', /has received your answer/],
    ['YES', /has received your message/],
  ])('%j is answered at once: %s', async (body, answer) => {
    const patient = await registerPatient();
    await book(patient.patientId, '2026-01-20T15:00:00Z');
    expect((await inbound.receive(text(patient.phone, body))).reply).toMatch(answer);
  });

  it.each(['STOP', 'stopall', 'Unsubscribe', 'CANCEL', 'end', 'QUIT', 'opt out', 'REVOKE'])('%j opts out at once, with one confirmation', async (word) => {
    const patient = await registerPatient();
    expect((await inbound.receive(text(patient.phone, word))).reply).toMatch(/you are opted out/);
    expect((await db.select().from(recipients).where(eq(recipients.id, patient.patientId)))[0]!.smsOptedOut).toBe(true);
    expect((await published('patient.opted-out', patient.patientId)).map((e) => e.subscriber).sort()).toEqual(['followup', 'scheduling']);
    expect((await inbound.receive(text(patient.phone, word))).reply).toBeNull();
    expect(await published('patient.opted-out', patient.patientId)).toHaveLength(2);
    expect((await inbound.receive(text(patient.phone, 'unstop'))).reply).toMatch(/opted back in/);
  });

  it('sends free text to the clinician as patient.wrote, with the clinician of the next appointment', async () => {
    const patient = await registerPatient();
    const appointment = await book(patient.patientId, '2026-01-20T15:00:00Z');
    const sms = text(patient.phone, 'Can I shower tonight?');
    expect((await inbound.receive(sms)).reply).toContain('Aftercare Demo Clinic has received your message');
    const [inboundRow] = await db.select().from(messages).where(eq(messages.providerMessageId, sms.messageSid));
    expect(await published('patient.wrote', patient.patientId)).toEqual([
      {
        subscriber: 'followup',
        payload: { patientId: patient.patientId, messageId: inboundRow!.id, text: 'Can I shower tonight?', at: clock.now().toISOString(), asksToStop: false, clinicianId: appointment.clinicianId },
      },
    ]);
  });

  it('names no clinician when the patient has no appointment, and still tells the clinic when an opted-out patient writes', async () => {
    const patient = await registerPatient();
    await inbound.receive(text(patient.phone, 'STOP'));
    expect((await inbound.receive(text(patient.phone, 'please stop texting me'))).reply).toBeNull();
    expect((await published('patient.wrote', patient.patientId)).map((e) => [e.payload.asksToStop, e.payload.clinicianId])).toEqual([[false, null]]);
  });

  it('a written request to stop that meets a transaction locking the other way round (a reschedule: messages, then the patient) is run again when PostgreSQL aborts it, and applied once', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    await checkinDue(patient.patientId, clock.now().toISOString());
    const [dueNow] = await outbound(patient.patientId, 'checkin');
    clock.advance(HOUR);
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM notifications.messages WHERE id = $1 FOR UPDATE', [dueNow!.id]);
      // The text locks the patient, then waits for the check-in's row.
      const receiving = inbound.receive(text(patient.phone, 'please stop texting me'));
      await waitForLockWaiters(db);
      // Now the other transaction wants the patient: a deadlock, which PostgreSQL breaks by aborting one of the two.
      await other.query('SELECT id FROM notifications.recipients WHERE id = $1 FOR UPDATE', [patient.patientId]).catch(() => undefined);
      await other.query('ROLLBACK');
      expect((await receiving).reply).toContain('paused its automated texts');
    } finally {
      other.release();
    }
    const replies = (await messagesOf(patient.patientId)).filter((m) => m.direction === 'inbound');
    expect(replies).toHaveLength(1);
    expect((await outbound(patient.patientId, 'checkin')).map((m) => [m.status, m.errorCode])).toEqual([['suppressed', 'SMS_HELD']]);
    expect((await published('patient.wrote', patient.patientId)).map((e) => e.payload.asksToStop)).toEqual([true]);
  });

  it('holds automated SMS on a written request to stop: no opt-out, staff are told, and texts due later are decided at their own time', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    await book(patient.patientId, '2026-01-20T15:00:00Z');
    const pending = (await outbound(patient.patientId, 'reminder')).filter((m) => m.status === 'scheduled');
    expect(pending).toHaveLength(2);
    // A check-in due now whose send has not happened yet: it is taken back at once.
    await checkinDue(patient.patientId, clock.now().toISOString());
    const [dueNow] = await outbound(patient.patientId, 'checkin');
    expect([dueNow!.status, iso(dueNow!.sendAt)]).toEqual(['scheduled', clock.now().toISOString()]);
    clock.advance(HOUR);

    const { reply } = await inbound.receive(text(patient.phone, "Please don't text me anymore"));
    expect(reply).toBe('Thank you, Ana. Aftercare Demo Clinic has paused its automated texts to you. Reply STOP to stop all texts, or START to keep getting them. Questions? Call +12125550100.');
    const [recipient] = await db.select().from(recipients).where(eq(recipients.id, patient.patientId));
    expect([recipient!.smsOptedOut, iso(recipient!.smsHeldAt)]).toEqual([false, clock.now().toISOString()]);
    expect(await published('patient.opted-out', patient.patientId)).toEqual([]);
    expect((await published('patient.wrote', patient.patientId)).map((e) => e.payload.asksToStop)).toEqual([true]);

    // The reminders of an appointment 8 days away are not e-mailed today: they stay as they are,
    // and the sender decides at their time (held: e-mail then; hold lifted: the SMS goes).
    const reminders = await outbound(patient.patientId, 'reminder');
    expect(reminders.map((m) => [m.id, m.status, iso(m.sendAt)])).toEqual(pending.map((m) => [m.id, 'scheduled', iso(m.sendAt)]));
    expect(queue.removed).not.toEqual(expect.arrayContaining([pending[0]!.id]));
    expect(await outbound(patient.patientId, 'reminder', 'email')).toEqual([]);
    // The check-in that was due is taken back and goes by e-mail now.
    const [takenBack] = await outbound(patient.patientId, 'checkin');
    expect([takenBack!.status, takenBack!.errorCode]).toEqual(['suppressed', 'SMS_HELD']);
    expect(queue.removed).toContain(takenBack!.id);
    const [instead] = await outbound(patient.patientId, 'checkin', 'email');
    expect([instead!.fallbackOf, instead!.status, iso(instead!.sendAt)]).toEqual([takenBack!.id, 'scheduled', clock.now().toISOString()]);
    expect(queue.added.map((j) => j.opts.jobId)).toContain(instead!.id);

    // While held, new automated messages go by email; a second such text changes nothing more.
    await checkinDue(patient.patientId, '2026-01-13T15:00:00Z');
    expect((await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin' && m.sendAt! > clock.now()).map((m) => m.channel)).toEqual(['email']);
    await inbound.receive(text(patient.phone, 'stop texting me'));
    expect(iso((await db.select().from(recipients).where(eq(recipients.id, patient.patientId)))[0]!.smsHeldAt)).toBe(iso(recipient!.smsHeldAt));

    // START settles it: texts resume.
    expect((await inbound.receive(text(patient.phone, 'START'))).reply).toMatch(/opted back in/);
    expect((await db.select().from(recipients).where(eq(recipients.id, patient.patientId)))[0]!.smsHeldAt).toBeNull();
    await checkinDue(patient.patientId, '2026-01-14T15:00:00Z');
    expect((await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin' && m.sendAt! > clock.now()).map((m) => m.channel)).toEqual(['email', 'sms']);
    expect((await outbound(patient.patientId, 'reminder')).map((m) => m.status)).toEqual(['scheduled', 'scheduled']);
  });

  it('answers HELP from an opted-out patient (carriers require it), and nothing else', async () => {
    const patient = await registerPatient();
    expect((await inbound.receive(text(patient.phone, 'STOP'))).reply).toMatch(/opted out/);
    expect((await inbound.receive(text(patient.phone, 'HELP'))).reply).toMatch(/^Aftercare Demo Clinic: appointment and care texts\. For help, call \+12125550100\./);
    expect((await inbound.receive(text(patient.phone, 'ayuda'))).reply).toMatch(/call \+12125550100/);
    expect((await inbound.receive(text(patient.phone, 'pain 4'))).reply).toBeNull();
    expect((await inbound.receive(text(patient.phone, 'C'))).reply).toBeNull();
    expect((await db.select().from(recipients).where(eq(recipients.id, patient.patientId)))[0]!.smsOptedOut).toBe(true);
  });

  it.each([
    ['YES', 'no open offer'],
    ['C', 'no upcoming appointment'],
    ['R', 'no upcoming appointment'],
  ])('tells the clinic of %j with %s: the acknowledgement must be true', async (body) => {
    const patient = await registerPatient();
    const past = await book(patient.patientId, '2026-01-13T15:00:00Z');
    clock.set(new Date('2026-01-14T15:00:00Z')); // the appointment is behind, no other ahead
    const sms = text(patient.phone, ` ${body} `);
    expect((await inbound.receive(sms)).reply).toContain('Aftercare Demo Clinic has received your message');
    const [inboundRow] = await db.select().from(messages).where(eq(messages.providerMessageId, sms.messageSid));
    expect((await published('patient.wrote', patient.patientId)).map((e) => e.payload)).toEqual([
      { patientId: patient.patientId, messageId: inboundRow!.id, text: body, at: clock.now().toISOString(), asksToStop: false, clinicianId: past.clinicianId },
    ]);
  });

  it('tells nobody of C, R or YES that did something', async () => {
    const patient = await registerPatient();
    await book(patient.patientId, '2026-01-20T15:00:00Z');
    await inbound.receive(text(patient.phone, 'C'));
    await inbound.receive(text(patient.phone, 'R'));
    expect(await published('patient.wrote', patient.patientId)).toEqual([]);
  });

  it('a fallback e-mail keeps the time the SMS was meant for, and goes at once for one that was due', async () => {
    const patient = await registerPatient({ preferredChannel: 'sms' });
    await book(patient.patientId, '2026-01-23T15:00:00Z'); // Friday 10:00: reminders Wednesday 10:00 and Friday 08:00
    const recipient = (await directory.recipient(patient.patientId))!;
    const [first, second] = await outbound(patient.patientId, 'reminder');
    const later = await db.transaction((tx) => messagesService.composeFallbackEmail(tx, first!, recipient));
    expect([later!.fallbackOf, iso(later!.sendAt)]).toEqual([first!.id, iso(first!.sendAt)]);
    clock.set(new Date(second!.sendAt!.getTime() + 5 * 60_000));
    const due = await db.transaction((tx) => messagesService.composeFallbackEmail(tx, second!, recipient));
    expect([due!.fallbackOf, iso(due!.sendAt)]).toEqual([second!.id, clock.now().toISOString()]);
  });

  it('lets staff lift a hold: automated SMS go again; an opted-out patient stays opted out', async () => {
    const ctx: RequestContext = { clinicId: CLINIC_ID, userId: randomUUID(), role: 'front_desk', clinicianId: null, correlationId: 'test' };
    const recipientOf = async (id: string) => (await db.select().from(recipients).where(eq(recipients.id, id)))[0]!;
    const patient = await registerPatient({ preferredChannel: 'sms' });
    await inbound.receive(text(patient.phone, 'please stop'));
    expect(iso((await recipientOf(patient.patientId)).smsHeldAt)).toBe(clock.now().toISOString());
    await checkinDue(patient.patientId, '2026-01-13T15:00:00Z');
    expect((await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin').map((m) => [m.channel, m.status, m.errorCode])).toEqual([['email', 'scheduled', null]]);

    expect(await consent.releaseSmsHold(ctx, patient.patientId)).toEqual({ patientId: patient.patientId, smsHeld: false, smsOptedOut: false });
    expect((await recipientOf(patient.patientId)).smsHeldAt).toBeNull();
    await checkinDue(patient.patientId, '2026-01-14T15:00:00Z');
    expect((await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin').map((m) => m.channel)).toEqual(['email', 'sms']);
    // Again, with no hold: nothing to do, the same answer.
    expect(await consent.releaseSmsHold(ctx, patient.patientId)).toEqual({ patientId: patient.patientId, smsHeld: false, smsOptedOut: false });

    const optedOut = await registerPatient();
    await inbound.receive(text(optedOut.phone, 'please stop texting me'));
    await consent.smsOptOut(ctx, optedOut.patientId);
    const before = await recipientOf(optedOut.patientId);
    expect(await consent.releaseSmsHold(ctx, optedOut.patientId)).toEqual({ patientId: optedOut.patientId, smsHeld: true, smsOptedOut: true });
    expect(await recipientOf(optedOut.patientId)).toEqual(before);
    expect(await published('patient.opted-in', optedOut.patientId)).toEqual([]);

    expect(await refusal(consent.releaseSmsHold({ ...ctx, clinicId: TEMPLATE_CLINIC_ID }, patient.patientId))).toMatchObject({ statusCode: 404 });
    expect(await refusal(consent.releaseSmsHold(ctx, randomUUID()))).toMatchObject({ statusCode: 404 });
  });

  it('turns a hold into an opt-out on STOP', async () => {
    const patient = await registerPatient();
    await inbound.receive(text(patient.phone, 'No me envíen más mensajes'));
    expect((await inbound.receive(text(patient.phone, 'STOP'))).reply).toMatch(/opted out/);
    const [recipient] = await db.select().from(recipients).where(eq(recipients.id, patient.patientId));
    expect([recipient!.smsOptedOut, recipient!.smsHeldAt]).toEqual([true, null]);
  });

  it.each(['STOP', 'stop', 'Unsubscribe', 'STOPALL', 'opt out'])('answers nothing to %j from an unknown number (Twilio confirms its own opt-out)', async (word) => {
    const sms = text(`+1312666${String(phoneCounter++).padStart(4, '0')}`, word);
    expect((await inbound.receive(sms)).reply).toBeNull();
    const rows = await db.select().from(messages).where(eq(messages.providerMessageId, sms.messageSid));
    expect(rows.map((r) => [r.patientId, r.body, r.fromAddress, r.direction])).toEqual([[null, '', null, 'inbound']]);
  });

  it('records a text from an unknown number without its body or number, answers with HELP, and ignores a replay', async () => {
    const sms = text('+13125559999', 'Hi, this is Maria, my knee hurts');
    const { reply } = await inbound.receive(sms);
    expect(reply).toBe('This is the automated text line of Aftercare Demo Clinic. We could not match your number to a patient. Please call +12125550100. Reply STOP to opt out.');
    const rows = await db.select().from(messages).where(eq(messages.providerMessageId, sms.messageSid));
    expect(rows.map((r) => [r.patientId, r.body, r.fromAddress, r.direction])).toEqual([[null, '', null, 'inbound']]);
    expect((await inbound.receive(sms)).reply).toBeNull();
    expect(await db.select().from(messages).where(eq(messages.providerMessageId, sms.messageSid))).toHaveLength(1);
  });

  it('a pain score the gateway held counts from when the patient sent it, not from when it was handled', async () => {
    const patient = await registerPatient();
    const heldSince = new Date(clock.now().getTime() - 20 * 60_000).toISOString();
    expect((await inbound.receive({ ...text(patient.phone, '6'), heldSince })).reply).toBeNull();
    expect((await published('checkin.answered', patient.patientId)).map((p) => p.payload.answeredAt)).toEqual([heldSince]);
  });

  it('ignores a replay of a patient’s text: one record, one event', async () => {
    const patient = await registerPatient();
    const sms = text(patient.phone, 'pain 4');
    await inbound.receive(sms);
    expect((await inbound.receive(sms)).reply).toBeNull();
    expect(await published('checkin.answered', patient.patientId)).toHaveLength(1);
    expect(await db.select().from(messages).where(and(eq(messages.patientId, patient.patientId), eq(messages.direction, 'inbound')))).toHaveLength(1);
  });
});

// ---- the message log ----

describe('the message log', () => {
  const LOG_CLINIC_ID = randomUUID();
  const ctx: RequestContext = { clinicId: LOG_CLINIC_ID, userId: randomUUID(), role: 'admin', clinicianId: null, correlationId: 'test' };
  const T0 = new Date('2026-01-01T12:00:00Z');
  const rowsFor = (patientId: string, count: number, status: MessageRow['status'], from: Date, stepMs = 1_000) =>
    Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      clinicId: LOG_CLINIC_ID,
      patientId,
      channel: 'sms' as const,
      direction: 'outbound' as const,
      kind: 'checkin',
      status,
      body: `#${i}`,
      // Pairs share a time: the id orders them.
      createdAt: new Date(from.getTime() + Math.floor(i / 2) * stepMs),
      errorCode: status === 'failed' ? 'TWILIO_21211' : null,
    }));

  it('shows the newest failures first, however many older ones there are', async () => {
    const old = randomUUID();
    await db.insert(messages).values(rowsFor(old, 1_200, 'failed', T0));
    const fresh = randomUUID();
    const [latest] = await db.insert(messages).values(rowsFor(fresh, 1, 'failed', new Date('2026-01-12T14:00:00Z'))).returning();
    const failed = await messagesService.list(ctx, undefined, 'failed');
    expect(failed).toHaveLength(100);
    expect(failed[0]!.id).toBe(latest!.id);
    expect(failed.every((m) => m.status === 'failed')).toBe(true);
    expect(await messagesService.list(ctx, undefined, 'failed', { limit: 10_000 })).toHaveLength(500);
    expect(await messagesService.list(ctx, undefined, 'failed', { limit: 3 })).toHaveLength(3);
  });

  it('pages with a cursor of time and id, each message once; the timeline has them all, oldest first', async () => {
    const patient = randomUUID();
    const inserted = rowsFor(patient, 131, 'sent', T0);
    await db.insert(messages).values(inserted);
    const seen: string[] = [];
    let page = await messagesService.list(ctx, patient);
    expect(page).toHaveLength(100);
    while (page.length > 0) {
      seen.push(...page.map((m) => m.id));
      const last = page.at(-1)!;
      page = await messagesService.list(ctx, patient, undefined, { limit: 40, before: `${last.createdAt}_${last.id}` });
    }
    expect(seen).toHaveLength(131);
    expect(new Set(seen).size).toBe(131);
    const expected = [...inserted].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    expect(seen).toEqual(expected);

    // A time alone: everything created before it.
    expect((await messagesService.list(ctx, patient, undefined, { before: new Date(T0.getTime() + 2_000).toISOString() })).map((m) => m.id).sort()).toEqual(
      inserted.slice(0, 4).map((r) => r.id).sort(),
    );
    expect(await refusal(messagesService.list(ctx, patient, undefined, { before: 'yesterday' }))).toMatchObject({ statusCode: 400, code: 'MESSAGES.BAD_CURSOR', field: 'before' });

    const timeline = await messagesService.timeline(ctx, patient);
    expect(timeline).toHaveLength(131);
    expect(timeline[0]!.at).toBe(T0.toISOString());
  });
});
