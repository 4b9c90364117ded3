import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { and, asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { ManualClock } from '@aftercare/clock';
import { loadConfig } from '@aftercare/config';
import { EVENT_VERSIONS, type EventEnvelope, type EventPayloads, type EventType, type RequestContext } from '@aftercare/contracts';
import { createPool, migrate, type Db } from '@aftercare/database';
import { ActivityCounter } from '@aftercare/messaging';
import { createTestDatabase, SmtpCapture, TwilioFake, waitFor, type TestDatabase } from '@aftercare/testing';
import { NOTIFICATIONS_MIGRATIONS } from '../database/migrations.js';
import { deliveryCallbacks, messageEvents, messages, notificationsMessaging, recipients, type MessageRow } from '../database/schema.js';
import { NotificationsEventsController } from '../events/notifications-events.controller.js';
import { MessagesService } from '../messages/messages.service.js';
import { SmtpMailer } from '../providers/smtp.mailer.js';
import { TwilioSmsSender } from '../providers/twilio.sms-sender.js';
import { InboundSmsService } from '../inbound/inbound-sms.service.js';
import { DeliveryStatusService } from './delivery-status.service.js';
import { DeliveryReportCheckService } from './report-check.service.js';
import { NO_CHANNEL } from './fallback.service.js';
import { MessageSenderService, PROVIDER_BUSY, SEND_CALL_BY_MS, SEND_LEASE_MS } from './message-sender.service.js';
import { MAX_SEND_ATTEMPTS } from './retry.policy.js';
import { RecordingQueue, wireNotifications } from '../notifications.spec-support.js';

/**
 * Delivery on a real PostgreSQL (the migrated notifications schema), with the real `twilio`
 * library against the Twilio fake and real nodemailer against the SMTP capture. The sender is
 * run the way its BullMQ job runs it: again at the time it asks to be woken. The clock is manual.
 */

const CLINIC_ID = randomUUID();
const NY = 'America/New_York';
const NOW = new Date('2025-10-27T14:00:00Z'); // Monday 10:00 in New York
const FROM = '+15005550006';
const PUBLIC_URL = 'https://clinic.example';

const clock = new ManualClock(NOW);
const fake = new TwilioFake();
const smtp = new SmtpCapture();

let testDb: TestDatabase;
let pool: Pool;
let db: Db;
let queue: RecordingQueue;
let controller: NotificationsEventsController;
let messagesService: MessagesService;
let sender: MessageSenderService;
let delivery: DeliveryStatusService;
let reportCheck: DeliveryReportCheckService;
let inbound: InboundSmsService;
/** A sender with one provider call at a time, built from the same parts as `sender`. */
let oneCallSender: MessageSenderService;

beforeAll(async () => {
  await Promise.all([fake.start(), smtp.start()]);
  testDb = await createTestDatabase('aftercare_test_delivery');
  pool = createPool(testDb.url, 'delivery-test', 6);
  await migrate(pool, 'notifications', NOTIFICATIONS_MIGRATIONS);
  db = drizzle({ client: pool });

  // The validated config of the service, as it boots (defaults for everything not given).
  const config = loadConfig({
    PUBLIC_URL,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM: FROM,
    TWILIO_API_URL: fake.url,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Aftercare Demo Clinic <care@aftercare.local>',
  });
  queue = new RecordingQueue();
  const wired = wireNotifications(db, clock, config, queue);
  ({ controller, messages: messagesService, inbound } = wired);
  const { fallback } = wired;
  const twilio = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url, timeoutMs: 1_000 });
  const mailer = new SmtpMailer({ smtpUrl: smtp.url, from: 'Aftercare Demo Clinic <care@aftercare.local>', timeoutMs: 2000 });
  sender = new MessageSenderService(db, config, clock, twilio, mailer, fallback, messagesService);
  oneCallSender = new MessageSenderService(db, { ...config, providerConcurrency: 1 }, clock, twilio, mailer, fallback, messagesService);
  delivery = new DeliveryStatusService(db, clock, fallback, messagesService, new ActivityCounter());
  reportCheck = new DeliveryReportCheckService(db, config, clock, twilio, delivery);

  await controller.clinicUpserted(envelope('clinic.upserted', { clinicId: CLINIC_ID, name: 'Aftercare Demo Clinic', phone: '+12125550100', email: 'appointments@aftercare.local', timezone: NY }));
}, 60_000);

afterAll(async () => {
  await delivery?.beforeApplicationShutdown();
  await pool?.end();
  await testDb?.drop();
  await Promise.all([fake.stop(), smtp.stop()]);
});

beforeEach(() => {
  clock.set(NOW);
  fake.reset();
  smtp.reset();
});

// ---- helpers ----

function envelope<T extends EventType>(type: T, payload: EventPayloads[T]): EventEnvelope<T> {
  const id = randomUUID();
  return { id, type, version: EVENT_VERSIONS[type], clinicId: CLINIC_ID, occurredAt: clock.now().toISOString(), correlationId: id, causationId: null, payload };
}

let phoneCounter = 2000;
async function registerPatient(overrides: Partial<EventPayloads['patient.registered']> = {}): Promise<EventPayloads['patient.registered']> {
  const n = phoneCounter++;
  const patient: EventPayloads['patient.registered'] = {
    patientId: randomUUID(),
    firstName: 'Rosa',
    lastName: 'Delgado',
    phone: `+1212555${n}`,
    email: `rosa.${n}@example.com`,
    timezone: NY,
    preferredChannel: 'sms',
    smsConsent: true,
    language: 'en',
    ...overrides,
  };
  await controller.patientRegistered(envelope('patient.registered', patient));
  return patient;
}

/** An SMS check-in due now, as compose() writes one (a unique text, so lookups cannot mix them up). */
async function queueSms(patient: EventPayloads['patient.registered'], overrides: Partial<typeof messages.$inferInsert> = {}): Promise<MessageRow> {
  const cause = `step:${randomUUID()}`;
  const [row] = await db
    .insert(messages)
    .values({
      id: randomUUID(),
      clinicId: CLINIC_ID,
      patientId: patient.patientId,
      channel: 'sms',
      direction: 'outbound',
      kind: 'checkin',
      status: 'scheduled',
      body: `Hi Rosa, this is Aftercare Demo Clinic checking in (${cause.slice(-8)}). Reply 0-10. Reply STOP to opt out.`,
      toAddress: patient.phone,
      sendAt: clock.now(),
      dedupeKey: `${cause}:sms`,
      createdAt: clock.now(),
      ...overrides,
    })
    .returning();
  return row!;
}

/** As the BullMQ job does: run the sender, and again at each time it asks to be woken. */
async function runJob(id: string, maxRuns = 20): Promise<number> {
  for (let run = 1; run <= maxRuns; run++) {
    const { wakeAt } = await sender.send(id);
    if (!wakeAt) return run;
    clock.set(wakeAt);
  }
  throw new Error(`message ${id} still wants to run after ${maxRuns} runs`);
}

const messageRow = async (id: string) => (await db.select().from(messages).where(eq(messages.id, id)))[0]!;
const messagesOf = (patientId: string) => db.select().from(messages).where(eq(messages.patientId, patientId)).orderBy(asc(messages.createdAt), asc(messages.channel));
const historyOf = async (id: string) => (await db.select().from(messageEvents).where(eq(messageEvents.messageId, id)).orderBy(asc(messageEvents.id))).map((e) => [e.status, e.errorCode, e.source]);
const recipientOf = async (patientId: string) => (await db.select().from(recipients).where(eq(recipients.id, patientId)))[0]!;
const published = async <T extends EventType>(type: T, patientId: string) =>
  (await db.select().from(notificationsMessaging.outbox).where(eq(notificationsMessaging.outbox.eventType, type)))
    .map((r) => (r.envelope as EventEnvelope<T>).payload)
    .filter((p) => (p as { patientId?: string }).patientId === patientId);

/** Plays Twilio's delivery report through the webhook's path: recorded, then applied. */
async function report(row: MessageRow, status: string, errorCode: string | null = null, messageSid = row.providerMessageId!): Promise<{ recorded: boolean }> {
  const answer = await delivery.update({ messageSid, status, errorCode, messageId: row.id });
  delivery.kick();
  await delivery.idle();
  return answer;
}

/** Sends the fallback e-mail (and anything else due) like its job would. */
async function sendFallback(failed: MessageRow): Promise<MessageRow> {
  const [email] = await db.select().from(messages).where(eq(messages.fallbackOf, failed.id));
  expect(email).toBeDefined();
  await runJob(email!.id);
  return messageRow(email!.id);
}

const ctx: RequestContext = { clinicId: CLINIC_ID, userId: null, role: 'admin', clinicianId: null, correlationId: 'test' };

// ---- tests ----

describe('sending with retries', () => {
  it.each([
    ['HTTP 503', { status: 503, code: 20503 }],
    ['HTTP 429', { status: 429, code: 20429 }],
  ])('retries after %s (not taken) with backoff, then sends exactly once', async (_what, failure) => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(2, failure);

    const first = await sender.send(row.id);
    expect(first.wakeAt).not.toBeNull();
    const waited = first.wakeAt!.getTime() - NOW.getTime();
    expect(waited).toBeGreaterThanOrEqual(15_000);
    expect(waited).toBeLessThanOrEqual(30_000);
    const queued = await messageRow(row.id);
    expect(queued).toMatchObject({ status: 'queued', attempts: 1, nextAttemptAt: first.wakeAt, unconfirmedSince: null, sendAt: NOW });
    expect(queued.dueAt).toEqual(first.wakeAt);

    // Woken before its time (a clock a little behind): it asks to be woken at the right time.
    expect((await sender.send(row.id)).wakeAt).toEqual(first.wakeAt);

    clock.set(first.wakeAt!);
    const second = await sender.send(row.id);
    expect(second.wakeAt!.getTime() - first.wakeAt!.getTime()).toBeGreaterThanOrEqual(30_000);
    clock.set(second.wakeAt!);
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });

    const sent = await messageRow(row.id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 3, errorCode: null, error: null, nextAttemptAt: null, unconfirmedSince: null });
    expect(fake.messages).toHaveLength(1);
    expect(sent.providerMessageId).toBe(fake.messages[0]!.sid);
    expect(fake.messages[0]!.statusCallback).toBe(`${PUBLIC_URL}/webhooks/twilio/status?messageId=${row.id}`);
    const code = failure.status === 429 ? 'SMS_PROVIDER_RATE_LIMITED' : 'SMS_PROVIDER_UNAVAILABLE';
    expect(await historyOf(row.id)).toEqual([
      ['scheduled', null, 'system'],
      ['sending', null, 'sender'],
      ['queued', code, 'sender'],
      ['sending', null, 'sender'],
      ['queued', code, 'sender'],
      ['sending', null, 'sender'],
      ['sent', null, 'sender'],
    ]);
    // A run after it went out sends nothing.
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });
    expect(fake.requestCount).toBe(3);
  });

  it('gives up after the last attempt: failed with the reason, listed by ?status=failed, and the e-mail goes instead', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(MAX_SEND_ATTEMPTS, { status: 503 });

    expect(await runJob(row.id)).toBe(MAX_SEND_ATTEMPTS);
    const failed = await messageRow(row.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: MAX_SEND_ATTEMPTS, errorCode: 'SMS_PROVIDER_UNAVAILABLE' });
    expect(failed.error).toMatch(/^Gave up after 8 attempts/);
    expect(fake.messages).toHaveLength(0);
    // 30 to 61 minutes between the first call and the last.
    const spent = clock.now().getTime() - NOW.getTime();
    expect(spent).toBeGreaterThanOrEqual(30 * 60_000);
    expect(spent).toBeLessThanOrEqual(62 * 60_000);

    const listed = await messagesService.list(ctx, undefined, 'failed');
    const entry = listed.find((m) => m.id === row.id)!;
    expect(entry).toMatchObject({ status: 'failed', errorCode: 'SMS_PROVIDER_UNAVAILABLE', error: failed.error, attempts: 8 });
    expect(entry.statusHistory.filter((h) => h.status === 'sending')).toHaveLength(8);
    expect(entry.statusHistory.at(-1)).toMatchObject({ status: 'failed', errorCode: 'SMS_PROVIDER_UNAVAILABLE' });
    expect(listed.every((m) => m.status === 'failed')).toBe(true);

    const email = await sendFallback(failed);
    expect(email).toMatchObject({ channel: 'email', kind: 'checkin', status: 'sent', toAddress: patient.email, fallbackOf: row.id, dedupeKey: failed.dedupeKey!.replace(/:sms$/, ':email') });
    const [mail] = await smtp.waitForMails(1, { to: patient.email! });
    expect(mail!.subject).toMatch(/check-in/i);
    expect(mail!.raw).toContain(`Message-ID: <${email.id}@aftercare.local>`);
  });

  it('times out with nothing at Twilio: asks Twilio first, then sends once', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.delayNext(1, 2_500); // longer than the sender's 1 s: the fake then drops it

    const first = await sender.send(row.id);
    const waiting = await messageRow(row.id);
    expect(waiting).toMatchObject({ status: 'queued', errorCode: 'SMS_PROVIDER_TIMEOUT' });
    expect(waiting.unconfirmedSince).not.toBeNull(); // the outcome is unknown: ask before resending

    clock.set(first.wakeAt!);
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });
    expect(fake.listCount).toBe(1);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: fake.messages[0]!.sid, unconfirmedSince: null });
  });

  it('a connection dropped after Twilio accepted: the retry finds it there and does not send again', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.dropNext(1, { afterRecording: true });

    expect(await runJob(row.id)).toBe(2);
    expect(fake.requestCount).toBe(1); // one create, and no second
    expect(fake.listCount).toBe(1);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: fake.messages[0]!.sid, attempts: 2 });
  });

  it('a worker killed between "accepted" and "recorded" (row left sending): the next run finds the message and does not send it again', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    // What a killed worker leaves behind: the claim committed (due again at its lease's end), Twilio has the message, no answer recorded.
    await db.update(messages).set({ status: 'sending', attempts: 1, unconfirmedSince: sql`now()`, updatedAt: clock.now(), nextAttemptAt: new Date(NOW.getTime() + SEND_LEASE_MS) }).where(eq(messages.id, row.id));
    const twilio = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url });
    const accepted = await twilio.send({ to: patient.phone, body: row.body });

    // The job comes back (its lock ran out) while the claim's lease holds: it waits for the lease, then asks.
    expect(await sender.send(row.id)).toEqual({ wakeAt: new Date(NOW.getTime() + SEND_LEASE_MS) });
    expect(fake.listCount).toBe(0);
    expect(await runJob(row.id)).toBe(2);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: accepted.providerMessageId, unconfirmedSince: null });
  });

  it('the same text sent to the number earlier by another message is not mistaken for this one', async () => {
    const patient = await registerPatient();
    const earlier = await queueSms(patient);
    await runJob(earlier.id);
    const row = await queueSms(patient, { body: earlier.body });
    await db.update(messages).set({ status: 'sending', attempts: 1, unconfirmedSince: sql`now()`, updatedAt: clock.now(), nextAttemptAt: new Date(NOW.getTime() + SEND_LEASE_MS) }).where(eq(messages.id, row.id));

    await runJob(row.id);
    expect(fake.messages).toHaveLength(2);
    const [a, b] = [await messageRow(earlier.id), await messageRow(row.id)];
    expect(b.providerMessageId).not.toBe(a.providerMessageId);
  });

  it('a job handed to a second worker while the first is still calling Twilio (its lock ran out) waits for the claim\'s lease: sent once', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.delayNext(1, 600, { to: patient.phone }); // the first call has reached Twilio, which has not taken it yet (no list shows it)
    const first = sender.send(row.id);
    await waitFor(() => fake.requestCount === 1, { what: 'the first worker\'s call to reach Twilio' });

    // The second worker: no lookup, no call, the row untouched; back when the lease ends.
    expect(await sender.send(row.id)).toEqual({ wakeAt: new Date(NOW.getTime() + SEND_LEASE_MS) });
    expect(await messageRow(row.id)).toMatchObject({ status: 'sending', attempts: 1 });

    expect(await first).toEqual({ wakeAt: null });
    clock.set(new Date(NOW.getTime() + SEND_LEASE_MS));
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });
    expect(fake.requestCount).toBe(1);
    expect(fake.listCount).toBe(0);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: fake.messages[0]!.sid, attempts: 1 });
  });

  it('a STOP that reaches a second worker while the first is calling Twilio does not mark the message as not sent: it went, and the log says so', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.delayNext(1, 600, { to: patient.phone });
    const first = sender.send(row.id);
    await waitFor(() => fake.requestCount === 1, { what: 'the first worker\'s call to reach Twilio' });
    await db.update(recipients).set({ smsOptedOut: true, smsOptedOutAt: clock.now() }).where(eq(recipients.id, patient.patientId));

    expect(await sender.send(row.id)).toEqual({ wakeAt: new Date(NOW.getTime() + SEND_LEASE_MS) });
    await first;
    clock.set(new Date(NOW.getTime() + SEND_LEASE_MS));
    await sender.send(row.id);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: fake.messages[0]!.sid });
    expect((await messagesOf(patient.patientId)).filter((m) => m.channel === 'email')).toEqual([]);
  });

  it('a claim that waited too long for its turn at the provider makes no call and is given back, costing the message no attempt and no lookup; it is then sent once', async () => {
    const [held, late] = [await registerPatient(), await registerPatient()];
    const [heldRow, lateRow] = [await queueSms(held), await queueSms(late)];
    fake.delayNext(1, 600, { to: held.phone }); // holds the one provider call there is
    const sends = [oneCallSender.send(heldRow.id), oneCallSender.send(lateRow.id)];
    await waitFor(() => fake.requestCount === 1, { what: 'the held call to reach Twilio' });
    clock.set(new Date(NOW.getTime() + SEND_CALL_BY_MS + 1_000)); // the second claim's turn comes too late

    const [heldOutcome, lateOutcome] = await Promise.all(sends);
    expect(heldOutcome).toEqual({ wakeAt: null });
    expect(lateOutcome).toEqual({ wakeAt: clock.now() }); // due again at once
    expect(fake.requestCount).toBe(1);
    expect(await messageRow(lateRow.id)).toMatchObject({ status: 'queued', attempts: 0, unconfirmedSince: null, errorCode: PROVIDER_BUSY });

    expect(await oneCallSender.send(lateRow.id)).toEqual({ wakeAt: null });
    expect(fake.listCount).toBe(0); // no call was made under the claim given back: nothing to ask about
    expect(fake.messages.filter((m) => m.to === late.phone)).toHaveLength(1);
    expect(await messageRow(lateRow.id)).toMatchObject({ status: 'sent', attempts: 1, errorCode: null });
    expect((await historyOf(lateRow.id)).map(([status, code]) => [status, code])).toEqual([
      ['scheduled', null],
      ['sending', null],
      ['queued', PROVIDER_BUSY],
      ['sending', null],
      ['sent', null],
    ]);
  });

  it('21211 (invalid number) fails at once, with no retry, and falls back to e-mail', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(1, { status: 400, code: 21211, message: `The 'To' number ${patient.phone} is not a valid phone number.` });

    expect(await runJob(row.id)).toBe(1);
    const failed = await messageRow(row.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'TWILIO_21211', error: 'The phone number is not a valid number (Twilio 21211)' });
    expect(failed.error).not.toContain(patient.phone);
    expect((await sendFallback(failed)).status).toBe('sent');
  });

  it('a fallback e-mail keeps quiet hours: an SMS refused at 22:30 is followed by its e-mail at 08:00', async () => {
    const patient = await registerPatient();
    clock.set(new Date('2025-10-28T02:30:00Z')); // 22:30 in New York
    // An answer to the patient's own text goes at any hour: refused at once, at 22:30.
    const row = await queueSms(patient, { timing: 'at_once' });
    fake.failNext(1, { status: 400, code: 21211, message: 'The To number is not a valid phone number.' });
    await runJob(row.id);
    expect(fake.requestCount).toBe(1);
    const [email] = await db.select().from(messages).where(eq(messages.fallbackOf, row.id));
    expect(email!.sendAt).toEqual(new Date('2025-10-28T12:00:00Z')); // 08:00 in New York
  });

  it('21610 at send time: the patient is opted out (patient.opted-out), and the e-mail goes instead', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(1, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });

    await runJob(row.id);
    expect(await messageRow(row.id)).toMatchObject({ status: 'failed', errorCode: 'TWILIO_21610' });
    expect(await recipientOf(patient.patientId)).toMatchObject({ smsOptedOut: true });
    expect(await published('patient.opted-out', patient.patientId)).toHaveLength(2); // scheduling and followup
    expect((await sendFallback(await messageRow(row.id))).status).toBe('sent');

    // The next SMS is stopped before the provider, and goes by e-mail.
    const next = await queueSms(patient);
    await runJob(next.id);
    expect(await messageRow(next.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_OPTED_OUT' });
    expect((await sendFallback(await messageRow(next.id))).status).toBe('sent');
    expect(fake.requestCount).toBe(1);
  });

  it('an SMTP deferral is retried with the same Message-ID; a 550 fails at once', async () => {
    const patient = await registerPatient({ preferredChannel: 'email' });
    const deferred = await queueSms(patient, { channel: 'email', subject: 'Check-in', body: 'How are you?', toAddress: patient.email, dedupeKey: `step:${randomUUID()}:email` });
    smtp.failNext(1, { responseCode: 451 });
    expect(await runJob(deferred.id)).toBe(2);
    expect(await messageRow(deferred.id)).toMatchObject({ status: 'sent', attempts: 2 });
    const [mail] = await smtp.waitForMails(1, { to: patient.email! });
    expect(mail!.raw).toContain(`Message-ID: <${deferred.id}@aftercare.local>`);

    const refused = await queueSms(patient, { channel: 'email', subject: 'Check-in', body: 'How are you?', toAddress: patient.email, dedupeKey: `step:${randomUUID()}:email` });
    smtp.failNext(1, { responseCode: 550 });
    expect(await runJob(refused.id)).toBe(1);
    expect(await messageRow(refused.id)).toMatchObject({ status: 'failed', errorCode: 'SMTP_550', attempts: 1 });
    // No SMS for a patient who wants e-mail only: the front desk is asked to call.
    expect(await published('patient.unreachable', patient.patientId)).toEqual([
      expect.objectContaining({ messageId: refused.id, messageKind: 'checkin', reason: 'The e-mail did not reach the patient (SMTP_550), and there is no SMS to fall back to: call the patient' }),
    ]);
  });
});

describe('delivery reports', () => {
  async function sentSms(patient?: EventPayloads['patient.registered']) {
    const p = patient ?? (await registerPatient());
    const row = await queueSms(p);
    await runJob(row.id);
    return { patient: p, row: await messageRow(row.id) };
  }

  it('moves sent → delivered; a late sent and replays change nothing', async () => {
    const { row } = await sentSms();
    expect(await report(row, 'queued')).toEqual({ recorded: true });
    expect((await messageRow(row.id)).status).toBe('sent');
    await report(row, 'delivered');
    const delivered = await messageRow(row.id);
    expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: NOW });

    expect(await report(row, 'sent')).toEqual({ recorded: true }); // late: recorded, changes nothing
    expect(await report(row, 'delivered')).toEqual({ recorded: false }); // a replay: not even recorded again
    expect(await report(row, 'sent')).toEqual({ recorded: false });
    expect(await messageRow(row.id)).toEqual(delivered);
    expect(await historyOf(row.id)).toEqual([
      ['scheduled', null, 'system'],
      ['sending', null, 'sender'],
      ['sent', null, 'sender'],
      ['delivered', null, 'provider'],
    ]);
    const callbacks = await db.select().from(deliveryCallbacks).where(eq(deliveryCallbacks.messageSid, row.providerMessageId!)).orderBy(asc(deliveryCallbacks.receivedAt));
    expect(callbacks.map((c) => [c.providerStatus, c.outcome])).toEqual(
      expect.arrayContaining([
        ['queued', 'stale'],
        ['delivered', 'applied:delivered'],
        ['sent', 'stale'],
      ]),
    );
  });

  it.each(['30003', '30005', '30006'])('undelivered with %s: the number is flagged, the e-mail goes instead, later SMS go by e-mail too', async (code) => {
    const { patient, row } = await sentSms();
    await report(row, 'undelivered', code);
    const undelivered = await messageRow(row.id);
    expect(undelivered).toMatchObject({ status: 'undelivered', errorCode: `TWILIO_${code}` });
    expect(await recipientOf(patient.patientId)).toMatchObject({ smsUndeliverablePhone: patient.phone, smsUndeliverableCode: `TWILIO_${code}`, smsOptedOut: false });
    expect(await historyOf(row.id)).toContainEqual(['undelivered', `TWILIO_${code}`, 'provider']);

    const email = await sendFallback(undelivered);
    expect(email).toMatchObject({ status: 'sent', fallbackOf: row.id });
    await smtp.waitForMails(1, { to: patient.email! });

    // A replay of the report makes no second e-mail.
    await report(row, 'undelivered', code);
    await report(row, 'failed', code);
    expect((await messagesOf(patient.patientId)).filter((m) => m.channel === 'email')).toHaveLength(1);

    // The log shows it.
    const [entry] = (await messagesService.list(ctx, patient.patientId)).filter((m) => m.id === row.id);
    expect(entry).toMatchObject({ numberUndeliverable: true, status: 'undelivered', errorCode: `TWILIO_${code}` });
    expect(entry!.error).toMatch(/Twilio 3000/);

    const next = await queueSms(patient);
    await runJob(next.id);
    expect(await messageRow(next.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_UNDELIVERABLE' });
    expect((await sendFallback(await messageRow(next.id))).status).toBe('sent');
    expect(fake.messages.filter((m) => m.to === patient.phone)).toHaveLength(1);
  });

  it('a new number starts clean', async () => {
    const { patient, row } = await sentSms();
    await report(row, 'undelivered', '30005');
    await controller.patientRegistered(envelope('patient.registered', { ...patient, phone: '+13125550888' }));
    const next = await queueSms({ ...patient, phone: '+13125550888' });
    await runJob(next.id);
    expect((await messageRow(next.id)).status).toBe('sent');
  });

  it('21610 in a report opts the patient out', async () => {
    const { patient, row } = await sentSms();
    await report(row, 'failed', '21610');
    expect(await messageRow(row.id)).toMatchObject({ status: 'failed', errorCode: 'TWILIO_21610' });
    expect((await recipientOf(patient.patientId)).smsOptedOut).toBe(true);
    expect(await published('patient.opted-out', patient.patientId)).toHaveLength(2);
  });

  it('no e-mail address: the front desk is asked to call (patient.unreachable), once', async () => {
    const { patient, row } = await sentSms(await registerPatient({ email: null }));
    await report(row, 'undelivered', '30003');
    await report(row, 'failed', '30003');
    await report(row, 'undelivered', '30003');
    const failed = await messageRow(row.id);
    expect(failed.unreachableAt).toEqual(NOW);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([
      {
        patientId: patient.patientId,
        messageId: row.id,
        messageKind: 'checkin',
        reason: 'The SMS did not reach the patient (TWILIO_30003), and there is no e-mail to fall back to: call the patient',
        at: NOW.toISOString(),
      },
    ]);
    // Only the followup service hears of it, and only ids and codes travel.
    const rows = (await db.select().from(notificationsMessaging.outbox).where(eq(notificationsMessaging.outbox.eventType, 'patient.unreachable'))).filter(
      (r) => (r.envelope as EventEnvelope<'patient.unreachable'>).payload.patientId === patient.patientId,
    );
    expect(rows.map((r) => r.subscriber)).toEqual(['followup']);
    expect(JSON.stringify(rows[0]!.envelope)).not.toContain(patient.phone);
    expect((await messagesOf(patient.patientId)).filter((m) => m.channel === 'email')).toEqual([]);
  });

  it('a patient who gets both: the SMS fails, the e-mail of the same message is there already, nothing more', async () => {
    const patient = await registerPatient({ preferredChannel: 'both' });
    const cause = `step:${randomUUID()}`;
    const row = await queueSms(patient, { dedupeKey: `${cause}:sms` });
    const email = await queueSms(patient, { channel: 'email', subject: 'Check-in', body: 'How are you?', toAddress: patient.email, dedupeKey: `${cause}:email` });
    await runJob(row.id);
    await runJob(email.id);
    await report(await messageRow(row.id), 'undelivered', '30003');
    expect((await messagesOf(patient.patientId)).map((m) => [m.channel, m.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'undelivered'],
    ]);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
  });

  it('a report that comes before the send recorded its answer finds the message by our id, and it is not sent again', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    // The send's answer is late: the worker is still waiting when Twilio's report arrives.
    fake.delayNext(1, 300, { afterRecording: true });
    const sending = sender.send(row.id);
    const [accepted] = await fake.waitForMessages(1, { to: patient.phone });
    await report(row, 'sent', null, accepted!.sid);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: accepted!.sid });
    await report({ ...row, providerMessageId: accepted!.sid }, 'delivered');
    expect(await sending).toEqual({ wakeAt: null });
    expect(await messageRow(row.id)).toMatchObject({ status: 'delivered', providerMessageId: accepted!.sid, unconfirmedSince: null });
    expect(fake.messages).toHaveLength(1);
  });

  it('a message given up on after calls that got no answer went out after all: its report is the truth (failed → delivered); one whose calls were refused stays failed', async () => {
    const patient = await registerPatient();
    // Every call timed out (the outcome unknown to the end): failed, `unconfirmed_since` kept.
    const guessed = await queueSms(patient, { status: 'failed', attempts: MAX_SEND_ATTEMPTS, errorCode: 'SMS_PROVIDER_TIMEOUT', error: 'Gave up', unconfirmedSince: NOW });
    const sid = `SM${'a1'.repeat(16)}`;
    await report(guessed, 'delivered', null, sid);
    expect(await messageRow(guessed.id)).toMatchObject({ status: 'delivered', providerMessageId: sid, unconfirmedSince: null });
    // Refused by Twilio (the outcome known): a report naming it moves it nothing back.
    const refused = await queueSms(patient, { status: 'failed', attempts: 1, errorCode: 'TWILIO_21211', error: 'Refused', unconfirmedSince: null });
    await report(refused, 'delivered', null, `SM${'b2'.repeat(16)}`);
    expect(await messageRow(refused.id)).toMatchObject({ status: 'failed', errorCode: 'TWILIO_21211' });
  });

  it('a report for a message we do not know is recorded and changes nothing', async () => {
    expect(await delivery.update({ messageSid: `SM${randomUUID().replace(/-/g, '')}`, status: 'delivered', errorCode: null })).toEqual({ recorded: true });
    delivery.kick();
    await delivery.idle();
    const [unknown] = await db.select().from(deliveryCallbacks).where(eq(deliveryCallbacks.outcome, 'unknown_message'));
    expect(unknown).toBeDefined();
  });
});

describe('fallbacks from compose time and send time', () => {
  it('an opted-out patient: the SMS still waiting is suppressed before the provider and the e-mail goes (the booking confirmation, with its invite)', async () => {
    const patient = await registerPatient();
    const { appointmentId } = await bookAppointment(patient, '2025-11-05T15:00:00Z');
    const confirmation = (await messagesOf(patient.patientId)).find((m) => m.kind === 'booking_confirmation')!;
    expect(confirmation.channel).toBe('sms');
    await db.update(recipients).set({ smsOptedOut: true }).where(eq(recipients.id, patient.patientId)); // STOP came in between
    await runJob(confirmation.id);
    expect(await messageRow(confirmation.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_OPTED_OUT' });
    const email = await sendFallback(confirmation);
    expect(email.ics).toContain('METHOD:REQUEST');
    const [mail] = await smtp.waitForMails(1, { to: patient.email! });
    expect(mail!.attachments.some((a) => a.content.includes(`UID:${appointmentId}@aftercare`))).toBe(true);
    expect(fake.messages).toHaveLength(0);
  });

  it('an opted-out patient with no e-mail: the SMS still waiting is suppressed before the provider, and the front desk is asked to call, once', async () => {
    const patient = await registerPatient({ email: null });
    await bookAppointment(patient, '2025-11-05T15:00:00Z');
    const confirmation = (await messagesOf(patient.patientId)).find((m) => m.kind === 'booking_confirmation')!;
    await db.update(recipients).set({ smsOptedOut: true }).where(eq(recipients.id, patient.patientId)); // STOP came in between
    await runJob(confirmation.id);
    await runJob(confirmation.id); // a job run again (redelivered, or re-created by the reconciler) changes nothing
    expect(await messageRow(confirmation.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_OPTED_OUT' });
    expect(await published('patient.unreachable', patient.patientId)).toEqual([
      expect.objectContaining({ patientId: patient.patientId, messageId: confirmation.id, messageKind: 'booking_confirmation', reason: expect.stringMatching(/no e-mail to fall back to: call the patient/) }),
    ]);
    expect((await messagesOf(patient.patientId)).filter((m) => m.channel === 'email')).toEqual([]);
    expect(fake.messages).toHaveLength(0);
  });

  it('a cancelled appointment gets no reminder, and no fallback for it either', async () => {
    const patient = await registerPatient({ email: null });
    const booked = await bookAppointment(patient, '2025-11-05T15:00:00Z');
    const reminder = (await messagesOf(patient.patientId)).find((m) => m.kind === 'reminder')!;
    await controller.cancelled(
      envelope('appointment.cancelled', { appointmentId: booked.appointmentId, patientId: patient.patientId, clinicianId: booked.clinicianId, procedureType: 'bmac_injection', startsAt: booked.startsAt, reason: null, sequence: 1, bookedByCarePlan: false }),
    );
    // Even a reminder job woken anyway (a race with the cancellation) sends nothing.
    await db.update(messages).set({ status: 'queued' }).where(eq(messages.id, reminder.id));
    clock.set(reminder.sendAt!);
    await runJob(reminder.id);
    expect(await messageRow(reminder.id)).toMatchObject({ status: 'cancelled', errorCode: 'APPOINTMENT_CANCELLED' });
    expect(fake.messages).toHaveLength(0);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
  });

  it('a message with no channel at all asks for a call when it was due, once', async () => {
    const patient = await registerPatient({ smsConsent: false, email: null });
    const [row] = await db
      .insert(messages)
      .values({
        id: randomUUID(),
        clinicId: CLINIC_ID,
        patientId: patient.patientId,
        channel: 'sms',
        direction: 'outbound',
        kind: 'aftercare',
        status: 'suppressed',
        body: 'Aftercare instructions',
        sendAt: new Date(NOW.getTime() + 3_600_000),
        dedupeKey: `step:${randomUUID()}:none`,
        errorCode: NO_CHANNEL,
        error: 'No SMS consent and no email address: call the patient',
        createdAt: NOW,
      })
      .returning();
    await delivery.drain();
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]); // not due yet

    clock.advance(3_600_000);
    await delivery.drain();
    await delivery.drain();
    expect(await published('patient.unreachable', patient.patientId)).toEqual([expect.objectContaining({ messageId: row!.id, messageKind: 'aftercare' })]);
  });

  it('history: every message shows how it got where it is, in the log', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(1, { status: 400, code: 21211 });
    await runJob(row.id);
    const log = await messagesService.list(ctx, patient.patientId);
    const sms = log.find((m) => m.id === row.id)!;
    const email = log.find((m) => m.fallbackOf === row.id)!;
    expect(sms.statusHistory.map((h) => [h.status, h.errorCode])).toEqual([
      ['scheduled', null],
      ['sending', null],
      ['failed', 'TWILIO_21211'],
    ]);
    expect(sms.statusHistory.every((h) => typeof h.at === 'string')).toBe(true);
    expect(email).toMatchObject({ channel: 'email', status: 'scheduled', statusHistory: [expect.objectContaining({ status: 'scheduled' })] });
    const timeline = await messagesService.timeline(ctx, patient.patientId);
    expect(timeline.map((t) => (t.data as { id: string }).id)).toEqual(expect.arrayContaining([row.id, email.id]));
    expect((timeline.find((t) => (t.data as { id: string }).id === row.id)!.data as { statusHistory: unknown[] }).statusHistory).toHaveLength(3);
  });
});

it('status callbacks carry no patient data into the table that records them', async () => {
  const columns = Object.keys(deliveryCallbacks);
  expect(columns).not.toContain('to');
  expect(columns).not.toContain('body');
  const rows = await db.select().from(deliveryCallbacks).where(and(eq(deliveryCallbacks.provider, 'twilio')));
  for (const row of rows) expect(Object.values(row).join(' ')).not.toMatch(/\+1212555/);
});

// ---- the outbound path: quiet hours at send time, unknown outcomes, late and stale fallbacks ----

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Tuesday 28 October 2025, 08:30 in New York: its 2-hours-before reminder goes at 20:59 on Monday. */
const TUESDAY_0830 = '2025-10-28T12:30:00Z';
const MONDAY_2059 = new Date('2025-10-28T00:59:00Z');

async function bookAppointment(patient: EventPayloads['patient.registered'], startsAt: string, overrides: Partial<EventPayloads['appointment.booked']> = {}): Promise<EventPayloads['appointment.booked']> {
  const booked: EventPayloads['appointment.booked'] = {
    appointmentId: randomUUID(),
    patientId: patient.patientId,
    clinicianId: randomUUID(),
    clinicianName: 'Dr. Rivera',
    procedureType: 'bmac_injection',
    startsAt,
    endsAt: new Date(Date.parse(startsAt) + HOUR).toISOString(),
    sequence: 0,
    bookedByCarePlan: false,
    bookingTaskId: null,
    waitlistOfferId: null,
    ...overrides,
  };
  await controller.booked(envelope('appointment.booked', booked));
  return booked;
}

function rescheduleEvent(booked: EventPayloads['appointment.booked'], startsAt: string, sequence: number) {
  return envelope('appointment.rescheduled', {
    appointmentId: booked.appointmentId,
    patientId: booked.patientId,
    clinicianId: booked.clinicianId,
    clinicianName: booked.clinicianName,
    procedureType: booked.procedureType,
    startsAt,
    endsAt: new Date(Date.parse(startsAt) + HOUR).toISOString(),
    sequence,
    previousStartsAt: booked.startsAt,
  });
}

const remindersOf = async (patientId: string) => (await messagesOf(patientId)).filter((m) => m.kind === 'reminder' && m.channel === 'sms');
const fallbacksOf = async (id: string) => db.select().from(messages).where(eq(messages.fallbackOf, id));

describe('quiet hours at send time', () => {
  it('a reminder due 20:59 whose retry would come at 21:00 is not sent in the night: failed, and its e-mail goes while it still may', async () => {
    const patient = await registerPatient();
    await bookAppointment(patient, TUESDAY_0830);
    const [reminder] = await remindersOf(patient.patientId);
    expect(reminder).toMatchObject({ sendAt: MONDAY_2059, timing: 'reminder' });

    clock.set(new Date('2025-10-28T00:59:50Z')); // 20:59:50: the retry's 15-30 s fall after 21:00
    fake.failNext(1, { status: 503, code: 20503 });
    await runJob(reminder!.id);
    expect(fake.requestCount).toBe(1);
    expect(fake.messages).toHaveLength(0);
    const failed = await messageRow(reminder!.id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'SMS_PROVIDER_UNAVAILABLE', attempts: 1 });
    expect(failed.error).toMatch(/quiet hours/);
    const [email] = await fallbacksOf(reminder!.id);
    expect(email).toMatchObject({ channel: 'email', sendAt: new Date('2025-10-28T00:59:50Z') });
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
  });

  it('a reminder job woken late (after an outage) at 21:00:15 is dropped as too late, never sent late', async () => {
    const patient = await registerPatient();
    await bookAppointment(patient, TUESDAY_0830);
    const [reminder] = await remindersOf(patient.patientId);
    clock.set(new Date('2025-10-28T01:00:15Z'));
    expect(await runJob(reminder!.id)).toBe(1);
    const dropped = await messageRow(reminder!.id);
    expect(dropped).toMatchObject({ status: 'suppressed', errorCode: 'TOO_LATE', attempts: 0 });
    expect(await historyOf(reminder!.id)).toContainEqual(['suppressed', 'TOO_LATE', 'sender']);
    expect(fake.requestCount).toBe(0);
    expect(await fallbacksOf(reminder!.id)).toEqual([]);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
  });

  it('a reminder woken in the night that is still of use by 08:00 goes at 08:00', async () => {
    const patient = await registerPatient();
    await bookAppointment(patient, '2025-10-28T15:00:00Z'); // Tuesday 11:00: the 2-hours reminder at 09:00
    const [reminder] = await remindersOf(patient.patientId);
    // Its job re-created late by the reconciler, in the night.
    await db.update(messages).set({ sendAt: new Date('2025-10-28T02:00:00Z') }).where(eq(messages.id, reminder!.id));
    clock.set(new Date('2025-10-28T03:00:00Z'));
    expect((await sender.send(reminder!.id)).wakeAt).toEqual(new Date('2025-10-28T12:00:00Z'));
    expect(fake.requestCount).toBe(0);
    clock.set(new Date('2025-10-28T12:00:00Z'));
    expect(await runJob(reminder!.id)).toBe(1);
    expect(await messageRow(reminder!.id)).toMatchObject({ status: 'sent', sentAt: new Date('2025-10-28T12:00:00Z') });
  });

  it('a check-in woken in the night waits for 08:00; an answer to the patient goes at once', async () => {
    const patient = await registerPatient();
    clock.set(new Date('2025-10-28T03:00:00Z')); // 23:00 in New York
    const checkin = await queueSms(patient, { sendAt: new Date('2025-10-28T00:30:00Z') }); // meant for 20:30
    const answer = await queueSms(patient, { timing: 'at_once' });

    const first = await sender.send(checkin.id);
    expect(first.wakeAt).toEqual(new Date('2025-10-28T12:00:00Z'));
    // A counted SMS held into another day is placed there (under the cap), as compose writes one it holds.
    expect(await messageRow(checkin.id)).toMatchObject({ status: 'scheduled', attempts: 0, sendAt: first.wakeAt, nextAttemptAt: first.wakeAt });
    expect(await runJob(answer.id)).toBe(1);
    expect(fake.messages.map((m) => m.body)).toEqual([answer.body]);

    clock.set(first.wakeAt!);
    expect(await runJob(checkin.id)).toBe(1);
    expect(await messageRow(checkin.id)).toMatchObject({ status: 'sent', sentAt: first.wakeAt });
  });

  it('a retry that would fall in the night waits for 08:00', async () => {
    const patient = await registerPatient();
    clock.set(new Date('2025-10-28T00:59:50Z'));
    const row = await queueSms(patient);
    fake.failNext(1, { status: 503, code: 20503 });
    const first = await sender.send(row.id);
    expect(first.wakeAt).toEqual(new Date('2025-10-28T12:00:00Z'));
    expect(await messageRow(row.id)).toMatchObject({ status: 'queued', nextAttemptAt: first.wakeAt });
  });

  it('compose stores how each message is timed', async () => {
    const patient = await registerPatient();
    await bookAppointment(patient, TUESDAY_0830, { waitlistOfferId: randomUUID() }); // booked from the patient's YES
    const rows = await messagesOf(patient.patientId);
    expect(rows.find((m) => m.kind === 'booking_confirmation')!.timing).toBe('at_once');
    expect(rows.find((m) => m.kind === 'reminder')!.timing).toBe('reminder');
    const stepId = randomUUID();
    await controller.carePlanMessageDue(envelope('care-plan.message-due', { stepId, carePlanId: randomUUID(), patientId: patient.patientId, kind: 'checkin', dueAt: NOW.toISOString() }));
    expect((await messagesOf(patient.patientId)).find((m) => m.stepId === stepId)!.timing).toBe('later');
  });
});

describe('the frequency cap at send time (a counted SMS that goes on another day than it was placed on)', () => {
  // The service's default limits: 2 counted SMS a day, 6 a week. Monday 27 October 2025, New York (EDT).
  const TUESDAY_0800 = new Date('2025-10-28T12:00:00Z');
  const WEDNESDAY_0800 = new Date('2025-10-29T12:00:00Z');
  const checkinsOf = async (patientId: string) =>
    (await messagesOf(patientId)).filter((m) => m.kind === 'checkin' && m.channel === 'sms').sort((a, b) => a.sendAt!.getTime() - b.sendAt!.getTime());
  const composeCheckin = (patientId: string, dueAt: string) =>
    controller.carePlanMessageDue(envelope('care-plan.message-due', { stepId: randomUUID(), carePlanId: randomUUID(), patientId, kind: 'checkin', dueAt }));

  it('a check-in held by quiet hours into the next morning counts on that morning: a check-in composed later for that day that would be its third moves on', async () => {
    const patient = await registerPatient();
    clock.set(new Date('2025-10-28T03:00:00Z')); // Monday 23:00
    const held = await queueSms(patient, { sendAt: new Date('2025-10-28T00:30:00Z') }); // meant for Monday 20:30
    expect((await sender.send(held.id)).wakeAt).toEqual(TUESDAY_0800);
    // Placed for Tuesday, as compose writes a message it holds.
    expect(await messageRow(held.id)).toMatchObject({ status: 'scheduled', sendAt: TUESDAY_0800, dueAt: TUESDAY_0800 });

    await composeCheckin(patient.patientId, '2025-10-28T14:00:00Z'); // Tuesday 10:00
    await composeCheckin(patient.patientId, '2025-10-28T16:00:00Z'); // Tuesday 12:00: Tuesday's third
    expect((await checkinsOf(patient.patientId)).filter((m) => m.id !== held.id).map((m) => [m.status, m.sendAt])).toEqual([
      ['scheduled', new Date('2025-10-28T14:00:00Z')],
      ['scheduled', WEDNESDAY_0800],
    ]);
  });

  it('a check-in whose retry is held into the next morning counts on that morning from then on, and is placed there when it wakes', async () => {
    const patient = await registerPatient();
    clock.set(new Date('2025-10-28T00:59:50Z')); // Monday 20:59:50
    const retried = await queueSms(patient);
    fake.failNext(1, { status: 503, code: 20503 });
    expect((await sender.send(retried.id)).wakeAt).toEqual(TUESDAY_0800);
    expect(await messageRow(retried.id)).toMatchObject({ status: 'queued', sendAt: retried.sendAt, dueAt: TUESDAY_0800 });

    await composeCheckin(patient.patientId, '2025-10-28T14:00:00Z'); // Tuesday 10:00
    await composeCheckin(patient.patientId, '2025-10-28T16:00:00Z'); // Tuesday 12:00: Tuesday's third
    expect((await checkinsOf(patient.patientId)).filter((m) => m.id !== retried.id).map((m) => [m.status, m.sendAt])).toEqual([
      ['scheduled', new Date('2025-10-28T14:00:00Z')],
      ['scheduled', WEDNESDAY_0800],
    ]);

    clock.set(TUESDAY_0800);
    expect(await runJob(retried.id)).toBe(1);
    expect(await messageRow(retried.id)).toMatchObject({ status: 'sent', sentAt: TUESDAY_0800, sendAt: TUESDAY_0800, attempts: 2 });
  });

  it('a check-in whose job woke a day late, onto a day with two counted SMS already, is not their third: it waits for the next morning with room, then goes once', async () => {
    const patient = await registerPatient();
    const late = await queueSms(patient, { sendAt: new Date('2025-10-27T14:00:00Z') }); // meant for Monday 10:00
    await queueSms(patient, { sendAt: new Date('2025-10-28T13:00:00Z') }); // Tuesday 09:00
    await queueSms(patient, { sendAt: new Date('2025-10-28T17:00:00Z') }); // Tuesday 13:00
    clock.set(new Date('2025-10-28T14:00:00Z')); // Tuesday 10:00, after an outage

    const first = await sender.send(late.id);
    expect(first.wakeAt).toEqual(WEDNESDAY_0800);
    expect(fake.requestCount).toBe(0);
    // Moved by the cap, it is meant for Wednesday now, as compose writes such a message.
    expect(await messageRow(late.id)).toMatchObject({ status: 'scheduled', attempts: 0, sendAt: WEDNESDAY_0800, dueAt: WEDNESDAY_0800 });

    clock.set(WEDNESDAY_0800);
    expect(await runJob(late.id)).toBe(1);
    expect(await messageRow(late.id)).toMatchObject({ status: 'sent', sentAt: WEDNESDAY_0800 });
    expect(fake.messages.map((m) => m.body)).toEqual([late.body]);
  });

  it('two late check-ins woken together onto a day with room for one: one goes at once and counts there, the other waits for the next morning', async () => {
    const patient = await registerPatient();
    const a = await queueSms(patient, { sendAt: new Date('2025-10-27T14:00:00Z') }); // Monday 10:00
    const b = await queueSms(patient, { sendAt: new Date('2025-10-27T15:00:00Z') }); // Monday 11:00
    await queueSms(patient, { sendAt: new Date('2025-10-28T13:00:00Z') }); // Tuesday 09:00
    const tuesday1000 = new Date('2025-10-28T14:00:00Z');
    clock.set(tuesday1000);

    const outcomes = await Promise.all([a, b].map((m) => sender.send(m.id)));
    // One placement may find the patient's row busy with the other's: it comes back a second later.
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.wakeAt && outcome.wakeAt < WEDNESDAY_0800) {
        expect(outcome.wakeAt).toEqual(new Date(tuesday1000.getTime() + 1_000));
        clock.set(outcome.wakeAt);
        outcomes[i] = await sender.send([a, b][i]!.id);
      }
    }
    expect(outcomes.map((o) => o.wakeAt?.toISOString() ?? 'done').sort()).toEqual([WEDNESDAY_0800.toISOString(), 'done']);
    expect(fake.messages).toHaveLength(1);
    const rows = await Promise.all([a, b].map((m) => messageRow(m.id)));
    expect(rows.map((r) => [r.status, r.status === 'sent' ? r.sentAt : r.dueAt]).sort()).toEqual([
      ['scheduled', WEDNESDAY_0800],
      ['sent', tuesday1000],
    ]);
  });

  it('the same late check-in woken twice at once (a duplicate job): placed once; the second leaves it to the first', async () => {
    const patient = await registerPatient();
    const late = await queueSms(patient, { sendAt: new Date('2025-10-27T14:00:00Z') }); // Monday 10:00
    await queueSms(patient, { sendAt: new Date('2025-10-28T13:00:00Z') });
    await queueSms(patient, { sendAt: new Date('2025-10-28T17:00:00Z') });
    clock.set(new Date('2025-10-28T14:00:00Z')); // Tuesday 10:00, full

    const outcomes = await Promise.all([sender.send(late.id), sender.send(late.id)]);
    expect(outcomes.map((o) => o.wakeAt?.toISOString() ?? 'done').sort()).toEqual([WEDNESDAY_0800.toISOString(), 'done']);
    expect(await messageRow(late.id)).toMatchObject({ status: 'scheduled', sendAt: WEDNESDAY_0800 });
    expect(fake.requestCount).toBe(0);
  });

  it('a patient whose row another transaction holds (an inbound text locks it before their messages) is not waited for: the send comes back a second later, and is placed then', async () => {
    const patient = await registerPatient();
    const late = await queueSms(patient, { sendAt: new Date('2025-10-27T14:00:00Z') }); // Monday 10:00
    const tuesday1000 = new Date('2025-10-28T14:00:00Z');
    clock.set(tuesday1000);
    const other = await pool.connect();
    let busy: Awaited<ReturnType<typeof sender.send>>;
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM notifications.recipients WHERE id = $1 FOR UPDATE', [patient.patientId]);
      busy = await sender.send(late.id);
      expect(await messageRow(late.id)).toMatchObject({ status: 'scheduled', sendAt: late.sendAt, updatedAt: late.updatedAt });
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    expect(busy.wakeAt).toEqual(new Date(tuesday1000.getTime() + 1_000));
    expect(fake.requestCount).toBe(0);
    clock.set(busy.wakeAt!);
    expect(await runJob(late.id)).toBe(1);
    expect(await messageRow(late.id)).toMatchObject({ status: 'sent', sendAt: busy.wakeAt, sentAt: busy.wakeAt });
  });

  it('one whose earlier call may have gone is not placed again (it may count on the day it went): the provider is asked first, and has it', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient, { sendAt: new Date('2025-10-28T03:50:00Z') }); // Monday 23:50
    await queueSms(patient, { sendAt: new Date('2025-10-28T13:00:00Z') });
    await queueSms(patient, { sendAt: new Date('2025-10-28T17:00:00Z') });
    // Monday 23:50 its call timed out with Twilio having taken it; the retry comes Tuesday 10:00, onto a full day.
    const twilio = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url });
    clock.set(new Date('2025-10-28T03:50:00Z'));
    const accepted = await twilio.send({ to: patient.phone, body: row.body });
    await db
      .update(messages)
      .set({ status: 'queued', attempts: 1, unconfirmedSince: clock.now(), errorCode: 'SMS_PROVIDER_TIMEOUT', nextAttemptAt: new Date('2025-10-28T14:00:00Z') })
      .where(eq(messages.id, row.id));
    clock.set(new Date('2025-10-28T14:00:00Z'));

    expect(await runJob(row.id)).toBe(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: accepted.providerMessageId });
    expect(fake.messages).toHaveLength(1);
  });

  it('a reminder woken late onto a full day, with no room before it stops being of use, is dropped (FREQUENCY_CAP): not sent late, no e-mail instead', async () => {
    const patient = await registerPatient({ preferredChannel: 'both' });
    await bookAppointment(patient, '2025-10-29T16:00:00Z'); // Wednesday 12:00: reminders Monday 12:00 and Wednesday 10:00
    const reminder = (await remindersOf(patient.patientId)).find((m) => m.sendAt!.getTime() === Date.parse('2025-10-27T16:00:00Z'))!;
    await queueSms(patient, { sendAt: new Date('2025-10-28T13:00:00Z') }); // Tuesday 09:00
    await queueSms(patient, { sendAt: new Date('2025-10-28T17:00:00Z') }); // Tuesday 13:00
    await queueSms(patient, { sendAt: new Date('2025-10-29T13:00:00Z') }); // Wednesday 09:00, beside the 10:00 reminder
    clock.set(new Date('2025-10-28T14:00:00Z')); // Tuesday 10:00: the Monday reminder's job woke a day late

    expect(await runJob(reminder.id)).toBe(1);
    expect(fake.requestCount).toBe(0);
    const dropped = await messageRow(reminder.id);
    expect(dropped).toMatchObject({ status: 'suppressed', errorCode: 'FREQUENCY_CAP', attempts: 0 });
    expect(dropped.error).toBe('Within the SMS limit (2 a day, 6 a week) the reminder could only go less than 60 minutes before the appointment');
    expect(await historyOf(reminder.id)).toContainEqual(['suppressed', 'FREQUENCY_CAP', 'sender']);
    expect(await fallbacksOf(reminder.id)).toEqual([]);
  });
});

describe('an outcome that is not known stays unknown until settled', () => {
  it('attempt 1 accepted with its answer lost, attempt 2 finds nothing in the list and gets a 503: attempt 3 asks again and does not send twice', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.delayNext(1, 2_500, { afterRecording: true }); // Twilio takes it; the sender gives up after 1 s
    const first = await sender.send(row.id);
    expect(await messageRow(row.id)).toMatchObject({ status: 'queued', errorCode: 'SMS_PROVIDER_TIMEOUT' });

    fake.listLagMs = 60_000; // Twilio's list does not show it yet
    fake.failNext(1, { status: 503, code: 20503 });
    clock.set(first.wakeAt!);
    const second = await sender.send(row.id);
    const afterSecond = await messageRow(row.id);
    expect(afterSecond).toMatchObject({ status: 'queued', errorCode: 'SMS_PROVIDER_UNAVAILABLE', attempts: 2 });
    expect(afterSecond.unconfirmedSince).not.toBeNull();

    fake.listLagMs = 0;
    clock.set(second.wakeAt!);
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });
    expect(fake.listCount).toBe(2);
    expect(fake.messages).toHaveLength(1);
    expect(await messageRow(row.id)).toMatchObject({ status: 'sent', providerMessageId: fake.messages[0]!.sid, attempts: 3, unconfirmedSince: null });
  });

  it.each([500, 502, 504])('HTTP %i: Twilio may have taken it, so the retry asks first', async (status) => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    fake.failNext(1, { status });
    const first = await sender.send(row.id);
    const waiting = await messageRow(row.id);
    expect(waiting).toMatchObject({ status: 'queued', errorCode: 'SMS_PROVIDER_ERROR' });
    expect(waiting.unconfirmedSince).not.toBeNull();
    clock.set(first.wakeAt!);
    expect(await sender.send(row.id)).toEqual({ wakeAt: null });
    expect(fake.listCount).toBe(1);
    expect(fake.requestCount).toBe(2);
    expect(fake.messages).toHaveLength(1);
  });
});

describe('failures whose fallback cannot help', () => {
  async function sentReminder(patient: EventPayloads['patient.registered']) {
    await bookAppointment(patient, TUESDAY_0830);
    const [reminder] = await remindersOf(patient.patientId);
    clock.set(reminder!.sendAt!);
    await runJob(reminder!.id);
    const sent = await messageRow(reminder!.id);
    expect(sent.status).toBe('sent');
    return sent;
  }

  it('a 2-hours-before reminder undelivered (30003) at 21:01: its e-mail would come too late, so the front desk is asked to call, once', async () => {
    const patient = await registerPatient();
    const sent = await sentReminder(patient);
    clock.set(new Date('2025-10-28T01:01:00Z'));
    await report(sent, 'undelivered', '30003');
    await report(sent, 'failed', '30003');
    expect(await fallbacksOf(sent.id)).toEqual([]);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([
      {
        patientId: patient.patientId,
        messageId: sent.id,
        messageKind: 'reminder',
        reason: 'The SMS did not reach the patient (TWILIO_30003), and an e-mail could not reach them in time: call the patient',
        at: '2025-10-28T01:01:00.000Z',
      },
    ]);
    expect((await messageRow(sent.id)).unreachableAt).toEqual(new Date('2025-10-28T01:01:00Z'));
  });

  it('once the appointment has begun, nothing follows, and the row says why', async () => {
    const patient = await registerPatient();
    const sent = await sentReminder(patient);
    clock.set(new Date('2025-10-28T12:40:00Z'));
    await report(sent, 'undelivered', '30003');
    expect(await fallbacksOf(sent.id)).toEqual([]);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
    expect((await messageRow(sent.id)).error).toBe('The phone is unreachable (switched off or out of coverage) (Twilio 30003); nothing follows: the appointment has begun');
  });
});

describe('an appointment that moved', () => {
  it('a report that a reminder of the old time was undelivered sends no e-mail reminder for the new time, and asks for no call', async () => {
    const patient = await registerPatient();
    const booked = await bookAppointment(patient, '2025-10-29T15:00:00Z'); // Wednesday 11:00: the 48-hours reminder is Monday 11:00
    const reminder = (await remindersOf(patient.patientId)).find((m) => m.dedupeKey!.includes(':reminder-48h:0:'))!;
    clock.set(reminder.sendAt!);
    await runJob(reminder.id);
    const sent = await messageRow(reminder.id);
    expect(sent.status).toBe('sent');

    await controller.rescheduled(rescheduleEvent(booked, '2025-10-30T15:00:00Z', 1));
    clock.advance(5 * 60_000);
    await report(sent, 'undelivered', '30003');
    expect((await messagesOf(patient.patientId)).filter((m) => m.channel === 'email')).toEqual([]);
    expect(await published('patient.unreachable', patient.patientId)).toEqual([]);
    expect((await messageRow(sent.id)).error).toMatch(/nothing follows: the appointment was moved since$/);
  });

  it('a reminder of the old time woken anyway (a race with the move) is cancelled as rescheduled, not sent', async () => {
    const patient = await registerPatient();
    const booked = await bookAppointment(patient, '2025-10-29T15:00:00Z');
    const reminder = (await remindersOf(patient.patientId)).find((m) => m.dedupeKey!.includes(':reminder-48h:0:'))!;
    await controller.rescheduled(rescheduleEvent(booked, '2025-10-30T15:00:00Z', 1));
    await db.update(messages).set({ status: 'queued', errorCode: null, error: null }).where(eq(messages.id, reminder.id));
    clock.set(reminder.sendAt!);
    await runJob(reminder.id);
    expect(await messageRow(reminder.id)).toMatchObject({ status: 'cancelled', errorCode: 'APPOINTMENT_RESCHEDULED' });
    expect(fake.requestCount).toBe(0);
  });
});

describe('cancelled messages say why', () => {
  it.each([
    ['rescheduled', 'APPOINTMENT_RESCHEDULED'],
    ['cancelled', 'APPOINTMENT_CANCELLED'],
    ['checked in', 'APPOINTMENT_CHECKED_IN'],
    ['a no-show', 'APPOINTMENT_NO_SHOW'],
  ])('reminders of an appointment %s: %s, with the reason, in the log', async (what, code) => {
    const patient = await registerPatient();
    const booked = await bookAppointment(patient, '2025-10-29T15:00:00Z');
    const { appointmentId, clinicianId, procedureType } = booked;
    if (what === 'rescheduled') await controller.rescheduled(rescheduleEvent(booked, '2025-10-30T15:00:00Z', 1));
    if (what === 'cancelled')
      await controller.cancelled(envelope('appointment.cancelled', { appointmentId, patientId: patient.patientId, clinicianId, procedureType, startsAt: booked.startsAt, reason: null, sequence: 1, bookedByCarePlan: false }));
    if (what === 'checked in') await controller.checkedIn(envelope('appointment.checked-in', { appointmentId, patientId: patient.patientId, at: NOW.toISOString() }));
    if (what === 'a no-show')
      await controller.noShow(envelope('appointment.no-show', { appointmentId, patientId: patient.patientId, clinicianId, procedureType, startsAt: booked.startsAt, sequence: 0, bookedByCarePlan: false }));
    const old = (await remindersOf(patient.patientId)).filter((m) => m.dedupeKey!.endsWith(':0:sms'));
    expect(old.length).toBeGreaterThan(0);
    for (const reminder of old) {
      expect(reminder).toMatchObject({ status: 'cancelled', errorCode: code });
      expect(reminder.error).toBeTruthy();
      expect((await historyOf(reminder.id)).at(-1)).toEqual(['cancelled', code, 'system']);
    }
  });
});

describe('many sends at once (as the worker runs them, sharing statements)', () => {
  it('sends each message exactly once, records each its own provider id, and suppresses only the opted-out one', async () => {
    const patients = await Promise.all(Array.from({ length: 30 }, () => registerPatient()));
    const rows = await Promise.all(patients.map((p) => queueSms(p)));
    const optedOut = patients[7]!;
    await db.update(recipients).set({ smsOptedOut: true }).where(eq(recipients.id, optedOut.patientId));
    // Two jobs for one row (a stalled job handed to a second worker) in the same burst.
    const runs = await Promise.all([...rows.map((r) => sender.send(r.id)), sender.send(rows[3]!.id), sender.send('not-a-uuid')]);
    // None postponed (a provider call that timed out would be, for its retry).
    expect(runs.filter((r) => r.wakeAt !== null)).toEqual([]);

    expect(fake.messages).toHaveLength(29);
    for (const [i, row] of rows.entries()) {
      const after = await messageRow(row.id);
      if (i === 7) {
        expect(after).toMatchObject({ status: 'suppressed', errorCode: 'SMS_OPTED_OUT' });
        continue;
      }
      const atProvider = fake.messages.filter((m) => m.sid === after.providerMessageId);
      expect(atProvider).toEqual([expect.objectContaining({ to: row.toAddress, body: row.body })]);
      expect(after).toMatchObject({ status: 'sent', attempts: 1, unconfirmedSince: null });
      expect(await historyOf(row.id)).toEqual([
        ['scheduled', null, 'system'],
        ['sending', null, 'sender'],
        ['sent', null, 'sender'],
      ]);
    }
    expect(await fallbacksOf(rows[7]!.id)).toHaveLength(1);
  });
});

describe('suppression decided in the claim itself', () => {
  it('a STOP committed between the checks and the claim still stops the send, and the e-mail goes instead', async () => {
    const patient = await registerPatient();
    const row = await queueSms(patient);
    const internals = sender as unknown as { claimMany: (r: MessageRow[]) => Promise<(MessageRow | null)[]> };
    const claimMany = internals.claimMany;
    internals.claimMany = async function (this: unknown, r: MessageRow[]) {
      await db.update(recipients).set({ smsOptedOut: true }).where(eq(recipients.id, patient.patientId)); // STOP, committed
      return claimMany.call(this, r);
    };
    try {
      await runJob(row.id);
    } finally {
      delete (internals as { claimMany?: unknown }).claimMany;
    }
    expect(fake.requestCount).toBe(0);
    expect(await messageRow(row.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_OPTED_OUT', attempts: 0 });
    expect(await fallbacksOf(row.id)).toHaveLength(1);
  });
});

describe('a number the carrier reported unable to take SMS', () => {
  const flag = (patientId: string, code: string, at: Date) =>
    db.update(recipients).set({ smsUndeliverablePhone: sql`phone`, smsUndeliverableCode: code, smsUndeliverableAt: at }).where(eq(recipients.id, patientId));
  const checkinDue = async (patientId: string) => {
    const stepId = randomUUID();
    await controller.carePlanMessageDue(envelope('care-plan.message-due', { stepId, carePlanId: randomUUID(), patientId, kind: 'checkin', dueAt: clock.now().toISOString() }));
    return (await messagesOf(patientId)).filter((m) => m.stepId === stepId).map((m) => m.channel);
  };

  it('gets no SMS written (they would only be suppressed, and count toward the cap): the e-mail instead', async () => {
    const patient = await registerPatient();
    await flag(patient.patientId, 'TWILIO_30005', NOW);
    expect(await checkinDue(patient.patientId)).toEqual(['email']);
  });

  it('without an e-mail address: no SMS either, and the front desk is asked to call', async () => {
    const patient = await registerPatient({ email: null });
    await flag(patient.patientId, 'TWILIO_30006', NOW);
    expect(await checkinDue(patient.patientId)).toEqual(['sms']); // the "no channel" record
    const [none] = (await messagesOf(patient.patientId)).filter((m) => m.kind === 'checkin');
    expect(none).toMatchObject({ status: 'suppressed', errorCode: NO_CHANNEL, toAddress: null });
    await delivery.drain();
    expect(await published('patient.unreachable', patient.patientId)).toEqual([
      expect.objectContaining({ messageId: none!.id, reason: 'The carrier reported the number cannot take SMS, and there is no email address: call the patient' }),
    ]);
  });

  it('a 30003 (phone off) runs out after 7 days; 30005 and 30006 stay until the number changes', async () => {
    const patient = await registerPatient();
    await flag(patient.patientId, 'TWILIO_30003', new Date(NOW.getTime() - 6 * DAY));
    expect(await checkinDue(patient.patientId)).toEqual(['email']);
    const held = await queueSms(patient);
    await runJob(held.id);
    expect(await messageRow(held.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_UNDELIVERABLE' });

    await flag(patient.patientId, 'TWILIO_30003', new Date(NOW.getTime() - 7 * DAY - 1));
    expect(await checkinDue(patient.patientId)).toEqual(['sms']);
    const again = await queueSms(patient);
    await runJob(again.id);
    expect((await messageRow(again.id)).status).toBe('sent');
    expect((await messagesService.withHistory([await messageRow(again.id)]))[0]!.numberUndeliverable).toBe(false);

    await flag(patient.patientId, 'TWILIO_30005', new Date(NOW.getTime() - 30 * DAY));
    const stays = await queueSms(patient);
    await runJob(stays.id);
    expect(await messageRow(stays.id)).toMatchObject({ status: 'suppressed', errorCode: 'SMS_UNDELIVERABLE' });
  });

  it('a text from the number clears the flag: it takes SMS after all', async () => {
    const patient = await registerPatient();
    await flag(patient.patientId, 'TWILIO_30005', NOW);
    await inbound.receive({ messageSid: `SM${randomUUID().replace(/-/g, '')}`, from: patient.phone, to: FROM, body: 'Thanks, see you then' });
    expect(await recipientOf(patient.patientId)).toMatchObject({ smsUndeliverablePhone: null, smsUndeliverableCode: null, smsUndeliverableAt: null });
    const row = await queueSms(patient);
    await runJob(row.id);
    expect((await messageRow(row.id)).status).toBe('sent');
  });
});

describe('delivery reports that never came', () => {
  const LOCK = 'aftercare.notifications.delivery-report-check';
  /** Passes until nothing is left to ask about (rows of other tests are asked about too). */
  async function checkAll(): Promise<void> {
    while ((await reportCheck.checkDue()).checked > 0) {
      /* next batch */
    }
    await delivery.idle();
  }
  async function sentSms(patient: EventPayloads['patient.registered']) {
    const row = await queueSms(patient);
    await runJob(row.id);
    return messageRow(row.id);
  }

  it('an SMS still sent 6 hours on has its status fetched from Twilio and applied like a callback: undelivered, then the e-mail', async () => {
    const patient = await registerPatient();
    const sent = await sentSms(patient);
    fake.setStatus(sent.providerMessageId!, 'undelivered', 30003); // the callback was lost: we were down

    clock.set(new Date(NOW.getTime() + 5 * HOUR));
    await checkAll();
    expect(await messageRow(sent.id)).toMatchObject({ status: 'sent', reportCheckedAt: null });

    clock.set(new Date(NOW.getTime() + 6 * HOUR + 1_000));
    await checkAll();
    expect(await messageRow(sent.id)).toMatchObject({ status: 'undelivered', errorCode: 'TWILIO_30003' });
    expect(await historyOf(sent.id)).toContainEqual(['undelivered', 'TWILIO_30003', 'provider']);
    expect(await fallbacksOf(sent.id)).toHaveLength(1);
    expect(await recipientOf(patient.patientId)).toMatchObject({ smsUndeliverablePhone: patient.phone });
    const callbacks = await db.select().from(deliveryCallbacks).where(eq(deliveryCallbacks.messageSid, sent.providerMessageId!));
    expect(callbacks.map((c) => [c.providerStatus, c.errorCode, c.outcome])).toEqual([['undelivered', '30003', 'applied:undelivered']]);
  });

  it('a delivered one is recorded as delivered; one Twilio still has as sent is asked about again only hours later', async () => {
    const patient = await registerPatient();
    const delivered = await sentSms(patient);
    const pending = await sentSms(patient);
    fake.setStatus(delivered.providerMessageId!, 'delivered');
    fake.setStatus(pending.providerMessageId!, 'sent');

    clock.set(new Date(NOW.getTime() + 6 * HOUR + 1_000));
    await checkAll();
    expect(await messageRow(delivered.id)).toMatchObject({ status: 'delivered' });
    const stillSent = await messageRow(pending.id);
    expect(stillSent).toMatchObject({ status: 'sent', reportCheckedAt: clock.now() });

    clock.advance(HOUR);
    await checkAll();
    expect((await messageRow(pending.id)).reportCheckedAt).toEqual(stillSent.reportCheckedAt); // not asked again an hour on

    clock.advance(6 * HOUR);
    fake.setStatus(pending.providerMessageId!, 'delivered');
    await checkAll();
    expect(await messageRow(pending.id)).toMatchObject({ status: 'delivered' });
  });

  it('one instance at a time: while another holds the lock, a pass asks nothing', async () => {
    const patient = await registerPatient();
    const sent = await sentSms(patient);
    fake.setStatus(sent.providerMessageId!, 'delivered');
    clock.set(new Date(NOW.getTime() + 6 * HOUR + 1_000));
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK]);
      expect(await reportCheck.checkDue()).toEqual({ checked: 0, reported: 0 });
      expect(await messageRow(sent.id)).toMatchObject({ status: 'sent', reportCheckedAt: null });
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    await checkAll();
    expect(await messageRow(sent.id)).toMatchObject({ status: 'delivered' });
  });
});
