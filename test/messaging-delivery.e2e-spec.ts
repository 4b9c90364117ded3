import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import pg from 'pg';
import { DEMO } from '@aftercare/contracts';
import { waitFor, type TwilioFakeMessage, type WebhookCallOptions } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

/**
 * Outbound delivery over HTTP with all four services (issue: "Patient messaging, done right",
 * points 2, 5, 6, 9 and 10): the real twilio library against the Twilio-compatible fake, which
 * fails, times out, drops and signs delivery reports; nodemailer against the SMTP capture.
 *
 * PUBLIC_URL is not where the gateway listens (as behind a TLS proxy): Twilio signs the public
 * URL and the fake posts to the gateway's own address, the way a proxy forwards.
 */

const PUBLIC_URL = 'https://aftercare-clinic.example';
const NY = DEMO.clinicTimezone;
const CLINICIAN = DEMO.clinicians[2];

interface Message {
  id: string;
  channel: 'sms' | 'email';
  direction: string;
  kind: string;
  status: string;
  error: string | null;
  errorCode: string | null;
  fallbackOf: string | null;
  numberUndeliverable: boolean;
  sentAt: string | null;
  statusHistory: { status: string; at: string; errorCode: string | null; source: string }[];
}

describe('messaging delivery, end to end', () => {
  const system = new TestSystem({ PUBLIC_URL, LOG_LEVEL: 'debug', RECONCILE_INTERVAL_MS: '1000' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let db: pg.Pool;
  let phoneSeq = 0;
  const nextPhone = () => `+1646555${String(2000 + phoneSeq++).padStart(4, '0')}`;
  const names: string[] = [];

  /** Where the gateway really listens for a URL Twilio was given (the proxy's part). */
  const viaProxy = (publicUrl: string) => publicUrl.replace(PUBLIC_URL, system.baseUrl);
  const report = (sms: TwilioFakeMessage, status: string, errorCode?: number, options: WebhookCallOptions = {}) =>
    system.twilio.sendStatusCallback(sms.sid, status, errorCode, { postTo: viaProxy(sms.statusCallback!), ...options });
  const messagesOf = async (patientId: string): Promise<Message[]> => (await clinician.get<Message[]>(`/api/messages?patientId=${patientId}`)).body;
  const smsTo = (phone: string) => system.twilio.messages.filter((m) => m.to === phone);
  const mailsTo = (email: string) => system.smtp.mails.filter((m) => m.to.includes(email));
  const confirmationOf = async (patientId: string, channel: 'sms' | 'email' = 'sms') =>
    (await messagesOf(patientId)).find((m) => m.kind === 'booking_confirmation' && m.channel === channel);

  async function newPatient(overrides: Record<string, unknown> = {}): Promise<{ id: string; phone: string; email: string | null }> {
    const phone = nextPhone();
    const lastName = `Quintero${phoneSeq}`;
    names.push(lastName);
    const email = overrides.email === null ? null : `patient${phoneSeq}@example.com`;
    const id = await registerPatient(frontDesk, phone, { firstName: 'Lucia', lastName, email, timezone: NY, preferredChannel: 'sms', smsConsent: true, ...overrides });
    return { id, phone, email };
  }

  /** Books a consultation in the first free slot a few days ahead: the confirmation goes out at once. */
  async function book(patientId: string): Promise<{ id: string; startsAt: string }> {
    const now = DateTime.fromJSDate(await admin.now());
    const q = (d: DateTime) => encodeURIComponent(d.toISO()!);
    const slots = await frontDesk.get(`/api/availability?clinicianId=${CLINICIAN.id}&procedureType=consultation&from=${q(now.plus({ days: 3 }))}&to=${q(now.plus({ days: 10 }))}`);
    const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId: CLINICIAN.id, procedureType: 'consultation', startsAt: slots.body.slots[0].startsAt });
    if (booked.status !== 201) throw new Error(`book: ${booked.status} ${JSON.stringify(booked.body)}`);
    return booked.body;
  }

  const until = <T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000) => waitFor(probe, { timeoutMs, what });

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    const now = await admin.now();
    await admin.advance(isoDuration(nextMondayMorning(now, NY).getTime() - now.getTime()));
    db = new pg.Pool({ connectionString: system.database.url, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await system.stop();
  }, 60_000);

  describe('webhook hygiene', () => {
    let patient: { id: string; phone: string; email: string | null };
    let sms: TwilioFakeMessage;

    beforeAll(async () => {
      patient = await newPatient();
      await book(patient.id);
      [sms] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
    }, 60_000);

    it('asks Twilio to report to PUBLIC_URL, with our message id in the URL', async () => {
      const confirmation = await confirmationOf(patient.id);
      expect(sms!.statusCallback).toBe(`${PUBLIC_URL}/webhooks/twilio/status?messageId=${confirmation!.id}`);
    });

    it('refuses a callback without a signature (400) and with a wrong one (403); signed for PUBLIC_URL it passes', async () => {
      expect((await report(sms, 'delivered', undefined, { sign: false })).status).toBe(400);
      expect((await report(sms, 'delivered', undefined, { sign: { authToken: 'not-the-token' } })).status).toBe(403);
      // Signed for the address the gateway listens on, not the public one: not what Twilio does.
      expect((await report(sms, 'delivered', undefined, { sign: { url: `${system.baseUrl}/webhooks/twilio/status?messageId=x` } })).status).toBe(403);
      const inbound = await system.twilio.sendInboundSms(`${PUBLIC_URL}/webhooks/twilio/sms`, { from: patient.phone, to: TWILIO_FROM, body: 'HELP' }, { postTo: `${system.baseUrl}/webhooks/twilio/sms`, sign: false });
      expect(inbound.status).toBe(400);
      expect((await confirmationOf(patient.id))!.status).toBe('sent');
    });

    it('acknowledges a signed report fast (204, under 2 s) and applies it right after; a late "sent" and replays change nothing', async () => {
      const started = Date.now();
      const answer = await report(sms, 'delivered');
      expect(answer.status).toBe(204);
      expect(Date.now() - started).toBeLessThan(2_000);
      const delivered = await until(async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'delivered' ? m : undefined;
      }, 'the confirmation to be delivered');

      expect((await report(sms, 'sent')).status).toBe(204);
      expect((await report(sms, 'delivered')).status).toBe(204);
      expect((await report(sms, 'queued')).status).toBe(204);
      // Every report is recorded (replays once) and applied or found stale; wait for that.
      await until(async () => {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM notifications.delivery_callbacks WHERE message_sid = $1 AND processed_at IS NULL`, [sms.sid]);
        return rows[0].n === 0;
      }, 'the reports to be applied');
      const { rows } = await db.query(`SELECT provider_status, outcome FROM notifications.delivery_callbacks WHERE message_sid = $1 ORDER BY received_at`, [sms.sid]);
      expect(rows).toEqual([
        { provider_status: 'delivered', outcome: 'applied:delivered' },
        { provider_status: 'sent', outcome: 'stale' },
        { provider_status: 'queued', outcome: 'stale' },
      ]);
      const after = await confirmationOf(patient.id);
      expect(after).toEqual(delivered);
      expect(after!.statusHistory.map((h) => [h.status, h.source])).toEqual([
        ['scheduled', 'system'],
        ['sending', 'sender'],
        ['sent', 'sender'],
        ['delivered', 'provider'],
      ]);
    });

    it('acknowledges a report within 2 s while notifications is stalled: the gateway holds it, and it is applied once notifications goes on', async () => {
      const other = await newPatient();
      await book(other.id);
      const [otherSms] = await system.twilio.waitForMessages(1, { to: other.phone, timeoutMs: 20_000 });
      await until(async () => (await confirmationOf(other.id))?.status === 'sent', 'the confirmation to be recorded as sent');
      // Up and subscribed, but answering nothing: the gateway waits for it, then holds the report.
      expect(system.processes.freezeService('notifications')).toBe(true);
      const started = Date.now();
      let answer: Awaited<ReturnType<typeof report>>;
      try {
        answer = await report(otherSms!, 'delivered');
      } finally {
        system.processes.thawService('notifications');
      }
      expect(answer.status).toBe(204);
      expect(Date.now() - started).toBeLessThan(2_000);
      const delivered = await until(async () => {
        const m = await confirmationOf(other.id);
        return m?.status === 'delivered' ? m : undefined;
      }, 'the held report to be applied');
      expect(delivered.statusHistory.filter((h) => h.status === 'delivered')).toHaveLength(1);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM notifications.delivery_callbacks WHERE message_sid = $1 AND provider_status = 'delivered'`, [otherSms!.sid]);
      expect(rows[0].n).toBe(1); // taken late by notifications and forwarded again by the gateway: recorded once
    }, 60_000);
  });

  describe('errors that can pass are retried; errors that cannot fail at once', () => {
    it('503 then 429: retried with backoff (through the ordinary queue when the clock moves), sent once', async () => {
      const patient = await newPatient();
      system.twilio.failNext(1, { status: 503 }, { to: patient.phone });
      system.twilio.failNext(1, { status: 429, code: 20429 }, { to: patient.phone });
      await book(patient.id);
      const waiting = await until(async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'queued' && m.errorCode ? m : undefined;
      }, 'the first failed attempt');
      expect(waiting.error).toMatch(/^Attempt 1 of 8 failed, will retry/);

      await admin.advance('PT5M'); // the retries come due on the virtual clock and run through BullMQ
      const sent = await until(async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'sent' ? m : undefined;
      }, 'the confirmation to go out');
      expect(smsTo(patient.phone)).toHaveLength(1);
      expect(sent.statusHistory.map((h) => [h.status, h.errorCode])).toEqual([
        ['scheduled', null],
        ['sending', null],
        ['queued', 'SMS_PROVIDER_UNAVAILABLE'],
        ['sending', null],
        ['queued', 'SMS_PROVIDER_RATE_LIMITED'],
        ['sending', null],
        ['sent', null],
      ]);
      // The retries waited 15–30 s, then 30–60 s, on the clock.
      const at = sent.statusHistory.map((h) => Date.parse(h.at));
      expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(15_000);
      expect(at[5]! - at[4]!).toBeGreaterThanOrEqual(30_000);
    }, 60_000);

    it('21211 fails at once, is listed for the admin by ?status=failed with the reason, and the e-mail goes instead', async () => {
      const patient = await newPatient();
      system.twilio.failNext(1, { status: 400, code: 21211, message: `The 'To' number ${patient.phone} is not a valid phone number.` }, { to: patient.phone });
      await book(patient.id);
      const failed = await until(async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'failed' ? m : undefined;
      }, 'the SMS to fail');
      expect(failed).toMatchObject({ errorCode: 'TWILIO_21211', error: 'The phone number is not a valid number (Twilio 21211)' });
      expect(failed.statusHistory.filter((h) => h.status === 'sending')).toHaveLength(1);

      const listed = await admin.get<Message[]>('/api/messages?status=failed');
      expect(listed.status).toBe(200);
      expect(listed.body.map((m) => m.id)).toContain(failed.id);
      expect(listed.body.every((m) => m.status === 'failed')).toBe(true);
      expect((await frontDesk.get('/api/messages?status=failed')).status).toBe(403);
      expect((await admin.get('/api/messages?status=lost')).status).toBe(400);

      const [mail] = await system.smtp.waitForMails(1, { to: patient.email!, timeoutMs: 20_000 });
      expect(mail!.attachments.some((a) => a.content.includes('METHOD:REQUEST'))).toBe(true);
      const email = await until(async () => (await messagesOf(patient.id)).find((m) => m.fallbackOf === failed.id && m.status === 'sent'), 'the fallback e-mail');
      expect(email).toMatchObject({ channel: 'email', kind: 'booking_confirmation' });
      expect(smsTo(patient.phone)).toHaveLength(0);
    }, 60_000);
  });

  describe('delivery reports with carrier errors', () => {
    it.each([30003, 30005, 30006])('undelivered %i: the number is flagged in the log and timeline, and the e-mail goes instead', async (code) => {
      const patient = await newPatient();
      await book(patient.id);
      const [sms] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
      expect((await report(sms!, 'undelivered', code)).status).toBe(204);

      const undelivered = await until(async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'undelivered' ? m : undefined;
      }, 'the SMS to be undelivered');
      expect(undelivered).toMatchObject({ errorCode: `TWILIO_${code}`, numberUndeliverable: true });
      expect(undelivered.statusHistory.at(-1)).toMatchObject({ status: 'undelivered', errorCode: `TWILIO_${code}`, source: 'provider' });
      await system.smtp.waitForMails(1, { to: patient.email!, timeoutMs: 20_000 });
      await report(sms!, 'undelivered', code); // a replay
      await report(sms!, 'failed', code);
      await admin.advance('PT1S');

      const timeline = (await clinician.get<{ type: string; data: Message }[]>(`/api/patients/${patient.id}/timeline`)).body;
      const entry = timeline.find((e) => e.type === 'message' && e.data.id === undelivered.id);
      expect(entry!.data).toMatchObject({ status: 'undelivered', numberUndeliverable: true });
      expect(entry!.data.statusHistory.length).toBeGreaterThan(2);
      const emails = (await messagesOf(patient.id)).filter((m) => m.channel === 'email');
      expect(emails.map((m) => [m.kind, m.fallbackOf])).toEqual([['booking_confirmation', undelivered.id]]);
      expect(mailsTo(patient.email!)).toHaveLength(1);
    }, 60_000);

    it('no e-mail address: the front desk gets one "call the patient" task, whatever is replayed', async () => {
      const patient = await newPatient({ email: null });
      await book(patient.id);
      const [sms] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
      await report(sms!, 'undelivered', 30005);
      await report(sms!, 'undelivered', 30005);
      await report(sms!, 'failed', 30005);
      const tasks = await until(async () => {
        const r = await frontDesk.get<{ source: string; reason: string }[]>(`/api/booking-tasks?patientId=${patient.id}`);
        return r.body.length ? r.body : undefined;
      }, 'a call task');
      await admin.advance('PT1S');
      expect((await frontDesk.get(`/api/booking-tasks?patientId=${patient.id}`)).body).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ source: 'call_patient' });
    }, 60_000);

    it('21610 reported by the carrier opts the patient out', async () => {
      const patient = await newPatient({ email: null });
      await book(patient.id);
      const [sms] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
      await report(sms!, 'failed', 21610);
      await until(async () => ((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut ? true : undefined), 'the opt-out');
    }, 60_000);
  });

  it('a cancelled appointment gets no reminder', async () => {
    const patient = await newPatient();
    const appointment = await book(patient.id);
    await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
    expect((await frontDesk.post(`/api/appointments/${appointment.id}/cancel`, { reason: 'patient asked' })).status).toBe(200);
    const now = await admin.now();
    await admin.advance(isoDuration(new Date(appointment.startsAt).getTime() - now.getTime() + 60_000));
    const reminders = (await messagesOf(patient.id)).filter((m) => m.kind === 'reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(reminders.every((m) => m.status === 'cancelled')).toBe(true);
    expect(smsTo(patient.phone).map((m) => m.body).filter((b) => /remind/i.test(b))).toEqual([]);
  }, 90_000);

  it('a crash between "Twilio accepted" and "recorded": the restarted worker finds the message at Twilio and does not send it again', async () => {
    const patient = await newPatient();
    // Twilio takes the message at once but holds its answer; the worker is killed while waiting.
    system.twilio.delayNext(1, 120_000, { afterRecording: true, to: patient.phone });
    await book(patient.id);
    const [accepted] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
    const inFlight = await until(async () => {
      const m = await confirmationOf(patient.id);
      return m?.status === 'sending' ? m : undefined;
    }, 'the row to be sending');

    await system.processes.killService('notifications'); // SIGKILL: no shutdown hooks
    system.processes.startService('notifications');
    await system.processes.waitHealthy();

    // The job stalls (its lock runs out), runs again, asks Twilio first, and records what it finds.
    const sent = await until(
      async () => {
        const m = await confirmationOf(patient.id);
        return m?.status === 'sent' ? m : undefined;
      },
      'the message to be recorded as sent',
      60_000,
    );
    expect(sent.id).toBe(inFlight.id);
    const { rows } = await db.query(`SELECT provider_message_id, attempts FROM notifications.messages WHERE id = $1`, [sent.id]);
    expect(rows[0]).toEqual({ provider_message_id: accepted!.sid, attempts: 2 });
    expect(smsTo(patient.phone)).toHaveLength(1);
    expect(system.twilio.listCount).toBeGreaterThanOrEqual(1);

    // And its delivery report still lands on it.
    expect((await report(accepted!, 'delivered')).status).toBe(204);
    await until(async () => ((await confirmationOf(patient.id))?.status === 'delivered' ? true : undefined), 'delivered');
  }, 120_000);

  it('texts and delivery reports that come while notifications is stopped are held by the gateway, answered at once, kept through a gateway crash, and applied in order once notifications is back', async () => {
    const patient = await newPatient();
    await book(patient.id);
    const [sms] = await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 20_000 });
    const text = (body: string, messageSid: string) =>
      system.twilio.sendInboundSms(`${PUBLIC_URL}/webhooks/twilio/sms`, { from: patient.phone, to: TWILIO_FROM, body, messageSid }, { postTo: `${system.baseUrl}/webhooks/twilio/sms` });
    const held = async () => (await db.query<{ pattern: string }>(`SELECT pattern FROM gateway.held_webhooks ORDER BY seq`)).rows.map((r) => r.pattern);

    expect(await system.processes.stopService('notifications')).toBe(0);
    try {
      // STOP, START, STOP: only their order tells the patient is opted out in the end.
      const sids = ['SM' + 'a'.repeat(32), 'SM' + 'b'.repeat(32), 'SM' + 'c'.repeat(32)];
      for (const [i, body] of ['STOP', 'START', 'STOP'].entries()) {
        const started = Date.now();
        const answer = await text(body, sids[i]!);
        // Twilio hears a plain 200 at once; no answer can be given before the text is handled.
        expect(answer.status).toBe(200);
        expect(answer.body).toMatch(/<Response\/>$/);
        expect(Date.now() - started).toBeLessThan(2_000);
      }
      const started = Date.now();
      expect((await report(sms!, 'delivered')).status).toBe(204);
      expect(Date.now() - started).toBeLessThan(2_000);
      // Twilio's replays are held once.
      expect((await text('STOP', sids[0]!)).status).toBe(200);
      expect((await report(sms!, 'delivered')).status).toBe(204);
      expect(await held()).toEqual(['notifications.inbound-sms', 'notifications.inbound-sms', 'notifications.inbound-sms', 'notifications.delivery-status']);
      // Operators see it.
      expect(await (await fetch(`${system.baseUrl}/metrics`)).text()).toMatch(/^aftercare_held_webhooks 4$/m);
      // What is held is in PostgreSQL: a gateway killed meanwhile loses none of it.
      await system.processes.killService('gateway');
      system.processes.startService('gateway');
    } finally {
      system.processes.startService('notifications');
    }
    await system.processes.waitHealthy();

    await until(async () => (await held()).length === 0, 'the held webhooks to be forwarded');
    await until(async () => ((await confirmationOf(patient.id))?.status === 'delivered' ? true : undefined), 'the held delivery report to be applied');
    expect((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut).toBe(true);
    const log = await messagesOf(patient.id);
    expect(log.filter((m) => m.direction === 'inbound')).toHaveLength(3);
    // Each held text keeps when it came, on the (virtual) clock the rest of the system reads.
    const clockNow = (await admin.now()).getTime();
    for (const m of log.filter((x) => x.direction === 'inbound')) expect(Math.abs(new Date(m.sentAt!).getTime() - clockNow)).toBeLessThan(120_000);
    // The answers could not go back in the webhooks' responses: recorded as not sent, with why.
    const answers = log.filter((m) => ['opted_out', 'opted_in'].includes(m.kind));
    expect(answers.map((m) => [m.kind, m.status, m.errorCode]).sort()).toEqual([
      ['opted_in', 'suppressed', 'REPLY_LATE'],
      ['opted_out', 'suppressed', 'REPLY_LATE'],
      ['opted_out', 'suppressed', 'REPLY_LATE'],
    ]);
    const { rows: events } = await db.query<{ event_type: string }>(
      `SELECT event_type FROM notifications.outbox WHERE event_type LIKE 'patient.opted-%' AND subscriber = 'scheduling' AND envelope->'payload'->>'patientId' = $1 ORDER BY seq`,
      [patient.id],
    );
    expect(events.map((e) => e.event_type)).toEqual(['patient.opted-out', 'patient.opted-in', 'patient.opted-out']);
    expect(smsTo(patient.phone)).toHaveLength(1); // the confirmation only

    // With notifications back, a text is answered in the webhook's response again.
    const help = await text('HELP', 'SM' + 'd'.repeat(32));
    expect(help.body).toContain('<Message>');
  }, 120_000);

  it('logs no phone numbers, e-mail addresses, names or message bodies', () => {
    const logs = system.logs.join('\n');
    expect(system.logs.length).toBeGreaterThan(20);
    for (let i = 0; i < phoneSeq; i++) {
      expect(logs).not.toContain(`+1646555${String(2000 + i).padStart(4, '0')}`);
      expect(logs).not.toContain(`patient${i + 1}@example.com`);
    }
    for (const name of names) expect(logs).not.toContain(name);
    expect(logs).not.toContain('Lucia');
  });
});
