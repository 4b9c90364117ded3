import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * The front desk's booking over HTTP, with all four services running (issue: "Front desk
 * booking, done right"): clinic setup, rooms and equipment, races, reschedules and
 * cancellations with their messages, the day sheet, patient search, and the waitlist.
 */

const NY = DEMO.clinicTimezone;
const [CHEN, OKAFOR, BENEDETTI] = DEMO.clinicians;
const [PROCEDURE_ROOM, CENTRIFUGE] = DEMO.resources;

describe('front desk booking, end to end', () => {
  const system = new TestSystem({ WAITLIST_OFFER_MINUTES: '60' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  /** Monday 09:00 in the clinic's zone, the suite's day zero. */
  let monday: DateTime;
  let phoneSeq = 0;
  const nextPhone = () => `+1312555${String(1000 + phoneSeq++).padStart(4, '0')}`;

  /** An ISO time `days` after day zero at local 'HH:mm' in the clinic's zone. */
  const at = (days: number, hhmm: string) => {
    const [hour, minute] = hhmm.split(':').map(Number);
    return monday.plus({ days }).set({ hour, minute }).toISO()!;
  };
  const q = (value: string) => encodeURIComponent(value);
  const slots = async (api: Api, params: Record<string, string>) => {
    const query = Object.entries(params)
      .map(([k, v]) => `${k}=${q(v)}`)
      .join('&');
    const response = await api.get(`/api/availability?${query}`);
    expect(response.status).toBe(200);
    return response.body.slots as { clinicianId: string; startsAt: string; endsAt: string; resourceIds: string[] }[];
  };
  const book = (patientId: string, clinicianId: string, procedureType: string, startsAt: string, headers: Record<string, string> = {}, extra = {}) =>
    frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType, startsAt, ...extra }, headers);
  const smsTo = (phone: string) => system.twilio.messages.filter((m) => m.to === phone);
  const reply = (phone: string, body: string) =>
    system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from: phone, to: '+15005550006', body });
  const settle = () => admin.advance('PT1S');
  const advanceTo = async (iso: string) => {
    const now = await admin.now();
    const target = new Date(iso);
    if (target > now) await admin.advance(isoDuration(target.getTime() - now.getTime()));
  };
  const sameInstant = (a: string, b: string) => new Date(a).getTime() === new Date(b).getTime();

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    const start = nextMondayMorning(await admin.now(), NY);
    await advanceTo(start.toISOString());
    monday = DateTime.fromJSDate(start, { zone: NY });
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  describe('clinic setup', () => {
    it('lists rooms and equipment; only an admin may add or change them', async () => {
      const listed = await frontDesk.get('/api/resources');
      expect(listed.status).toBe(200);
      expect(listed.body.map((r: { category: string }) => r.category).sort()).toEqual(['centrifuge', 'consultation_room', 'consultation_room', 'procedure_room']);
      expect(listed.body.find((r: { id: string }) => r.id === PROCEDURE_ROOM.id).features).toEqual(['ultrasound']);

      expect((await frontDesk.post('/api/resources', { kind: 'room', category: 'consultation_room', name: 'Room 3' })).status).toBe(403);
      const created = await admin.post('/api/resources', { kind: 'room', category: 'consultation_room', name: 'Consultation room 3' });
      expect(created.status).toBe(201);
      const bad = await admin.post('/api/resources', { kind: 'room', category: 'Consultation Room', name: 'x' });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('category');
      const retired = await admin.request<any>('PATCH', `/api/resources/${created.body.id}`, { active: false });
      expect(retired.status).toBe(200);
      expect(retired.body.active).toBe(false);
    });

    it('procedure types say what they need; a need no resource can meet is refused', async () => {
      const types = (await frontDesk.get('/api/procedure-types')).body as { code: string; requires: unknown[] }[];
      expect(types.find((t) => t.code === 'bmac_injection')!.requires).toEqual([{ category: 'procedure_room', features: ['ultrasound'] }, { category: 'centrifuge' }]);
      expect(types.find((t) => t.code === 'consultation')!.requires).toEqual([{ category: 'consultation_room' }]);

      const impossible = await admin.post('/api/procedure-types', { code: 'mri_scan', name: 'MRI', durationMinutes: 45, requires: [{ category: 'mri_scanner' }] });
      expect(impossible.status).toBe(400);
      expect(impossible.body.field).toBe('requires[0].category');
      const created = await admin.post('/api/procedure-types', { code: 'prp_injection', name: 'PRP injection', durationMinutes: 60, bufferAfterMinutes: 15, requires: [{ category: 'procedure_room' }, { category: 'centrifuge' }] });
      expect(created.status).toBe(201);
      expect((await frontDesk.post('/api/procedure-types', { code: 'x_ray', name: 'X-ray', durationMinutes: 15 })).status).toBe(403);
    });

    it('a holiday closes the whole day; time off closes one clinician', async () => {
      const holiday = monday.plus({ days: 22 }).toISODate()!; // a Tuesday
      const closure = await admin.post('/api/clinic/closures', { date: holiday, reason: 'Staff training day' });
      expect(closure.status).toBe(201);
      expect(sameInstant(closure.body.startsAt, at(22, '00:00'))).toBe(true);
      expect(await slots(frontDesk, { procedureType: 'consultation', from: at(22, '00:00'), to: at(23, '00:00') })).toEqual([]);
      expect((await slots(frontDesk, { procedureType: 'consultation', from: at(23, '00:00'), to: at(24, '00:00') })).length).toBeGreaterThan(0);

      const off = await admin.post('/api/time-off', { clinicianId: OKAFOR.id, startsAt: at(23, '09:00'), endsAt: at(23, '13:00'), reason: 'Conference' });
      expect(off.status).toBe(201);
      const wednesday = await slots(frontDesk, { procedureType: 'consultation', from: at(23, '00:00'), to: at(24, '00:00') });
      const okafor = wednesday.filter((s) => s.clinicianId === OKAFOR.id);
      expect(okafor.every((s) => new Date(s.startsAt) >= new Date(at(23, '13:00')))).toBe(true);
      expect(wednesday.some((s) => s.clinicianId === CHEN.id && sameInstant(s.startsAt, at(23, '09:00')))).toBe(true);

      expect((await frontDesk.post('/api/time-off', { clinicianId: OKAFOR.id, startsAt: at(24, '09:00'), endsAt: at(24, '10:00') })).status).toBe(403);
      const clash = await admin.post('/api/time-off', { clinicianId: OKAFOR.id, startsAt: at(1, '11:00'), endsAt: at(1, '12:00'), reason: 'Dentist' });
      expect(clash.status).toBe(201);
      expect(clash.body.conflictingAppointmentIds).toHaveLength(0); // nothing booked yet there
      expect((await admin.request('DELETE', `/api/time-off/${clash.body.id}`)).status).toBe(200);
      const badHours = await admin.request<any>('PATCH', `/api/clinicians/${BENEDETTI.id}`, { weeklyHours: { '1': [{ start: '17:00', end: '09:00' }] } });
      expect(badHours.status).toBe(400);
      expect(badHours.body.field).toBe('weeklyHours');
    });

    it('finds slots in the clinic’s zone across a DST change (09:00 local on both sides)', async () => {
      // Daylight saving time starts in New York on Sunday 2027-03-14.
      const found = await slots(frontDesk, { clinicianId: CHEN.id, procedureType: 'consultation', from: '2027-03-12T00:00:00-05:00', to: '2027-03-16T00:00:00-04:00', limit: '500' });
      const firstOn = (date: string) => found.find((s) => DateTime.fromISO(s.startsAt, { zone: NY }).toISODate() === date)!;
      expect(firstOn('2027-03-12').startsAt).toBe('2027-03-12T14:00:00.000Z'); // 09:00 EST
      expect(firstOn('2027-03-15').startsAt).toBe('2027-03-15T13:00:00.000Z'); // 09:00 EDT
      expect(found.some((s) => DateTime.fromISO(s.startsAt, { zone: NY }).toISODate() === '2027-03-13')).toBe(false); // Saturday: clinicians off
    });
  });

  describe('rooms, equipment and races', () => {
    it('a BMAC injection holds the procedure room and the centrifuge, blocking the others’ injections but not their consultations', async () => {
      const patient = await registerPatient(frontDesk, nextPhone());
      const booked = await book(patient, CHEN.id, 'bmac_injection', at(1, '10:00'));
      expect(booked.status).toBe(201);
      expect(booked.body.resourceIds).toEqual([PROCEDURE_ROOM.id, CENTRIFUGE.id]);

      const injections = await slots(frontDesk, { procedureType: 'bmac_injection', from: at(1, '00:00'), to: at(2, '00:00') });
      // 10:00–12:00 plus 30 minutes of clean-up: nobody else can inject until 12:30, nor start before 08:00 + 2h30 overlaps.
      expect(injections.some((s) => new Date(s.startsAt) < new Date(at(1, '12:30')) && new Date(s.startsAt).getTime() + 150 * 60_000 > new Date(at(1, '10:00')).getTime())).toBe(false);
      expect(injections.some((s) => s.clinicianId === OKAFOR.id && sameInstant(s.startsAt, at(1, '12:30')))).toBe(true);

      const clash = await book(await registerPatient(frontDesk, nextPhone()), OKAFOR.id, 'bmac_injection', at(1, '11:00'));
      expect(clash.status).toBe(409);
      expect(clash.body.field).toBe('startsAt');
      const consult = await book(await registerPatient(frontDesk, nextPhone()), OKAFOR.id, 'consultation', at(1, '11:00'));
      expect(consult.status).toBe(201);
    });

    it('100 concurrent bookings of one slot: exactly one 201, the rest 409, and only the winner hears from us', async () => {
      const patients: string[] = [];
      for (let i = 0; i < 100; i += 20) {
        patients.push(...(await Promise.all(Array.from({ length: 20 }, () => registerPatient(frontDesk, nextPhone())))));
      }
      const startsAt = at(2, '14:00');
      const answers = await Promise.all(patients.map((p) => book(p, BENEDETTI.id, 'consultation', startsAt)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(99);
      const winner = patients[statuses.indexOf(201)]!;

      const onThatDay = (await frontDesk.get(`/api/appointments?clinicianId=${BENEDETTI.id}&from=${q(at(2, '00:00'))}&to=${q(at(3, '00:00'))}`)).body;
      expect(onThatDay.filter((a: { status: string }) => a.status === 'booked')).toHaveLength(1);

      await settle();
      const all = (await clinician.get('/api/messages')).body as { patientId: string; kind: string }[];
      const losers = new Set(patients.filter((p) => p !== winner));
      expect(all.filter((m) => losers.has(m.patientId))).toEqual([]);
      expect(all.filter((m) => m.patientId === winner).map((m) => m.kind).sort()).toEqual(['booking_confirmation', 'reminder', 'reminder']);
    }, 120_000);

    it('an Idempotency-Key replay returns the first answer, even when the replays race', async () => {
      const patient = await registerPatient(frontDesk, nextPhone());
      const key = `booking-${patient}`;
      const answers = await Promise.all(Array.from({ length: 10 }, () => book(patient, CHEN.id, 'consultation', at(2, '15:00'), { 'Idempotency-Key': key })));
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const later = await book(patient, CHEN.id, 'consultation', at(2, '15:00'), { 'Idempotency-Key': key });
      expect(later.body.id).toBe(answers[0]!.body.id);
      const reused = await book(patient, CHEN.id, 'consultation', at(2, '16:00'), { 'Idempotency-Key': key });
      expect(reused.status).toBe(422);
    });
  });

  describe('reschedule, cancel, check-in, no-show', () => {
    let patient: string;
    const email = 'lena.ortiz@example.com';
    let phone: string;
    const calendarOf = (mail: { attachments: { contentType: string; filename?: string; content: string }[] }) => {
      const ics = mail.attachments.find((a) => a.contentType.startsWith('text/calendar') || a.filename?.endsWith('.ics'))!;
      const calendar = new ICAL.Component(ICAL.parse(ics.content));
      return { calendar, event: new ICAL.Event(calendar.getFirstSubcomponent('vevent')!) };
    };
    const mailsTo = () => system.smtp.mails.filter((m) => m.to.includes(email));

    it('a reschedule moves the reminders and sends an updated invite with a higher SEQUENCE', async () => {
      phone = nextPhone();
      patient = await registerPatient(frontDesk, phone, { firstName: 'Lena', lastName: 'Ortiz', email, preferredChannel: 'both' });
      const booked = await book(patient, OKAFOR.id, 'consultation', at(3, '10:00'));
      expect(booked.status).toBe(201);
      await settle();
      const first = await system.smtp.waitForMails(1, { to: email });
      const invite = calendarOf(first[0]!);
      expect(invite.calendar.getFirstPropertyValue('method')).toBe('REQUEST');
      // In the clinic's zone, with the zone's rules in the file, so every client shows 10:00 there.
      expect(invite.calendar.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid')).toBe(NY);
      expect(invite.event.component.getFirstProperty('dtstart')!.getParameter('tzid')).toBe(NY);
      expect(invite.event.startDate.toJSDate().getTime()).toBe(new Date(at(3, '10:00')).getTime());

      const moved = await frontDesk.post(`/api/appointments/${booked.body.id}/reschedule`, { startsAt: at(4, '15:00') });
      expect(moved.status).toBe(200);
      expect(moved.body.sequence).toBeGreaterThan(booked.body.sequence);
      await settle();
      const mails = await system.smtp.waitForMails(2, { to: email });
      const update = calendarOf(mails[1]!);
      expect(update.event.uid).toBe(invite.event.uid);
      expect(update.event.sequence).toBeGreaterThan(invite.event.sequence);
      expect(update.event.startDate.toJSDate().getTime()).toBe(new Date(at(4, '15:00')).getTime());

      const messages = (await clinician.get(`/api/messages?patientId=${patient}`)).body as { kind: string; status: string; channel: string; sendAt: string }[];
      const liveReminders = messages.filter((m) => m.kind === 'reminder' && m.status !== 'cancelled');
      expect(liveReminders.length).toBeGreaterThan(0);
      // 48 h and 2 h before the new time, none at the old one's.
      const expected = [new Date(at(2, '15:00')).getTime(), new Date(at(4, '13:00')).getTime()];
      for (const channel of ['sms', 'email']) {
        expect(liveReminders.filter((r) => r.channel === channel).map((r) => new Date(r.sendAt).getTime()).sort()).toEqual(expected);
      }
      expect(messages.filter((m) => m.kind === 'reminder' && m.status === 'cancelled').length).toBeGreaterThan(0);
    }, 30_000);

    it('a cancellation removes every reminder and sends an .ics CANCEL; nothing goes out at the old time', async () => {
      const [appointment] = (await frontDesk.get(`/api/appointments?patientId=${patient}`)).body;
      const cancelled = await frontDesk.post(`/api/appointments/${appointment.id}/cancel`, { reason: 'Patient is travelling' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      await settle();
      const mails = await system.smtp.waitForMails(3, { to: email });
      const { calendar, event } = calendarOf(mails[2]!);
      expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
      expect(event.component.getFirstPropertyValue('status')).toBe('CANCELLED');

      const sentBefore = smsTo(phone).length + mailsTo().length;
      await advanceTo(at(4, '16:00'));
      expect(smsTo(phone).length + mailsTo().length).toBe(sentBefore);
      const messages = (await clinician.get(`/api/messages?patientId=${patient}`)).body as { kind: string; status: string }[];
      expect(messages.filter((m) => m.kind === 'reminder' && m.status !== 'cancelled')).toEqual([]);
      // The time is free again.
      const again = await slots(frontDesk, { clinicianId: OKAFOR.id, procedureType: 'consultation', from: at(7, '09:00'), to: at(7, '10:00') });
      expect(again.length).toBeGreaterThan(0);
    }, 60_000);

    it('check-in and no-show: each only when it makes sense', async () => {
      const day = 7; // the next Monday: the clock is at day 4 by now
      const p1 = await registerPatient(frontDesk, nextPhone());
      const p2 = await registerPatient(frontDesk, nextPhone());
      const a1 = (await book(p1, CHEN.id, 'consultation', at(day, '09:00'))).body;
      const a2 = (await book(p2, CHEN.id, 'consultation', at(day, '09:30'))).body;
      const early = await frontDesk.post(`/api/appointments/${a2.id}/no-show`);
      expect([early.status, early.body]).toEqual([409, expect.objectContaining({ message: expect.stringMatching(/started/) })]);
      await advanceTo(at(day, '08:50'));
      const checkedIn = await frontDesk.post(`/api/appointments/${a1.id}/check-in`);
      expect(checkedIn.status).toBe(200);
      expect(checkedIn.body.status).toBe('checked_in');
      await advanceTo(at(day, '09:45'));
      const missed = await frontDesk.post(`/api/appointments/${a2.id}/no-show`);
      expect(missed.status).toBe(200);
      expect(missed.body.status).toBe('no_show');
      expect((await frontDesk.post(`/api/appointments/${a2.id}/check-in`)).status).toBe(409);
    }, 60_000);
  });

  describe('a clinician leaves', () => {
    it('deactivating lists their future appointments (which stay booked) and takes them off availability', async () => {
      const hours = Object.fromEntries(['1', '2', '3', '4', '5'].map((d) => [d, [{ start: '09:00', end: '17:00' }]]));
      const locum = await admin.post('/api/clinicians', { name: 'Dr. Ira Locum', weeklyHours: hours });
      expect(locum.status).toBe(201);
      const patient = await registerPatient(frontDesk, nextPhone());
      const visit = await book(patient, locum.body.id, 'consultation', at(9, '09:00'));
      expect(visit.status).toBe(201);
      const left = await admin.request<any>('PATCH', `/api/clinicians/${locum.body.id}`, { active: false });
      expect(left.status).toBe(200);
      expect(left.body).toMatchObject({ active: false, conflictingAppointmentIds: [visit.body.id] });
      const open = await slots(frontDesk, { procedureType: 'consultation', from: at(9, '00:00'), to: at(10, '00:00') });
      expect(open.some((x) => x.clinicianId === locum.body.id)).toBe(false);
      expect((await admin.request<any>('PATCH', `/api/clinicians/${locum.body.id}`, { name: null })).body.field).toBe('name');
    });
  });

  describe('the front desk’s lists', () => {
    it('the day sheet shows each clinician’s and each room’s appointments of a local day', async () => {
      const date = monday.plus({ days: 1 }).toISODate()!;
      const sheet = await frontDesk.get(`/api/day-sheet?date=${date}`);
      expect(sheet.status).toBe(200);
      expect(sheet.body.timezone).toBe(NY);
      const chen = sheet.body.clinicians.find((c: { id: string }) => c.id === CHEN.id);
      expect(chen.appointments.map((a: { procedureType: string }) => a.procedureType)).toEqual(['bmac_injection']);
      expect(chen.appointments[0].patient.name).toMatch(/^Test Patient/);
      const room = sheet.body.resources.find((r: { id: string }) => r.id === PROCEDURE_ROOM.id);
      expect(room.appointments.map((a: { id: string }) => a.id)).toEqual(chen.appointments.map((a: { id: string }) => a.id));
      const bad = await frontDesk.get('/api/day-sheet?date=2026-02-30');
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('date');
    });

    it('patient search by name, phone or date of birth, with a warning on likely duplicates; paged with limit and cursor', async () => {
      const phone = nextPhone();
      const first = await frontDesk.post('/api/patients', {
        firstName: 'Marisol',
        lastName: 'Quintero',
        phone,
        email: 'marisol.q@example.com',
        timezone: NY,
        preferredChannel: 'sms',
        smsConsent: true,
        dateOfBirth: '1961-04-23',
        language: 'es',
      });
      expect(first.status).toBe(201);
      expect(first.body.possibleDuplicates).toEqual([]);
      expect(first.body.language).toBe('es');
      const check = await frontDesk.get(`/api/patients/duplicates?phone=${q(phone)}`);
      expect(check.body.map((d: { id: string }) => d.id)).toEqual([first.body.id]);
      const second = await frontDesk.post('/api/patients', { firstName: 'Mari', lastName: 'Quintero', phone: nextPhone(), email: 'MARISOL.Q@example.com', timezone: NY, preferredChannel: 'sms', smsConsent: true });
      expect(second.status).toBe(201);
      expect(second.body.possibleDuplicates).toEqual([{ id: first.body.id, name: 'Marisol Quintero', matchedOn: ['email'] }]);

      const byName = (await frontDesk.get('/api/patients?query=marisol%20quin')).body;
      expect(byName.map((p: { id: string }) => p.id)).toEqual([first.body.id]);
      expect(byName[0].possibleDuplicates.map((d: { id: string }) => d.id)).toEqual([second.body.id]);
      const byPhone = (await frontDesk.get(`/api/patients?query=${q(phone.slice(-7))}`)).body;
      expect(byPhone.map((p: { id: string }) => p.id)).toEqual([first.body.id]);
      const byBirth = (await frontDesk.get('/api/patients?dateOfBirth=1961-04-23')).body;
      expect(byBirth.map((p: { id: string }) => p.id)).toEqual([first.body.id]);

      // Paged, by name (Quintero, Mari before Quintero, Marisol): one a page, the next from the cursor.
      const page1 = await frontDesk.get('/api/patients?query=quintero&limit=1');
      expect(page1.status).toBe(200);
      expect(page1.body.items.map((p: { id: string }) => p.id)).toEqual([second.body.id]);
      const page2 = await frontDesk.get(`/api/patients?query=quintero&limit=1&cursor=${page1.body.nextCursor}`);
      expect([page2.body.items.map((p: { id: string }) => p.id), page2.body.nextCursor]).toEqual([[first.body.id], null]);
      for (const [query, field] of [
        ['query=quintero&cursor=bm90LWEtY3Vyc29y', 'cursor'],
        ['query=quintero&cursor=not%20a%20cursor', 'cursor'],
        ['query=quintero&limit=0', 'limit'],
      ] as const) {
        const refused = await frontDesk.get(`/api/patients?${query}`);
        expect([refused.status, refused.body.field]).toEqual([400, field]);
      }
    });
  });

  describe('the waitlist', () => {
    it('offers a freed slot by SMS; the first YES gets it, the other is told it is taken', async () => {
      const day = 10;
      const [phoneA, phoneB, phoneHolder] = [nextPhone(), nextPhone(), nextPhone()];
      const holder = await registerPatient(frontDesk, phoneHolder);
      const a = await registerPatient(frontDesk, phoneA, { firstName: 'Ava' });
      const b = await registerPatient(frontDesk, phoneB, { firstName: 'Ben' });
      const dates = { earliestDate: monday.plus({ days: day - 1 }).toISODate(), latestDate: monday.plus({ days: day + 1 }).toISODate() };
      const entryA = await frontDesk.post('/api/waitlist', { patientId: a, procedureType: 'consultation', clinicianId: BENEDETTI.id, ...dates });
      expect(entryA.status).toBe(201);
      expect((await frontDesk.post('/api/waitlist', { patientId: b, procedureType: 'consultation', ...dates })).status).toBe(201);
      expect((await frontDesk.post('/api/waitlist', { patientId: b, procedureType: 'consultation', ...dates })).status).toBe(409);
      const emailOnly = await registerPatient(frontDesk, nextPhone(), { preferredChannel: 'email', email: 'no.sms@example.com', smsConsent: false });
      const refused = await frontDesk.post('/api/waitlist', { patientId: emailOnly, procedureType: 'consultation', ...dates });
      expect([refused.status, refused.body.code, refused.body.field]).toEqual([422, 'WAITLIST.NO_SMS', 'patientId']);

      const held = (await book(holder, BENEDETTI.id, 'consultation', at(day, '11:00'))).body;
      await frontDesk.post(`/api/appointments/${held.id}/cancel`, {});
      await settle();
      await Promise.all([system.twilio.waitForMessages(1, { to: phoneA }), system.twilio.waitForMessages(1, { to: phoneB })]);
      const offers = (await frontDesk.get('/api/waitlist')).body.filter((e: { patient: { id: string } }) => [a, b].includes(e.patient.id));
      expect(offers.map((e: { status: string }) => e.status)).toEqual(['offered', 'offered']);
      expect(smsTo(phoneA)[0]!.body).toMatch(/YES/);

      // Both answer at once: exactly one is booked.
      await Promise.all([reply(phoneA, 'yes'), reply(phoneB, ' YES ')]);
      await settle();
      const booked = [
        ...(await frontDesk.get(`/api/appointments?patientId=${a}`)).body,
        ...(await frontDesk.get(`/api/appointments?patientId=${b}`)).body,
      ].filter((x: { status: string }) => x.status === 'booked');
      expect(booked).toHaveLength(1);
      expect(sameInstant(booked[0].startsAt, at(day, '11:00'))).toBe(true);
      const winnerPhone = booked[0].patientId === a ? phoneA : phoneB;
      const loserPhone = winnerPhone === phoneA ? phoneB : phoneA;
      await waitFor(() => smsTo(loserPhone).find((m) => /taken/i.test(m.body)), { timeoutMs: 10_000, what: 'the "taken" SMS' });
      const entries = (await frontDesk.get(`/api/waitlist?status=booked`)).body;
      expect(entries.map((e: { patient: { id: string } }) => e.patient.id)).toEqual([booked[0].patientId]);
      const loser = booked[0].patientId === a ? b : a;
      expect((await frontDesk.get(`/api/waitlist?patientId=${loser}`)).body[0].status).toBe('waiting');
    }, 60_000);

    it('when an offered patient leaves the list, the next in line gets the offer', async () => {
      const day = 8; // a Tuesday no earlier entry wants
      const phones = [nextPhone(), nextPhone(), nextPhone(), nextPhone()];
      const people: string[] = [];
      for (const phone of phones) people.push(await registerPatient(frontDesk, phone));
      const dates = { earliestDate: monday.plus({ days: day }).toISODate(), latestDate: monday.plus({ days: day }).toISODate() };
      const entries: { id: string }[] = [];
      for (const p of people) entries.push((await frontDesk.post('/api/waitlist', { patientId: p, procedureType: 'consultation', clinicianId: OKAFOR.id, ...dates })).body);
      const holder = await registerPatient(frontDesk, nextPhone());
      const held = (await book(holder, OKAFOR.id, 'consultation', at(day, '15:00'))).body;
      await frontDesk.post(`/api/appointments/${held.id}/cancel`, {});
      await settle();
      // Three at a time (WAITLIST_OFFER_BATCH): the fourth waits.
      for (const phone of phones.slice(0, 3)) await system.twilio.waitForMessages(1, { to: phone });
      expect(smsTo(phones[3]!)).toHaveLength(0);
      expect((await frontDesk.post(`/api/waitlist/${entries[0].id}/cancel`, {})).status).toBe(200);
      await settle();
      await system.twilio.waitForMessages(1, { to: phones[3]! });
      const [fourth] = (await frontDesk.get(`/api/waitlist?patientId=${people[3]}`)).body;
      expect(fourth.status).toBe('offered');
      // Leaving the list ends their chances: the three other offers are still open.
      const statuses = (await frontDesk.get('/api/waitlist?procedureType=consultation')).body
        .filter((e: { id: string }) => entries.some((x) => x.id === e.id))
        .map((e: { status: string }) => e.status);
      expect(statuses).toEqual(['offered', 'offered', 'offered']);
    }, 60_000);

    it('an unanswered offer expires and the patient stays on the list', async () => {
      const day = 11; // a Friday
      const phone = nextPhone();
      const patient = await registerPatient(frontDesk, phone);
      const holder = await registerPatient(frontDesk, nextPhone());
      const dates = { earliestDate: monday.plus({ days: day }).toISODate(), latestDate: monday.plus({ days: day }).toISODate() };
      expect((await frontDesk.post('/api/waitlist', { patientId: patient, procedureType: 'follow_up_visit', clinicianId: CHEN.id, ...dates })).status).toBe(201);
      const held = (await book(holder, CHEN.id, 'follow_up_visit', at(day, '14:00'))).body;
      await frontDesk.post(`/api/appointments/${held.id}/cancel`, {});
      await settle();
      await system.twilio.waitForMessages(1, { to: phone });
      const [entry] = (await frontDesk.get(`/api/waitlist?patientId=${patient}`)).body;
      expect(entry.status).toBe('offered');
      await advanceTo(new Date(new Date(entry.offers[0].expiresAt).getTime() + 60_000).toISOString());
      const [after] = (await frontDesk.get(`/api/waitlist?patientId=${patient}`)).body;
      expect(after.status).toBe('waiting');
      expect(after.offers[0].status).toBe('expired');
      await system.twilio.waitForMessages(2, { to: phone });
      // A YES after the expiry books nothing.
      await reply(phone, 'YES');
      await settle();
      expect((await frontDesk.get(`/api/appointments?patientId=${patient}`)).body).toEqual([]);
    }, 60_000);
  });

  describe('nothing lost, nothing twice', () => {
    it('a freed slot still reaches the waitlist when scheduling and notifications are killed around the cancellation', async () => {
      const day = 15; // a Tuesday
      const phone = nextPhone();
      const patient = await registerPatient(frontDesk, phone);
      const holder = await registerPatient(frontDesk, nextPhone());
      const dates = { earliestDate: monday.plus({ days: day }).toISODate(), latestDate: monday.plus({ days: day }).toISODate() };
      expect((await frontDesk.post('/api/waitlist', { patientId: patient, procedureType: 'consultation', ...dates })).status).toBe(201);
      const held = (await book(holder, OKAFOR.id, 'consultation', at(day, '16:00'))).body;
      await settle();

      await system.processes.killService('notifications'); // nobody to send the offer
      const cancelled = await frontDesk.post(`/api/appointments/${held.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      await system.processes.killService('scheduling'); // its own outbox may not have reached the waitlist yet
      system.processes.startService('scheduling');
      system.processes.startService('notifications');
      await system.processes.waitHealthy();
      await settle();

      await system.twilio.waitForMessages(1, { to: phone, timeoutMs: 20_000 });
      await settle();
      const [entry] = (await frontDesk.get(`/api/waitlist?patientId=${patient}`)).body;
      expect(entry.offers).toHaveLength(1);
      expect(smsTo(phone)).toHaveLength(1);
    }, 90_000);
  });

  describe('booking tasks', () => {
    it('a cancelled follow-up visit goes back on the front desk’s list, and booking it closes the task', async () => {
      const patient = await registerPatient(frontDesk, nextPhone());
      const injection = await book(patient, CHEN.id, 'bmac_injection', at(16, '09:00'));
      expect(injection.status).toBe(201);
      await advanceTo(at(16, '11:05'));
      expect((await clinician.post(`/api/appointments/${injection.body.id}/complete`, { site: 'right knee' })).status).toBe(200);
      // Completed, but the room and the centrifuge are still being cleaned until 11:30.
      const after = await slots(frontDesk, { clinicianId: OKAFOR.id, procedureType: 'bmac_injection', from: at(16, '11:00'), to: at(16, '12:00') });
      expect(after.map((x) => x.startsAt)).toEqual([new Date(at(16, '11:30')).toISOString(), new Date(at(16, '11:45')).toISOString()]);
      // The care plan books the follow-up visit a week later, in the window of days 12–16.
      await advanceTo(at(23, '12:00'));
      const visit = await waitFor(
        async () => ((await frontDesk.get(`/api/appointments?patientId=${patient}`)).body as { procedureType: string; status: string; id: string }[]).find((a) => a.procedureType === 'follow_up_visit'),
        { timeoutMs: 10_000, what: 'the care plan’s follow-up visit' },
      );
      expect((await frontDesk.post(`/api/appointments/${visit.id}/cancel`, { reason: 'Patient asked' })).status).toBe(200);
      await settle();

      const tasks = (await frontDesk.get(`/api/booking-tasks?patientId=${patient}`)).body as { id: string; source: string; procedureType: string; clinicianId: string; bookBy: string; reason: string }[];
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ source: 'rebook', procedureType: 'follow_up_visit', clinicianId: CHEN.id });
      expect(new Date(tasks[0]!.bookBy) > new Date(at(23, '12:00'))).toBe(true);

      const free = await slots(frontDesk, { clinicianId: CHEN.id, procedureType: 'follow_up_visit', patientId: patient, from: at(29, '00:00'), to: tasks[0]!.bookBy });
      const rebooked = await book(patient, CHEN.id, 'follow_up_visit', free[0]!.startsAt, {}, { bookingTaskId: tasks[0]!.id });
      expect(rebooked.status).toBe(201);
      await settle();
      expect((await frontDesk.get(`/api/booking-tasks?patientId=${patient}`)).body).toEqual([]);
      const done = (await frontDesk.get(`/api/booking-tasks?patientId=${patient}&state=done`)).body;
      expect(done.map((t: { id: string }) => t.id)).toEqual([tasks[0]!.id]);
    }, 120_000);
  });
});
