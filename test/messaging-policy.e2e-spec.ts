import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { nextMondayMorning } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

/**
 * Messaging policy over HTTP with all four services running (issue 4, points 1, 3, 4, 7, 8):
 * message templates an admin edits, quiet hours in three zones and across a DST change, every
 * SMS keyword through the signed Twilio webhook, free text and written stop requests, the daily
 * SMS limit, and a STOP that lands between queueing and sending. SMS go through the real
 * `twilio` library to the Twilio-compatible server, email through nodemailer to SMTP.
 */

const NY: string = DEMO.clinicTimezone;
const LA = 'America/Los_Angeles';
const BERLIN = 'Europe/Berlin';
const KOLKATA = 'Asia/Kolkata';

interface LogEntry {
  id: string;
  kind: string;
  channel: 'sms' | 'email';
  direction: 'outbound' | 'inbound';
  status: string;
  body: string;
  sendAt: string | null;
  sentAt: string | null;
  error: string | null;
  errorCode?: string | null;
}

describe('messaging policy, end to end', () => {
  const system = new TestSystem({ LOG_LEVEL: 'debug' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let phoneSeq = 0;
  const nextPhone = () => `+1312555${String(200 + phoneSeq++).padStart(4, '0')}`;
  /** Names and texts that must never show up in a log line. */
  const secrets: string[] = [];

  const register = async (firstName: string, timezone: string, overrides: Record<string, unknown> = {}) => {
    const phone = nextPhone();
    const lastName = `Zuloaga${phoneSeq}`;
    secrets.push(firstName, lastName, phone);
    const created = await frontDesk.post('/api/patients', { firstName, lastName, phone, timezone, preferredChannel: 'sms', smsConsent: true, ...overrides });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, phone };
  };
  /** Books a consultation at a local time in the clinic's zone, with the first clinician free then. */
  const book = async (patientId: string, startsAt: DateTime): Promise<{ id: string; startsAt: string }> => {
    for (const c of DEMO.clinicians) {
      const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId: c.id, procedureType: 'consultation', startsAt: startsAt.toISO() });
      if (booked.status === 201) return booked.body;
      expect(booked.status).toBe(409);
    }
    throw new Error(`no clinician free at ${startsAt.toISO()}`);
  };
  const log = async (patientId: string): Promise<LogEntry[]> => (await clinician.get<LogEntry[]>(`/api/messages?patientId=${patientId}`)).body;
  const waitForLog = (patientId: string, what: string, test: (entries: LogEntry[]) => boolean) =>
    waitFor(async () => {
      const entries = await log(patientId);
      return test(entries) ? entries : undefined;
    }, { timeoutMs: 20_000, what });
  const smsTo = (phone: string) => system.twilio.messages.filter((m) => m.to === phone);
  const text = (from: string, body: string, messageSid?: string) =>
    system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from, to: TWILIO_FROM, body, ...(messageSid ? { messageSid } : {}) });
  /** The TwiML answer's text, or null for an empty <Response/>. */
  const answerOf = (twiml: { status: number; body: string }): string | null => {
    expect(twiml.status).toBe(200);
    const match = /<Message>([\s\S]*)<\/Message>/.exec(twiml.body);
    return match ? match[1]!.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : null;
  };
  const advanceTo = async (at: DateTime | Date) => {
    const target = at instanceof Date ? at : at.toJSDate();
    const now = await admin.now();
    if (target > now) await admin.advance(isoDuration(target.getTime() - now.getTime()));
  };
  const now = async (zone = NY) => DateTime.fromJSDate(await admin.now(), { zone });
  /** The next instant at local `hh:mm` in `zone`, strictly after now. */
  const nextLocal = async (zone: string, hour: number, minute = 0) => {
    const current = await now(zone);
    let at = current.set({ hour, minute, second: 0, millisecond: 0 });
    if (at <= current) at = at.plus({ days: 1 }).set({ hour, minute });
    return at;
  };
  /** A weekday at least `days` ahead, at local `hh:mm` in the clinic's zone. */
  const weekdayAhead = async (days: number, hour: number, minute = 0) => {
    let day = (await now(NY)).plus({ days }).set({ hour, minute, second: 0, millisecond: 0 });
    while (day.weekday > 5) day = day.plus({ days: 1 });
    return day;
  };
  const sameInstant = (a: string | null, b: DateTime) => a !== null && new Date(a).getTime() === b.toMillis();

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    await advanceTo(nextMondayMorning(await admin.now(), NY));
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  describe('templates (point 1)', () => {
    it('lists every kind and language for admins only', async () => {
      const list = await admin.get<any[]>('/api/templates');
      expect(list.status).toBe(200);
      expect(new Set(list.body.map((t) => t.language))).toEqual(new Set(['en', 'es']));
      expect(list.body.map((t) => t.kind)).toEqual(expect.arrayContaining(['booking_confirmation', 'reminder', 'rescheduled', 'cancellation', 'aftercare', 'checkin', 'follow_up_booked', 'waitlist_offer', 'opted_out', 'opted_in', 'help']));
      const checkin = list.body.find((t) => t.kind === 'checkin' && t.language === 'en');
      expect(checkin).toMatchObject({ variables: ['firstName', 'clinicName', 'clinicPhone'], overridden: { smsBody: false }, sms: { encoding: 'GSM-7' } });
      expect(checkin.smsBody).toContain('{{clinicName}}');
      expect((await frontDesk.get('/api/templates')).status).toBe(403);
      expect((await clinician.request('PUT', '/api/templates/checkin/en', { smsBody: 'x' })).status).toBe(403);
    });

    it('refuses unknown variables (400, naming them) and broken rules (422, naming the problem)', async () => {
      const unknown = await admin.request<any>('PUT', '/api/templates/reminder/en', {
        smsBody: 'Hi {{firstName}} {{lastName}}, {{clinicName}} {{appointmentTime}} for your {{procedure}}. Reply C or R. Reply STOP to opt out.',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: 'TEMPLATE.UNKNOWN_VARIABLE', field: 'smsBody' });
      expect(unknown.body.message).toContain('{{lastName}}, {{procedure}}');

      const noOptOut = await admin.request<any>('PUT', '/api/templates/reminder/en', { smsBody: 'Hi {{firstName}}, {{clinicName}} on {{appointmentTime}}. Reply C or R.' });
      expect(noOptOut.status).toBe(422);
      expect(noOptOut.body).toMatchObject({ statusCode: 422, code: 'TEMPLATE.RULE_VIOLATION', field: 'smsBody' });
      expect(noOptOut.body.message).toMatch(/opt out/);
      const site = await admin.request<any>('PUT', '/api/templates/aftercare/es', { smsBody: '{{firstName}}: descanse la rodilla. {{clinicName}}. Responda STOP para darse de baja.' });
      expect(site.status).toBe(422);
      expect(site.body.message).toContain('"rodilla"');

      expect((await admin.request<any>('PUT', '/api/templates/reminder/fr', { smsBody: 'x' })).body).toMatchObject({ statusCode: 400, field: 'language' });
      expect((await admin.request<any>('PUT', '/api/templates/diagnosis/en', { smsBody: 'x' })).status).toBe(404);
      expect((await admin.request<any>('PUT', '/api/templates/help/en', { emailSubject: '{{clinicName}}' })).body).toMatchObject({ statusCode: 400, code: 'TEMPLATE.SMS_ONLY' });
    });

    it('previews a draft with sample values: text, segments and encoding, and the problems', async () => {
      const preview = await admin.post('/api/templates/preview', { kind: 'checkin', language: 'es', values: { firstName: 'Begoña' } });
      expect(preview.status).toBe(200);
      expect(preview.body.sms.text).toMatch(/^Hola, Begoña: le escribe Aftercare Demo Clinic\./);
      expect(preview.body.sms).toMatchObject({ encoding: 'GSM-7', segments: 2 });
      expect(preview.body.problems).toEqual([]);
      const draft = await admin.post('/api/templates/preview', { kind: 'checkin', language: 'en', smsBody: '{{clinicName}} 🙂 Hi {{firstName}}, how is the knee? 0-10' });
      expect(draft.body.sms).toMatchObject({ encoding: 'UCS-2', segments: 1 });
      expect(draft.body.problems.map((p: { rule: string }) => p.rule).sort()).toEqual(['clinical_terms', 'opt_out']);
      expect((await admin.post('/api/templates/preview', { kind: 'checkin', language: 'en', values: { diagnosis: 'x' } })).body).toMatchObject({ statusCode: 400, field: 'values.diagnosis' });
    });

    it('sends the clinic’s override, and the default again once it is deleted', async () => {
      const smsBody = '{{clinicName}}: {{firstName}}, you are booked for {{appointmentTime}}. Reply C to confirm or R to reschedule. Reply STOP to opt out.';
      const saved = await admin.request<any>('PUT', '/api/templates/booking_confirmation/en', { smsBody });
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({ smsBody, overridden: { smsBody: true, emailSubject: false, emailBody: false } });

      const first = await register('Valentina', NY);
      await book(first.id, await weekdayAhead(3, 10));
      const [confirmation] = await system.twilio.waitForMessages(1, { to: first.phone, timeoutMs: 15_000 });
      expect(confirmation!.body).toMatch(/^Aftercare Demo Clinic: Valentina, you are booked for .* Reply STOP to opt out\.$/);

      const reset = await admin.request<any>('DELETE', '/api/templates/booking_confirmation/en');
      expect(reset.status).toBe(200);
      expect(reset.body.overridden.smsBody).toBe(false);
      const second = await register('Leocadia', NY);
      await book(second.id, await weekdayAhead(3, 11));
      const [again] = await system.twilio.waitForMessages(1, { to: second.phone, timeoutMs: 15_000 });
      expect(again!.body).toMatch(/^Hi Leocadia, your appointment at Aftercare Demo Clinic/);
    });
  });

  describe('two-way SMS (point 4)', () => {
    let patient: { id: string; phone: string };

    beforeAll(async () => {
      patient = await register('Eulalia', NY);
      await book(patient.id, await weekdayAhead(3, 14));
      await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 15_000 });
    });

    it.each<[string, RegExp]>([
      ['C', /^Thank you, Eulalia\. Your appointment at Aftercare Demo Clinic on .* is confirmed\./],
      [' confirm ', /is confirmed/],
      ['CONFIRM', /is confirmed/],
      ['r', /Aftercare Demo Clinic will contact you to find a new time/],
      ['Reschedule', /will contact you to find a new time/],
      ['YES', /has received your message/],
      ['HELP', /^Aftercare Demo Clinic: appointment and care texts\. For help, call \+12125550100\./],
      ['info', /^Aftercare Demo Clinic: .*call \+12125550100/],
      [' Help ', /call \+12125550100/],
      ['0', /has received your answer/],
      ['5', /has received your answer/],
      ['10', /has received your answer/],
      ['7/10', /has received your answer/],
      ['pain 7', /has received your answer/],
      ['Pain: 3', /has received your answer/],
    ])('%j is answered in the TwiML: %s', async (body, expected) => {
      expect(answerOf(await text(patient.phone, body))).toMatch(expected);
    });

    it.each([
      ['STOP', 'START'],
      ['stopall', 'unstop'],
      [' Unsubscribe ', 'START'],
      ['CANCEL', 'Start'],
      ['end', 'UNSTOP'],
      ['Quit', 'start'],
      ['OPTOUT', 'START'],
      ['opt out', 'UNSTOP'],
      ['revoke', 'START'],
    ])('%j opts out at once with one confirmation; %j opts back in', async (stop, start) => {
      expect(answerOf(await text(patient.phone, stop))).toMatch(/^Aftercare Demo Clinic: you are opted out and will get no more texts from us\. Reply START/);
      await waitFor(async () => ((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut === true ? true : undefined), { timeoutMs: 15_000, what: 'the opt-out' });
      expect(answerOf(await text(patient.phone, stop))).toBeNull(); // a second STOP: no second confirmation
      expect(answerOf(await text(patient.phone, 'pain 4'))).toBeNull(); // nothing goes back to an opted-out number
      expect(answerOf(await text(patient.phone, start))).toMatch(/opted back in/);
      await waitFor(async () => ((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut === false ? true : undefined), { timeoutMs: 15_000, what: 'the opt-in' });
    });

    it('ignores a replay of the same MessageSid', async () => {
      const sid = `SM${'7'.repeat(32)}`;
      expect(answerOf(await text(patient.phone, 'Is parking free?', sid))).toMatch(/has received your message/);
      expect(answerOf(await text(patient.phone, 'Is parking free?', sid))).toBeNull();
      secrets.push('Is parking free?');
      await admin.advance('PT1S');
      expect((await log(patient.id)).filter((m) => m.direction === 'inbound' && m.body === 'Is parking free?')).toHaveLength(1);
    });

    it('puts any other text on the clinician’s list with the text', async () => {
      const words = 'Can I drive home myself afterwards?';
      secrets.push(words);
      expect(answerOf(await text(patient.phone, words))).toMatch(/Aftercare Demo Clinic has received your message/);
      const item = await waitFor(
        async () => (await clinician.get<any[]>('/api/follow-ups?kind=attention')).body.find((i) => i.patient.id === patient.id && i.reason?.includes(words)),
        { timeoutMs: 20_000, what: 'an attention item with the text' },
      );
      expect(item).toMatchObject({ kind: 'attention', patient: { id: patient.id } });
    });

    it('holds automated SMS on a written request to stop; staff confirm the opt-out', async () => {
      const words = 'please stop texting me';
      secrets.push(words);
      const answer = answerOf(await text(patient.phone, words));
      expect(answer).toBe(
        'Thank you, Eulalia. Aftercare Demo Clinic has paused its automated texts to you. Reply STOP to stop all texts, or START to keep getting them. Questions? Call +12125550100.',
      );
      const task = await waitFor(
        async () => (await frontDesk.get<any[]>(`/api/booking-tasks?patientId=${patient.id}`)).body.find((t) => t.source === 'confirm_opt_out'),
        { timeoutMs: 20_000, what: 'a task to confirm the opt-out' },
      );
      expect(task.reason).toMatch(/stop/i);
      expect((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut).toBe(false);
      // The reminders waiting for this patient are decided at their own time (held then: by
      // e-mail, not by SMS); none is e-mailed ahead of time.
      const waiting = (await log(patient.id)).filter((m) => m.kind === 'reminder');
      expect(waiting.filter((m) => m.channel === 'sms').length).toBeGreaterThan(0);
      expect(waiting.map((m) => [m.channel, m.status])).toEqual(waiting.map(() => ['sms', 'scheduled']));

      const recorded = await frontDesk.post(`/api/patients/${patient.id}/sms-opt-out`, {});
      expect(recorded.status).toBe(200);
      await waitFor(async () => ((await frontDesk.get(`/api/patients/${patient.id}`)).body.smsOptedOut === true ? true : undefined), { timeoutMs: 15_000, what: 'the opt-out' });
    });

    it('lets the front desk lift a hold (POST /api/patients/:id/sms-hold/release): texts go again', async () => {
      const other = await register('Leocadia', NY);
      await book(other.id, await weekdayAhead(5, 11));
      await system.twilio.waitForMessages(1, { to: other.phone, timeoutMs: 15_000 }); // notifications knows her
      expect(answerOf(await text(other.phone, 'stop please'))).toMatch(/has paused its automated texts/);
      await book(other.id, await weekdayAhead(5, 13));
      await waitForLog(other.id, 'the e-mail-less confirmation held', (m) => m.filter((e) => e.kind === 'booking_confirmation').length === 2);
      expect(smsTo(other.phone).filter((m) => /paused/.test(m.body) === false)).toHaveLength(1);

      const released = await frontDesk.post(`/api/patients/${other.id}/sms-hold/release`, {});
      expect(released.status).toBe(200);
      expect(released.body).toEqual({ patientId: other.id, smsHeld: false, smsOptedOut: false });
      expect((await frontDesk.post(`/api/patients/${other.id}/sms-hold/release`, { reason: 'x' })).status).toBe(400);
      await book(other.id, await weekdayAhead(5, 15));
      await system.twilio.waitForMessages(2, { to: other.phone, timeoutMs: 15_000 }); // a confirmation by SMS again
    });

    it('records a text from an unknown number without its words and answers with the clinic’s HELP', async () => {
      const answer = answerOf(await text('+13125559876', 'Hi it is Marisol, my knee hurts'));
      expect(answer).toBe('This is the automated text line of Aftercare Demo Clinic. We could not match your number to a patient. Please call +12125550100. Reply STOP to opt out.');
      secrets.push('Marisol', '+13125559876');
      // A STOP from that number: Twilio confirms its own opt-out; nothing more from us.
      expect(answerOf(await text('+13125559876', 'STOP'))).toBeNull();
    });
  });

  describe('suppression (point 8)', () => {
    it('a STOP that arrives after a reminder was queued stops the send', async () => {
      const patient = await register('Iñaki', NY);
      const appointment = await book(patient.id, await weekdayAhead(3, 15));
      await system.twilio.waitForMessages(1, { to: patient.phone, timeoutMs: 15_000 });
      const reminders = (await log(patient.id)).filter((m) => m.kind === 'reminder' && m.channel === 'sms');
      expect(reminders.map((m) => m.status)).toEqual(['scheduled', 'scheduled']);

      expect(answerOf(await text(patient.phone, 'STOP'))).toMatch(/opted out/);
      await advanceTo(new Date(new Date(appointment.startsAt).getTime() + 5 * 60_000));
      expect(smsTo(patient.phone)).toHaveLength(1); // the confirmation only
      const after = (await log(patient.id)).filter((m) => m.kind === 'reminder' && m.channel === 'sms');
      expect(after.map((m) => m.status)).toEqual(['suppressed', 'suppressed']);
    }, 60_000);
  });

  describe('the daily SMS limit (point 7)', () => {
    it('keeps a patient to 2 automated SMS a day: a reminder moves to the day before, one that would come too late is dropped', async () => {
      const patient = await register('Wilhelmina', NY);
      const day = await weekdayAhead(4, 10);
      const appointments = [];
      for (const [hour, minute] of [[10, 0], [13, 0], [15, 30]] as const) appointments.push(await book(patient.id, day.set({ hour, minute })));
      await system.twilio.waitForMessages(3, { to: patient.phone, timeoutMs: 15_000 }); // confirmations are not counted

      const reminders = (await log(patient.id)).filter((m) => m.kind === 'reminder' && m.channel === 'sms');
      expect(reminders).toHaveLength(6);
      const dropped = reminders.filter((m) => m.status === 'suppressed');
      expect(dropped).toHaveLength(1);
      expect(dropped[0]!.error).toBe('Within the SMS limit (2 a day, 6 a week) the reminder could only go less than 60 minutes before the appointment');
      // The third 48-hour reminder waits for the next morning, 08:00 local, the day before.
      const dayBefore = day.minus({ days: 1 }).set({ hour: 8, minute: 0 });
      expect(reminders.filter((m) => sameInstant(m.sendAt, dayBefore))).toHaveLength(1);

      await advanceTo(day.set({ hour: 17 }));
      const sent = smsTo(patient.phone).slice(3);
      expect(sent).toHaveLength(5);
      const entries = (await log(patient.id)).filter((m) => m.kind === 'reminder' && m.channel === 'sms' && m.status !== 'suppressed');
      const perLocalDay = new Map<string, number>();
      for (const m of entries) {
        expect(m.status).toMatch(/sent|delivered/);
        const localDay = DateTime.fromISO(m.sentAt!, { zone: NY }).toISODate()!;
        perLocalDay.set(localDay, (perLocalDay.get(localDay) ?? 0) + 1);
      }
      expect(Math.max(...perLocalDay.values())).toBeLessThanOrEqual(2);
      expect(dropped[0]!.status).toBe('suppressed');
      expect((await log(patient.id)).find((m) => m.id === dropped[0]!.id)!.sentAt).toBeNull();
      expect(appointments).toHaveLength(3);
    }, 120_000);
  });

  describe('quiet hours in the patient’s zone (point 3)', () => {
    it('holds booking confirmations made at 05:30 UTC until 08:00 in New York, Los Angeles and Berlin; Kolkata gets it at once', async () => {
      // 05:30 UTC: 00:30 in New York, 21:30 in Los Angeles, 06:30 in Berlin - quiet in all three
      // - and 11:00 in Kolkata.
      await advanceTo(await nextLocal('UTC', 5, 30));
      const start = await now('UTC');
      const patients: Record<string, { id: string; phone: string }> = {
        [NY]: await register('Cayetana', NY),
        [LA]: await register('Filomena', LA),
        [BERLIN]: await register('Hildegard', BERLIN),
        [KOLKATA]: await register('Anusha', KOLKATA),
      };
      let hour = 9;
      for (const p of Object.values(patients)) await book(p.id, await weekdayAhead(3, hour++));

      const morning = (zone: string) => {
        const local = start.setZone(zone);
        const eight = local.set({ hour: 8, minute: 0, second: 0, millisecond: 0 });
        return local.hour >= 21 ? eight.plus({ days: 1 }) : local.hour < 8 ? eight : null;
      };
      const confirmationOf = async (zone: string) =>
        (await waitForLog(patients[zone]!.id, `the confirmation in ${zone}`, (entries) => entries.some((m) => m.kind === 'booking_confirmation'))).find(
          (m) => m.kind === 'booking_confirmation' && m.channel === 'sms',
        )!;
      for (const zone of [NY, LA, BERLIN]) {
        expect([zone, (await confirmationOf(zone)).sendAt]).toEqual([zone, morning(zone)!.toUTC().toISO({ suppressMilliseconds: false })]);
        expect(smsTo(patients[zone]!.phone)).toHaveLength(0);
      }
      await system.twilio.waitForMessages(1, { to: patients[KOLKATA]!.phone, timeoutMs: 15_000 });

      // A patient's own text is answered at once, even at 00:30.
      expect(answerOf(await text(patients[NY]!.phone, 'HELP'))).toMatch(/For help, call/);

      for (const zone of [BERLIN, NY, LA]) {
        await advanceTo(morning(zone)!.plus({ minutes: 1 }));
        for (const other of [NY, LA, BERLIN]) {
          const due = morning(other)! <= morning(zone)!;
          expect([zone, other, smsTo(patients[other]!.phone).filter((m) => !/For help/.test(m.body)).length]).toEqual([zone, other, due ? 1 : 0]);
        }
        const sentAt = DateTime.fromISO((await confirmationOf(zone)).sentAt!, { zone });
        expect(sentAt.toFormat('HH:mm')).toBe('08:00');
      }
    }, 120_000);

    it('sends the 2-hours-before reminder of an 08:30 appointment in Los Angeles at 20:59 the evening before', async () => {
      const patient = await register('Remedios', LA);
      // 08:30 in Los Angeles is 11:30 at the clinic.
      const appointment = await book(patient.id, await weekdayAhead(3, 11, 30));
      const local = DateTime.fromISO(appointment.startsAt, { zone: LA });
      expect(local.toFormat('HH:mm')).toBe('08:30');
      const eveningBefore = local.minus({ days: 1 }).set({ hour: 20, minute: 59 });
      const composed = await waitForLog(patient.id, 'the reminders', (entries) => entries.filter((m) => m.kind === 'reminder').length === 2);
      const reminder = composed.find((m) => m.kind === 'reminder' && sameInstant(m.sendAt, eveningBefore));
      expect(reminder).toBeDefined();
      await advanceTo(eveningBefore.plus({ minutes: 2 }));
      const sent = (await log(patient.id)).find((m) => m.id === reminder!.id)!;
      expect(sent.status).toMatch(/sent|delivered/);
      expect(DateTime.fromISO(sent.sentAt!, { zone: LA }).toFormat('HH:mm')).toBe('20:59');
    }, 60_000);
  });

  describe('across the next DST change in the United States (point 3)', () => {
    it('keeps quiet hours and reminders on local time on both sides of the change', async () => {
      // The next Sunday on which New York's offset changes.
      let sunday = (await now(NY)).startOf('day').plus({ days: 1 });
      while (!(sunday.weekday === 7 && sunday.offset !== sunday.plus({ days: 1 }).offset)) sunday = sunday.plus({ days: 1 });
      await advanceTo(sunday.minus({ days: 4 }).set({ hour: 12 })); // the Wednesday before, noon

      // Los Angeles changes the same night: an 08:30 appointment there on the Monday after.
      const la = await register('Rosalinda', LA);
      const monday = sunday.plus({ days: 1 }).set({ hour: 11, minute: 30 });
      const appointment = await book(la.id, monday);
      const startsAt = DateTime.fromISO(appointment.startsAt, { zone: LA });
      expect(startsAt.toFormat('HH:mm')).toBe('08:30');
      const expectedReminder = (ideal: DateTime) => {
        const local = ideal.setZone(LA);
        if (local.hour >= 21 || local.hour < 8) return (local.hour < 8 ? local.minus({ days: 1 }) : local).set({ hour: 20, minute: 59, second: 0, millisecond: 0 });
        return local;
      };
      const expected = [startsAt.minus({ hours: 48 }), startsAt.minus({ hours: 2 })].map((t) => expectedReminder(t).toUTC().toISO());
      const composed = await waitForLog(la.id, 'the reminders', (entries) => entries.filter((m) => m.kind === 'reminder').length === 2);
      const reminders = composed.filter((m) => m.kind === 'reminder' && m.channel === 'sms').map((m) => DateTime.fromISO(m.sendAt!).toUTC().toISO());
      expect(reminders.sort()).toEqual(expected.sort());
      // The 2-hour one: 20:59 on the Sunday, in the offset the Sunday has after the change.
      const twoHours = DateTime.fromISO(reminders.sort()[1]!, { zone: LA });
      expect(twoHours.toFormat('ccc HH:mm')).toBe('Sun 20:59');
      expect(twoHours.offset).toBe(startsAt.offset);
      expect(twoHours.offset).not.toBe(startsAt.minus({ days: 3 }).offset);

      // Saturday 23:30 in New York, the night the clocks change: a booking confirmation waits
      // for 08:00 on the Sunday, in the Sunday's offset.
      await advanceTo(sunday.minus({ days: 1 }).set({ hour: 23, minute: 30 }));
      const ny = await register('Perpetua', NY);
      await book(ny.id, monday.plus({ days: 1 }).set({ hour: 14 }));
      const eight = sunday.set({ hour: 8, minute: 0 });
      expect(eight.offset).not.toBe(sunday.minus({ days: 1 }).offset);
      const confirmation = (await waitForLog(ny.id, 'the confirmation', (entries) => entries.some((m) => m.kind === 'booking_confirmation'))).find(
        (m) => m.kind === 'booking_confirmation' && m.channel === 'sms',
      )!;
      expect(confirmation.sendAt).toBe(eight.toUTC().toISO());
      await advanceTo(eight.minus({ minutes: 1 }));
      expect(smsTo(ny.phone)).toHaveLength(0);
      await advanceTo(eight.plus({ minutes: 1 }));
      await system.twilio.waitForMessages(1, { to: ny.phone, timeoutMs: 15_000 });

      await advanceTo(startsAt.minus({ minutes: 30 }));
      expect(smsTo(la.phone)).toHaveLength(3); // confirmation and both reminders
    }, 180_000);
  });

  it('logs no names, phone numbers or texts of patients', () => {
    const logs = system.logs.join('\n');
    expect(system.logs.length).toBeGreaterThan(50);
    for (const secret of secrets) expect([secret, logs.includes(secret)]).toEqual([secret, false]);
  });
});
