import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { fhirR4Problems, waitFor } from '@aftercare/testing';
import { unresolvedReferences } from '../apps/gateway/src/fhir/fhir.mapping.js';
import type { FhirBundle } from '../apps/gateway/src/fhir/fhir.types.js';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { bookAndFinish, carePlansOf, nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

/**
 * Patient-reported outcomes and the FHIR export over HTTP, fed by the real flow: a completed
 * injection, check-ins that go out by SMS on the virtual clock, answers through the Twilio
 * webhook, a repeat injection decided and booked. Then the timeline, the outcome series, the
 * summary and the FHIR R4 export (checked against the R4 JSON schema) are read back.
 */

const PHONE = '+13125550161';
const ZONE = 'America/New_York';
const CLINICIAN = DEMO.clinicians[0];

describe('outcomes and the FHIR export, end to end', () => {
  const system = new TestSystem();
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let patientId: string;
  let appointment: { id: string; startsAt: string; endsAt: string };
  let plan: { id: string; steps: { id: string; key: string; kind: string; dueAt: string; status: string }[] };

  const reply = (body: string) => system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from: PHONE, to: TWILIO_FROM, body });
  const step = (key: string) => plan.steps.find((s) => s.key === key)!;
  const advanceTo = async (at: Date) => {
    const now = await admin.now();
    if (at > now) await admin.advance(isoDuration(at.getTime() - now.getTime()));
  };
  const answered = (key: string) =>
    waitFor(
      async () => {
        plan = (await clinician.get(`/api/care-plans/${plan.id}`)).body;
        return step(key).status === 'answered' || undefined;
      },
      { timeoutMs: 15_000, what: `${key} answered` },
    );

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    await advanceTo(nextMondayMorning(await admin.now(), ZONE));
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('an injection is completed and the patient answers the day-1 and week-6 check-ins by SMS', async () => {
    patientId = await registerPatient(frontDesk, PHONE, { firstName: 'Lena', lastName: 'Ortiz', timezone: ZONE });
    appointment = await bookAndFinish(frontDesk, admin, patientId, CLINICIAN.id);
    const completed = await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'right knee' });
    expect(completed.status).toBe(200);
    [plan] = (await carePlansOf(clinician, patientId)) as (typeof plan)[];

    await advanceTo(new Date(Date.parse(step('checkin-day-1').dueAt) + 60_000));
    expect((await reply('7')).status).toBe(200);
    await answered('checkin-day-1');

    const last = Math.max(Date.parse(step('checkin-week-6').dueAt), Date.parse(step('repeat-evaluation').dueAt));
    await advanceTo(new Date(last + 60_000));
    expect((await reply('3')).status).toBe(200);
    await answered('checkin-week-6');
  }, 120_000);

  it('the timeline shows appointments, messages, pain scores and items in time order, not to the front desk', async () => {
    const timeline = await clinician.get<{ at: string; type: string; data: any }[]>(`/api/patients/${patientId}/timeline`);
    expect(timeline.status).toBe(200);
    const types = new Set(timeline.body.map((e) => e.type));
    for (const type of ['appointment', 'message', 'pain_score', 'follow_up_item']) expect(types.has(type)).toBe(true);
    const instants = timeline.body.map((e) => Date.parse(e.at));
    expect([...instants].sort((a, b) => a - b)).toEqual(instants);
    const scores = timeline.body.filter((e) => e.type === 'pain_score').map((e) => e.data);
    expect(scores.map((s) => s.score)).toEqual([7, 3]);
    expect(scores[0]).toMatchObject({ stepId: step('checkin-day-1').id, messageId: expect.any(String), answeredAt: expect.any(String) });

    expect((await frontDesk.get(`/api/patients/${patientId}/timeline`)).status).toBe(403);
  });

  it('the outcome series shows each score against local days since the procedure', async () => {
    const response = await clinician.get(`/api/patients/${patientId}/outcomes`);
    expect(response.status).toBe(200);
    const [procedure] = response.body.procedures;
    expect(procedure).toMatchObject({ carePlanId: plan.id, appointmentId: appointment.id, site: 'right knee', timezone: ZONE, protocol: 'bmac-standard', clinicianId: CLINICIAN.id });
    expect(procedure.scores.map((s: { day: number; score: number; stepKey: string }) => [s.day, s.score, s.stepKey])).toEqual([
      [1, 7, 'checkin-day-1'],
      [42, 3, 'checkin-week-6'],
    ]);
    // Day 42 is the local date 42 days after the procedure's, whatever lies between.
    const done = DateTime.fromISO(procedure.procedureDate, { zone: ZONE });
    expect(DateTime.fromISO(procedure.scores[1].answeredAt, { zone: ZONE }).toISODate()).toBe(done.plus({ days: 42 }).toISODate());
    expect(procedure).toMatchObject({ baseline: { score: 7, source: 'post_procedure' }, week6: { score: 3 }, improvement: 4, improved: true, reinjected: false });

    expect((await frontDesk.get(`/api/patients/${patientId}/outcomes`)).status).toBe(403);
    expect((await clinician.get(`/api/patients/7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f/outcomes`)).status).toBe(404);
    const bad = await clinician.get(`/api/patients/not-an-id/outcomes`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/id/);
  });

  it('a repeat injection decided and booked counts as a re-injection in the summary', async () => {
    const [evaluation] = (await clinician.get<any[]>(`/api/follow-ups?kind=repeat_evaluation`)).body.filter((i) => i.patient.id === patientId);
    expect((await clinician.post(`/api/follow-ups/${evaluation.id}/decision`, { repeatInjection: true, note: 'partial response' })).status).toBe(200);
    const task = await waitFor(
      async () => (await frontDesk.get<any[]>(`/api/booking-tasks?patientId=${patientId}`)).body.find((t) => t.source === 'repeat_injection' && t.state === 'open'),
      { timeoutMs: 15_000, what: 'the repeat-injection booking task' },
    );
    const now = await admin.now();
    const from = encodeURIComponent(DateTime.fromJSDate(now).plus({ days: 2 }).toISO()!);
    const to = encodeURIComponent(DateTime.fromJSDate(now).plus({ days: 9 }).toISO()!);
    const slots = await frontDesk.get(`/api/availability?clinicianId=${CLINICIAN.id}&procedureType=bmac_injection&from=${from}&to=${to}`);
    const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId: CLINICIAN.id, procedureType: 'bmac_injection', startsAt: slots.body.slots[0].startsAt, bookingTaskId: task.id });
    expect(booked.status).toBe(201);

    const query = `/api/outcomes/summary?clinicianId=${CLINICIAN.id}&protocol=bmac-standard`;
    const summary = await waitFor(
      async () => {
        const r = await clinician.get(query);
        return r.body.groups?.[0]?.reinjected === 1 ? r.body : undefined;
      },
      { timeoutMs: 15_000, what: 'the booked repeat in the summary' },
    );
    expect(summary.groups).toEqual([
      { clinicianId: CLINICIAN.id, protocol: 'bmac-standard', procedures: 1, patients: 1, withBaseline: 1, withWeek6Score: 1, evaluable: 1, improved: 1, improvedShare: 1, reinjected: 1 },
    ]);
    expect(summary.definitions.week6).toMatch(/nearest day 42/);
    const later = await clinician.get(`/api/outcomes/summary?from=${encodeURIComponent(DateTime.fromJSDate(now).toISO()!)}`);
    expect(later.body.groups).toEqual([]);

    expect((await frontDesk.get(query)).status).toBe(403);
    for (const [bad, field] of [
      ['from=yesterday', 'from'],
      ['clinicianId=dr-chen', 'clinicianId'],
      ['protocol=Not%20A%20Code', 'protocol'],
      ['colour=blue', 'colour'],
      ['from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ] as const) {
      const r = await clinician.get(`/api/outcomes/summary?${bad}`);
      expect({ bad, status: r.status }).toEqual({ bad, status: 400 });
      expect(JSON.stringify(r.body)).toContain(field);
    }
  }, 60_000);

  it('exports the patient as a FHIR R4 bundle that the R4 schema accepts and whose references resolve', async () => {
    const response = await clinician.get<FhirBundle>(`/api/fhir/Patient/${patientId}/$everything`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const bundle = response.body;

    expect(fhirR4Problems(bundle)).toEqual([]);
    for (const entry of bundle.entry) expect({ [entry.fullUrl]: fhirR4Problems(entry.resource) }).toEqual({ [entry.fullUrl]: [] });
    expect(unresolvedReferences(bundle)).toEqual([]);
    expect(bundle.entry.every((e) => e.fullUrl === `${system.baseUrl}/api/fhir/${e.resource.resourceType}/${e.resource.id}`)).toBe(true);

    const of = (type: string) => bundle.entry.map((e) => e.resource as any).filter((r) => r.resourceType === type);
    expect(of('Patient')).toEqual([expect.objectContaining({ id: patientId, name: [expect.objectContaining({ family: 'Ortiz', given: ['Lena'] })] })]);
    expect(of('Appointment').map((a) => a.id)).toEqual(expect.arrayContaining([appointment.id]));
    expect(of('Procedure')).toEqual([expect.objectContaining({ id: appointment.id, status: 'completed', bodySite: [{ text: 'right knee' }] })]);
    expect(of('CarePlan')).toEqual([expect.objectContaining({ id: plan.id, status: 'active', subject: { reference: `Patient/${patientId}` } })]);
    expect(of('CarePlan')[0].activity).toHaveLength(plan.steps.length);
    expect(of('Task').map((t) => t.code.coding[0].code)).toEqual(expect.arrayContaining(['follow_up_visit', 'repeat_evaluation', 'booking_task']));
    const observations = of('Observation');
    expect(observations.map((o) => [o.code.coding[0].system, o.code.coding[0].code, o.valueInteger])).toEqual([
      ['http://loinc.org', '72514-3', 7],
      ['http://loinc.org', '72514-3', 3],
    ]);
    expect(observations[0]).toMatchObject({ status: 'final', subject: { reference: `Patient/${patientId}` }, basedOn: [{ reference: `CarePlan/${plan.id}` }] });

    // The same export again: the same ids and fullUrls.
    const again = (await clinician.get<FhirBundle>(`/api/fhir/Patient/${patientId}/$everything`)).body;
    expect(again.entry.map((e) => e.fullUrl)).toEqual(bundle.entry.map((e) => e.fullUrl));

    const single = await clinician.get(`/api/fhir/Patient/${patientId}`);
    expect(single.status).toBe(200);
    expect(fhirR4Problems(single.body)).toEqual([]);

    expect((await frontDesk.get(`/api/fhir/Patient/${patientId}/$everything`)).status).toBe(403);
    expect((await clinician.get(`/api/fhir/Patient/7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f/$everything`)).status).toBe(404);
    expect((await clinician.get(`/api/fhir/Patient/123/$everything`)).status).toBe(400);
  }, 60_000);
});

