import { describe, expect, it } from '@jest/globals';
import type { AppointmentResource, PatientCareRecord, PatientResource } from '@aftercare/contracts';
import { fhirR4Problems } from '@aftercare/testing';
import { LOINC_PAIN_SEVERITY, patientEverything, unresolvedReferences, type PatientExportInput } from './fhir.mapping.js';
import type { FhirBundle, FhirCarePlan, FhirObservation, FhirResource, FhirTask } from './fhir.types.js';

const BASE = 'https://clinic.example/api/fhir';
const PATIENT = '11111111-1111-4111-8111-111111111111';
const CLINICIAN = '22222222-2222-4222-8222-222222222222';
const PROCEDURE = '33333333-3333-4333-8333-333333333333';
const VISIT = '44444444-4444-4444-8444-444444444444';
const PLAN = '55555555-5555-4555-8555-555555555555';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const patient: PatientResource = {
  id: PATIENT,
  firstName: 'Ana',
  lastName: 'Rivera',
  phone: '+13125550147',
  email: 'ana@example.com',
  timezone: 'America/Chicago',
  preferredChannel: 'both',
  smsConsent: true,
  smsOptedOut: false,
  dateOfBirth: '1961-05-02',
  language: 'en',
  createdAt: '2026-03-01T15:00:00.000Z',
};

const appointment = (over: Partial<AppointmentResource>): AppointmentResource => ({
  id: PROCEDURE,
  patientId: PATIENT,
  clinicianId: CLINICIAN,
  procedureType: 'bmac_injection',
  startsAt: '2026-03-02T15:00:00.000Z',
  endsAt: '2026-03-02T17:00:00.000Z',
  status: 'completed',
  notes: 'uneventful',
  site: 'left knee',
  completedAt: '2026-03-02T17:05:00.000Z',
  createdAt: '2026-03-01T15:10:00.000Z',
  resourceIds: [],
  sequence: 0,
  ...over,
});

const step = (n: number, key: string, kind: 'aftercare' | 'checkin' | 'follow_up_visit' | 'repeat_evaluation', status: string, dueAt: string, window?: [string, string]) => ({
  id: id(n),
  key,
  kind,
  status: status as never,
  dueAt,
  windowStart: window?.[0] ?? null,
  windowEnd: window?.[1] ?? null,
  firedAt: status === 'scheduled' ? null : dueAt,
  answeredAt: status === 'answered' ? dueAt : null,
});

const record: PatientCareRecord = {
  patientId: PATIENT,
  carePlans: [
    {
      id: PLAN,
      appointmentId: PROCEDURE,
      clinicianId: CLINICIAN,
      procedureType: 'bmac_injection',
      protocol: 'bmac-standard',
      protocolVersion: 1,
      status: 'active',
      procedureDate: '2026-03-02T17:05:00.000Z',
      site: 'left knee',
      outcome: null,
      createdAt: '2026-03-02T17:05:01.000Z',
      closedAt: null,
      steps: [
        step(1, 'aftercare', 'aftercare', 'done', '2026-03-02T19:05:00.000Z'),
        step(2, 'checkin-day-1', 'checkin', 'answered', '2026-03-03T16:00:00.000Z'),
        step(3, 'checkin-day-3', 'checkin', 'unanswered', '2026-03-05T16:00:00.000Z'),
        step(4, 'follow-up-visit', 'follow_up_visit', 'done', '2026-03-16T15:00:00.000Z', ['2026-03-14T05:00:00.000Z', '2026-03-19T05:00:00.000Z']),
        step(5, 'repeat-evaluation', 'repeat_evaluation', 'done', '2026-04-13T15:00:00.000Z'),
        step(6, 'checkin-week-6', 'checkin', 'scheduled', '2026-04-13T15:00:00.000Z'),
      ],
    },
  ],
  items: [
    {
      id: id(11), kind: 'follow_up_visit', status: 'open', carePlanId: PLAN, stepId: id(4), clinicianId: CLINICIAN, reason: 'Follow-up visit booked by the care plan',
      dueAt: '2026-03-16T15:00:00.000Z', createdAt: '2026-03-16T15:00:01.000Z', completedAt: null, note: null, decision: null, appointmentId: VISIT,
      source: null, procedureType: null, bookBy: null, bookedAppointmentId: null,
    },
    {
      id: id(12), kind: 'repeat_evaluation', status: 'done', carePlanId: PLAN, stepId: id(5), clinicianId: CLINICIAN, reason: 'Decide on a repeat injection',
      dueAt: '2026-04-13T15:00:00.000Z', createdAt: '2026-04-13T15:00:01.000Z', completedAt: '2026-04-14T15:00:00.000Z', note: 'partial response',
      decision: { repeatInjection: true, note: 'partial response' }, appointmentId: null, source: null, procedureType: null, bookBy: null, bookedAppointmentId: null,
    },
    {
      id: id(13), kind: 'booking_task', status: 'open', carePlanId: PLAN, stepId: null, clinicianId: CLINICIAN, reason: 'Book the repeat injection',
      dueAt: '2026-04-28T15:00:00.000Z', createdAt: '2026-04-14T15:00:00.000Z', completedAt: null, note: null, decision: null, appointmentId: null,
      source: 'repeat_injection', procedureType: 'bmac_injection', bookBy: '2026-05-12T04:59:59.000Z', bookedAppointmentId: null,
    },
    {
      id: id(14), kind: 'attention', status: 'open', carePlanId: PLAN, stepId: null, clinicianId: CLINICIAN, reason: 'Pain score 9/10',
      dueAt: '2026-03-05T16:10:00.000Z', createdAt: '2026-03-05T16:10:00.000Z', completedAt: null, note: null, decision: null, appointmentId: null,
      source: null, procedureType: null, bookBy: null, bookedAppointmentId: null,
    },
  ],
  painScores: [
    { id: id(21), score: 6, answeredAt: '2026-03-03T16:20:00.000Z', carePlanId: PLAN, stepId: id(2), messageId: id(31) },
    { id: id(22), score: 9, answeredAt: '2026-03-05T16:10:00.000Z', carePlanId: PLAN, stepId: null, messageId: id(32) },
    { id: id(23), score: 4, answeredAt: '2026-02-20T16:10:00.000Z', carePlanId: null, stepId: null, messageId: id(33) },
  ],
};

const input: PatientExportInput = {
  patient,
  appointments: [
    appointment({ id: VISIT, procedureType: 'follow_up_visit', status: 'confirmed', startsAt: '2026-03-16T15:00:00.000Z', endsAt: '2026-03-16T15:30:00.000Z', completedAt: null, site: null, notes: null }),
    appointment({}),
  ],
  clinicians: [{ id: CLINICIAN, name: 'Dr. Maya Chen' }],
  record,
};

const now = new Date('2026-04-20T12:00:00.000Z');
const bundle = patientEverything(input, { baseUrl: BASE, now });
const resources = <T extends FhirResource>(type: T['resourceType']) => bundle.entry.map((e) => e.resource).filter((r): r is T => r.resourceType === type);

describe('the FHIR R4 export of a patient ($everything)', () => {
  it('is valid FHIR R4 against the published JSON schema, as a bundle and resource by resource', () => {
    expect(fhirR4Problems(bundle)).toEqual([]);
    for (const entry of bundle.entry) expect({ [entry.fullUrl]: fhirR4Problems(entry.resource) }).toEqual({ [entry.fullUrl]: [] });
  });

  it('holds the patient, their clinician, appointments, the procedure, the care plan, tasks and pain scores', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', timestamp: now.toISOString(), total: bundle.entry.length });
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual([
      'Patient', 'Practitioner', 'Appointment', 'Appointment', 'Procedure', 'CarePlan', 'Task', 'Task', 'Task', 'Task', 'Observation', 'Observation', 'Observation',
    ]);
    expect(bundle.entry[0]).toMatchObject({ fullUrl: `${BASE}/Patient/${PATIENT}`, search: { mode: 'match' } });
    expect(bundle.entry.slice(1).every((e) => e.search?.mode === 'include')).toBe(true);
  });

  it('gives every entry a stable, unique fullUrl, and every reference resolves inside the bundle', () => {
    const urls = bundle.entry.map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(urls.length);
    for (const e of bundle.entry) expect(e.fullUrl).toBe(`${BASE}/${e.resource.resourceType}/${e.resource.id}`);
    expect(unresolvedReferences(bundle)).toEqual([]);
    // Exported again later: the same resources under the same names.
    const again = patientEverything(input, { baseUrl: BASE, now: new Date('2026-05-01T00:00:00Z') });
    expect(again.entry).toEqual(bundle.entry);
  });

  it('writes pain scores as LOINC 72514-3 observations of the patient, based on the care plan', () => {
    const [first] = resources<FhirObservation>('Observation');
    expect(first).toEqual(
      expect.objectContaining({
        id: id(21),
        status: 'final',
        code: LOINC_PAIN_SEVERITY,
        subject: { reference: `Patient/${PATIENT}` },
        performer: [{ reference: `Patient/${PATIENT}` }],
        effectiveDateTime: '2026-03-03T16:20:00.000Z',
        valueInteger: 6,
        basedOn: [{ reference: `CarePlan/${PLAN}` }],
      }),
    );
    expect(first!.code.coding![0]).toMatchObject({ system: 'http://loinc.org', code: '72514-3', display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported' });
    expect(first!.extension![0]!.valueIdentifier!.value).toBe(id(31)); // the message that carried it
    const loose = resources<FhirObservation>('Observation').find((o) => o.id === id(23));
    expect(loose!.basedOn).toBeUndefined(); // a score outside any plan
  });

  it('writes the care plan with one activity per step, linked to what came of it', () => {
    const [plan] = resources<FhirCarePlan>('CarePlan');
    expect(plan).toMatchObject({ status: 'active', intent: 'plan', subject: { reference: `Patient/${PATIENT}` }, author: { reference: `Practitioner/${CLINICIAN}` } });
    expect(plan!.supportingInfo).toEqual([{ reference: `Procedure/${PROCEDURE}` }]);
    const activity = (key: string) => plan!.activity!.find((a) => a.detail!.code!.text === key)!;
    expect(activity('checkin-day-1')).toMatchObject({ detail: { kind: 'CommunicationRequest', status: 'completed' }, outcomeReference: [{ reference: `Observation/${id(21)}` }] });
    expect(activity('checkin-day-3').detail).toMatchObject({ status: 'stopped', statusReason: { text: expect.stringMatching(/did not answer/) } });
    expect(activity('checkin-week-6').detail!.status).toBe('scheduled');
    expect(activity('follow-up-visit')).toMatchObject({
      detail: { kind: 'Appointment', scheduledPeriod: { start: '2026-03-14T05:00:00.000Z', end: '2026-03-19T05:00:00.000Z' } },
      outcomeReference: [{ reference: `Task/${id(11)}` }, { reference: `Appointment/${VISIT}` }],
    });
  });

  it('writes due-list items and booking tasks as tasks', () => {
    const tasks = new Map(resources<FhirTask>('Task').map((t) => [t.id, t]));
    expect(tasks.get(id(11))).toMatchObject({ status: 'ready', intent: 'order', focus: { reference: `Appointment/${VISIT}` }, owner: { reference: `Practitioner/${CLINICIAN}` } });
    expect(tasks.get(id(12))).toMatchObject({ status: 'completed', output: [{ type: { text: 'Repeat injection decided' }, valueBoolean: true }], note: [{ text: 'partial response' }] });
    expect(tasks.get(id(13))).toMatchObject({ restriction: { period: { end: '2026-05-12T04:59:59.000Z' } }, basedOn: [{ reference: `CarePlan/${PLAN}` }] });
    expect(tasks.get(id(14))).toMatchObject({ priority: 'urgent', code: { coding: [{ code: 'attention' }] } });
  });

  it('maps appointment statuses to FHIR’s', () => {
    const [visit, procedure] = resources<Extract<FhirResource, { resourceType: 'Appointment' }>>('Appointment').sort((a, b) => (a.id === VISIT ? -1 : b.id === VISIT ? 1 : 0));
    expect(visit!.status).toBe('booked'); // confirmed by the patient: booked, patient accepted
    expect(visit!.participant[0]).toMatchObject({ actor: { reference: `Patient/${PATIENT}` }, status: 'accepted' });
    expect(procedure!.status).toBe('fulfilled');
  });
});

describe('the schema check is really applied', () => {
  const observation = (): FhirObservation => structuredClone(resources<FhirObservation>('Observation')[0]!);
  const broken = (mutate: (b: FhirBundle & Record<string, any>) => void) => {
    const copy = structuredClone(bundle) as FhirBundle & Record<string, any>;
    mutate(copy);
    return copy;
  };

  it('refuses a status outside the code list', () => {
    expect(fhirR4Problems({ ...observation(), status: 'done' }).length).toBeGreaterThan(0);
  });

  it('refuses an unknown element', () => {
    expect(fhirR4Problems({ ...observation(), painScore: 6 }).join()).toMatch(/additional properties/);
  });

  it('refuses a value of the wrong type and a date-time that is no FHIR dateTime', () => {
    expect(fhirR4Problems({ ...observation(), valueInteger: '6' }).length).toBeGreaterThan(0);
    expect(fhirR4Problems({ ...observation(), effectiveDateTime: '03/03/2026 10:20' }).length).toBeGreaterThan(0);
  });

  it('refuses an observation without its code (1..1)', () => {
    const { code: _code, ...rest } = observation();
    expect(fhirR4Problems(rest).length).toBeGreaterThan(0);
  });

  it('finds a broken resource inside the bundle', () => {
    expect(fhirR4Problems(broken((b) => (b.entry[1]!.resource as any).status = 'on-leave')).length).toBeGreaterThan(0);
    expect(fhirR4Problems(broken((b) => ((b.entry[2]!.resource as any).start = 'tomorrow'))).length).toBeGreaterThan(0);
  });

  it('finds a reference that points outside the bundle', () => {
    const without = broken((b) => b.entry.splice(1, 1)); // drop the Practitioner
    expect(unresolvedReferences(without).join('\n')).toContain(`Practitioner/${CLINICIAN}`);
  });
});
