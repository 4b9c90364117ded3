import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { Api } from './support/api.js';
import { advanceClockTo, carePlansOf, registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * GET /api/follow-ups/counts over HTTP: the numbers at the top of the due list are the lengths of
 * the list in each state, for the same filters, in each patient's own day. Three patients of one
 * clinician write to the clinic (an attention item each); two of the items are snoozed to 01:00
 * tomorrow in New York, which is still this evening in Honolulu. The front desk gets 403.
 */

const NEW_YORK = 'America/New_York';
const HONOLULU = 'Pacific/Honolulu';
const CLINICIAN = DEMO.clinicians[0];
const PHONES = { a: '+13125550181', b: '+13125550182', c: '+13125550183' } as const;

describe('the due list counts, end to end', () => {
  const system = new TestSystem();
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  const patient: Record<keyof typeof PHONES, string> = { a: '', b: '', c: '' };
  const item: Record<keyof typeof PHONES, string> = { a: '', b: '', c: '' };

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, NEW_YORK);
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  /** The counts for `query`, checked against the list with the same filters; with each open item's state. */
  async function countsOfTheList(query: string) {
    const counts = await clinician.get(`/api/follow-ups/counts${query ? `?${query}` : ''}`);
    expect(counts.status).toBe(200);
    const list = async (state: string) => {
      const response = await clinician.get<any[]>(`/api/follow-ups?${[query, `state=${state}`].filter(Boolean).join('&')}`);
      expect(response.status).toBe(200);
      return response.body;
    };
    const [overdue, today, upcoming, open] = await Promise.all(['overdue', 'today', 'upcoming', 'open'].map(list));
    expect(counts.body).toEqual({
      overdue: overdue!.length,
      today: today!.length,
      upcoming: upcoming!.length,
      open: open!.length,
      attention: open!.filter((i) => i.kind === 'attention').length,
    });
    return { counts: counts.body, stateOf: new Map<string, string>(open!.map((i) => [i.id, i.state])) };
  }

  it('is for clinicians and admins only, and validates its filters like the list', async () => {
    expect((await frontDesk.get('/api/follow-ups/counts')).status).toBe(403);
    expect((await frontDesk.get(`/api/follow-ups/counts?clinicianId=${CLINICIAN.id}`)).status).toBe(403);
    expect((await admin.get('/api/follow-ups/counts')).status).toBe(200);
    const empty = await clinician.get(`/api/follow-ups/counts?clinicianId=${CLINICIAN.id}`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ overdue: 0, today: 0, upcoming: 0, attention: 0, open: 0 });

    for (const [query, field] of [
      ['clinicianId=not-a-uuid', 'clinicianId'],
      ['kind=everything', 'kind'],
      ['state=today', 'state'], // counts every state: no state filter
      ['limit=5', 'limit'],
    ]) {
      const bad = await clinician.get(`/api/follow-ups/counts?${query}`);
      expect([query, bad.status]).toEqual([query, 400]);
      expect(JSON.stringify(bad.body.message)).toContain(field!);
    }
  });

  it('gives the list\'s numbers in each patient\'s own day: an item due this evening in Honolulu is today there, tomorrow in New York', async () => {
    patient.a = await registerPatient(frontDesk, PHONES.a, { timezone: NEW_YORK, firstName: 'Alma', lastName: 'Reyes' });
    patient.b = await registerPatient(frontDesk, PHONES.b, { timezone: HONOLULU, firstName: 'Kai', lastName: 'Akana' });
    patient.c = await registerPatient(frontDesk, PHONES.c, { timezone: NEW_YORK, firstName: 'Cora', lastName: 'Lind' });

    // Three injections with the clinician, booked one after the other and done the same afternoon.
    const start = await admin.now();
    const from = encodeURIComponent(DateTime.fromJSDate(start).plus({ days: 2 }).toISO()!);
    const to = encodeURIComponent(DateTime.fromJSDate(start).plus({ days: 9 }).toISO()!);
    const booked: { id: string; endsAt: string }[] = [];
    for (const key of ['a', 'b', 'c'] as const) {
      const slots = await frontDesk.get(`/api/availability?clinicianId=${CLINICIAN.id}&procedureType=bmac_injection&from=${from}&to=${to}`);
      const appointment = await frontDesk.post('/api/appointments', { patientId: patient[key], clinicianId: CLINICIAN.id, procedureType: 'bmac_injection', startsAt: slots.body.slots[0].startsAt });
      expect(appointment.status).toBe(201);
      booked.push(appointment.body);
    }
    await advanceClockTo(admin, new Date(Math.max(...booked.map((b) => new Date(b.endsAt).getTime())) + 5 * 60_000));
    for (const appointment of booked) expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'right knee' })).status).toBe(200);
    for (const key of ['a', 'b', 'c'] as const) await carePlansOf(clinician, patient[key]);

    // Each writes to the clinic: an attention item each, due now.
    for (const key of ['a', 'b', 'c'] as const) await system.inboundSms(PHONES[key], 'The knee feels warm and tight tonight');
    await waitFor(
      async () => {
        const open = (await clinician.get<any[]>(`/api/follow-ups?clinicianId=${CLINICIAN.id}&kind=attention`)).body;
        for (const key of ['a', 'b', 'c'] as const) item[key] = open.find((i) => i.patient.id === patient[key])?.id ?? '';
        return item.a && item.b && item.c ? true : undefined;
      },
      { what: 'the three attention items' },
    );

    // Snoozed to 01:00 tomorrow in New York: still this evening in Honolulu (5 or 6 hours behind).
    const now = DateTime.fromJSDate(await admin.now(), { zone: NEW_YORK });
    const until = now.plus({ days: 1 }).startOf('day').plus({ hours: 1 });
    expect(until.setZone(HONOLULU).toISODate()).toBe(now.setZone(HONOLULU).toISODate()); // the test's premise
    for (const key of ['a', 'b'] as const) expect((await clinician.post(`/api/follow-ups/${item[key]}/snooze`, { until: until.toISO() })).status).toBe(200);

    const mine = await countsOfTheList(`clinicianId=${CLINICIAN.id}`);
    expect(mine.counts).toEqual({ overdue: 0, today: 2, upcoming: 1, attention: 3, open: 3 });
    expect([mine.stateOf.get(item.a), mine.stateOf.get(item.b), mine.stateOf.get(item.c)]).toEqual(['upcoming', 'today', 'today']);
    expect((await countsOfTheList(`clinicianId=${CLINICIAN.id}&kind=attention`)).counts).toEqual(mine.counts);
    expect((await countsOfTheList(`clinicianId=${CLINICIAN.id}&kind=follow_up_visit`)).counts).toEqual({ overdue: 0, today: 0, upcoming: 0, attention: 0, open: 0 });
    expect((await countsOfTheList(`clinicianId=${DEMO.clinicians[1].id}`)).counts.open).toBe(0);
    expect((await countsOfTheList('')).counts).toEqual(mine.counts); // the whole clinic: only these three

    // Noon tomorrow in New York (early morning in Honolulu): B's evening and C's day are past;
    // A's 01:00 is today in New York.
    await advanceClockTo(admin, now.plus({ days: 1 }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 }).toJSDate());
    const next = await countsOfTheList(`clinicianId=${CLINICIAN.id}`);
    expect(next.counts).toEqual({ overdue: 2, today: 1, upcoming: 0, attention: 3, open: 3 });
    expect([next.stateOf.get(item.a), next.stateOf.get(item.b), next.stateOf.get(item.c)]).toEqual(['today', 'overdue', 'overdue']);

    // Done items leave the counts.
    expect((await clinician.post(`/api/follow-ups/${item.c}/complete`, { note: 'called back: settling' })).status).toBe(200);
    expect((await countsOfTheList(`clinicianId=${CLINICIAN.id}`)).counts).toEqual({ overdue: 1, today: 1, upcoming: 0, attention: 2, open: 2 });
    expect((await frontDesk.get(`/api/follow-ups/counts?clinicianId=${CLINICIAN.id}`)).status).toBe(403);
  }, 180_000);
});
