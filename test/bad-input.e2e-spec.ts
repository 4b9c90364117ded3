import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { WebhookCallOptions } from '@aftercare/testing';
import { Api, type ApiResponse, isoDuration, loginDemoUsers } from './support/api.js';
import { carePlansOf, nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

/**
 * Bad input changes nothing (PRODUCT.md, "HTTP API" and "Roles"): a few wrong bodies and query
 * strings per route get a 400 that names the field; domain rules answer with their status and a
 * stable code; a role without the right gets 403 and no token 401; a webhook Twilio did not sign
 * gets 403. After each group, everything a client can see is exactly as it was before.
 */

const ZONE = DEMO.clinicTimezone;
const [DR_CHEN, DR_OKAFOR, DR_BENEDETTI] = DEMO.clinicians;
const PAT_PHONE = '+12125550401'; // has the care plan and the attention item
const QUINN_PHONE = '+12125550402'; // the other patient

type Who = 'frontDesk' | 'clinician' | 'admin' | 'nobody';

/** What the cases below refer to; filled in by beforeAll. */
interface World {
  pat: string;
  quinn: string;
  /** Pat's procedure with Dr. Chen this morning, completed: the care plan came from it. */
  done: Appointment;
  /** Quinn's visit with Dr. Benedetti this morning: started, still active. */
  started: Appointment;
  /** Pat's procedure with Dr. Chen next week: booked. */
  future: Appointment;
  /** Quinn's procedure with Dr. Okafor next week: cancelled. */
  cancelled: Appointment;
  /** A free slot with Dr. Okafor next week: a good booking for Quinn would take it. */
  freeSlot: string;
  plan: string;
  /** Pat's open attention item (pain 9/10). */
  item: string;
}

interface Appointment {
  id: string;
  startsAt: string;
  endsAt: string;
  status: string;
}

/** A route's path with {placeholders} for ids known only at run time. */
const fill = (path: string, w: World): string => path.replace(/\{(\w+)\}/g, (_, key: string) => {
  const value = (w as unknown as Record<string, unknown>)[key];
  const id = typeof value === 'object' && value !== null ? (value as Appointment).id : value;
  if (typeof id !== 'string') throw new Error(`no ${key} in the world`);
  return id;
});

/** The local wall time of an instant without its offset: ambiguous, so refused. */
const withoutOffset = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
const q = encodeURIComponent;
/** `days` after `iso`, at `hour`:00 in the clinic's zone, with its offset. */
const local = (iso: string, days: number, hour: number) => DateTime.fromISO(iso, { zone: ZONE }).plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 }).toISO()!;

/** The answer to a bad input: 400 naming the field, in the message too. */
function expectBadField(response: ApiResponse, field: string) {
  expect(response).toMatchObject({ status: 400, body: { statusCode: 400, error: 'Bad Request', field } });
  expect(response.body.message).toEqual(expect.stringContaining(field));
}

// ---------------------------------------------------------------------------------------------
// Bad bodies: [route, what is wrong, who sends it, body from a good one, the field to be named]
// ---------------------------------------------------------------------------------------------

interface BadBody {
  route: string;
  why: string;
  as: Who;
  body: (w: World) => unknown;
  field: string;
  headers?: Record<string, string>;
}

const goodPatient = { firstName: 'Robin', lastName: 'Vale', phone: '+12125550499', email: 'robin@example.com', timezone: 'America/Chicago', preferredChannel: 'both', smsConsent: true };
const goodBooking = (w: World) => ({ patientId: w.quinn, clinicianId: DR_OKAFOR.id, procedureType: 'bmac_injection', startsAt: w.freeSlot });
const without = <T extends object>(value: T, key: keyof T) => Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));

const BAD_BODIES: BadBody[] = [
  { route: 'POST /api/patients', why: 'phone is missing', as: 'frontDesk', body: () => without(goodPatient, 'phone'), field: 'phone' },
  { route: 'POST /api/patients', why: 'phone 555-1234 is not E.164', as: 'frontDesk', body: () => ({ ...goodPatient, phone: '555-1234' }), field: 'phone' },
  { route: 'POST /api/patients', why: 'timezone Mars/Olympus is not IANA', as: 'frontDesk', body: () => ({ ...goodPatient, timezone: 'Mars/Olympus' }), field: 'timezone' },
  { route: 'POST /api/patients', why: 'smsConsent is the string "yes"', as: 'frontDesk', body: () => ({ ...goodPatient, smsConsent: 'yes' }), field: 'smsConsent' },
  { route: 'POST /api/patients', why: 'it carries a constructor field', as: 'frontDesk', body: () => ({ ...goodPatient, constructor: { x: 1 } }), field: 'constructor' },
  { route: 'POST /api/patients', why: 'it carries a __proto__ field', as: 'frontDesk', body: () => JSON.parse(JSON.stringify(goodPatient).replace('{', '{"__proto__":{"admin":true},')), field: '__proto__' },
  { route: 'POST /api/patients', why: 'an unknown field', as: 'frontDesk', body: () => ({ ...goodPatient, diagnosis: 'osteoarthritis' }), field: 'diagnosis' },

  { route: 'POST /api/appointments', why: 'patientId is missing', as: 'frontDesk', body: (w) => without(goodBooking(w), 'patientId'), field: 'patientId' },
  { route: 'POST /api/appointments', why: 'startsAt has no offset', as: 'frontDesk', body: (w) => ({ ...goodBooking(w), startsAt: withoutOffset(w.freeSlot) }), field: 'startsAt' },
  { route: 'POST /api/appointments', why: 'startsAt has an offset of +25:00', as: 'frontDesk', body: (w) => ({ ...goodBooking(w), startsAt: '2030-01-07T10:00:00+25:00' }), field: 'startsAt' },
  { route: 'POST /api/appointments', why: 'startsAt is in the year 9999', as: 'frontDesk', body: (w) => ({ ...goodBooking(w), startsAt: '9999-12-31T15:00:00Z' }), field: 'startsAt' },
  { route: 'POST /api/appointments', why: 'clinicianId is not a UUID', as: 'frontDesk', body: (w) => ({ ...goodBooking(w), clinicianId: 'dr-okafor' }), field: 'clinicianId' },
  { route: 'POST /api/appointments', why: 'an unknown field', as: 'frontDesk', body: (w) => ({ ...goodBooking(w), status: 'confirmed' }), field: 'status' },
  { route: 'POST /api/appointments', why: 'an Idempotency-Key with a space', as: 'frontDesk', body: goodBooking, field: 'Idempotency-Key', headers: { 'Idempotency-Key': 'key with space' } },

  { route: 'POST /api/appointments/{future}/reschedule', why: 'startsAt is missing', as: 'frontDesk', body: () => ({}), field: 'startsAt' },
  { route: 'POST /api/appointments/{future}/reschedule', why: 'startsAt has no offset', as: 'frontDesk', body: (w) => ({ startsAt: withoutOffset(w.freeSlot) }), field: 'startsAt' },
  { route: 'POST /api/appointments/{future}/reschedule', why: 'startsAt is a number', as: 'frontDesk', body: (w) => ({ startsAt: new Date(w.freeSlot).getTime() }), field: 'startsAt' },
  { route: 'POST /api/appointments/not-a-uuid/reschedule', why: 'the id is not a UUID', as: 'frontDesk', body: (w) => ({ startsAt: w.freeSlot }), field: 'id' },

  { route: 'POST /api/appointments/{future}/cancel', why: 'reason is a number', as: 'frontDesk', body: () => ({ reason: 42 }), field: 'reason' },
  { route: 'POST /api/appointments/{future}/cancel', why: 'reason is too long', as: 'frontDesk', body: () => ({ reason: 'x'.repeat(501) }), field: 'reason' },
  { route: 'POST /api/appointments/{future}/cancel', why: 'an unknown field', as: 'frontDesk', body: () => ({ notifyPatient: false }), field: 'notifyPatient' },
  { route: 'POST /api/appointments/12345/cancel', why: 'the id is not a UUID', as: 'frontDesk', body: () => ({}), field: 'id' },

  { route: 'POST /api/appointments/{started}/complete', why: 'site is a number', as: 'clinician', body: () => ({ site: 7 }), field: 'site' },
  { route: 'POST /api/appointments/{started}/complete', why: 'notes are too long', as: 'clinician', body: () => ({ notes: 'x'.repeat(2001) }), field: 'notes' },
  { route: 'POST /api/appointments/{started}/complete', why: 'an unknown field', as: 'clinician', body: () => ({ site: 'left knee', status: 'completed' }), field: 'status' },
  { route: 'POST /api/appointments/abc/complete', why: 'the id is not a UUID', as: 'clinician', body: () => ({ site: 'left knee' }), field: 'id' },

  { route: 'POST /api/follow-ups/{item}/complete', why: 'note is a number', as: 'clinician', body: () => ({ note: 5 }), field: 'note' },
  { route: 'POST /api/follow-ups/{item}/complete', why: 'an unknown field', as: 'clinician', body: () => ({ note: 'called her', done: true }), field: 'done' },
  { route: 'POST /api/follow-ups/{item}/complete', why: 'seenOccurrences is 0', as: 'clinician', body: () => ({ seenOccurrences: 0 }), field: 'seenOccurrences' },
  { route: 'POST /api/follow-ups/item-1/complete', why: 'the id is not a UUID', as: 'clinician', body: () => ({ note: 'called her' }), field: 'id' },

  { route: 'POST /api/follow-ups/{item}/decision', why: 'neither decision nor repeatInjection', as: 'clinician', body: () => ({ note: 'better' }), field: 'decision' },
  { route: 'POST /api/follow-ups/{item}/decision', why: 'reassess without reassessInWeeks', as: 'clinician', body: () => ({ decision: 'reassess' }), field: 'reassessInWeeks' },
  { route: 'POST /api/follow-ups/{item}/snooze', why: 'until is "tomorrow"', as: 'clinician', body: () => ({ until: 'tomorrow' }), field: 'until' },
  { route: 'POST /api/follow-ups/{item}/reassign', why: 'clinicianId is not a UUID', as: 'clinician', body: () => ({ clinicianId: 'dr-okafor' }), field: 'clinicianId' },
  { route: 'PUT /api/escalation-rules', why: 'highScore is 11', as: 'admin', body: () => ({ highScore: 11 }), field: 'highScore' },
  { route: 'PUT /api/escalation-rules', why: 'answerWindowHours is 0', as: 'admin', body: () => ({ answerWindowHours: 0 }), field: 'answerWindowHours' },
  { route: 'POST /api/follow-ups/{item}/decision', why: 'repeatInjection is the string "yes"', as: 'clinician', body: () => ({ repeatInjection: 'yes' }), field: 'repeatInjection' },
  { route: 'POST /api/follow-ups/{item}/decision', why: 'an unknown field', as: 'clinician', body: () => ({ repeatInjection: true, injections: 2 }), field: 'injections' },

  { route: 'POST /api/waitlist', why: 'latestDate is not a date', as: 'frontDesk', body: (w) => ({ patientId: w.quinn, procedureType: 'consultation', earliestDate: '2030-01-07', latestDate: '2030-02-30' }), field: 'latestDate' },
  { route: 'POST /api/waitlist', why: 'earliestDate is missing', as: 'frontDesk', body: (w) => ({ patientId: w.quinn, procedureType: 'consultation', latestDate: '2030-01-08' }), field: 'earliestDate' },
  { route: 'POST /api/waitlist', why: 'an unknown field', as: 'frontDesk', body: (w) => ({ patientId: w.quinn, procedureType: 'consultation', earliestDate: '2030-01-07', latestDate: '2030-01-08', priority: 1 }), field: 'priority' },

  { route: 'PATCH /api/clinic', why: 'openingHours has a weekday 8', as: 'admin', body: () => ({ openingHours: { '8': [{ start: '09:00', end: '17:00' }] } }), field: 'openingHours' },
  { route: 'PATCH /api/clinic', why: 'openingHours closes at 25:00', as: 'admin', body: () => ({ openingHours: { '1': [{ start: '09:00', end: '25:00' }] } }), field: 'openingHours' },
  { route: 'PATCH /api/clinic', why: 'gridMinutes is 7.5', as: 'admin', body: () => ({ gridMinutes: 7.5 }), field: 'gridMinutes' },
  { route: 'PATCH /api/clinic', why: 'timezone is not IANA', as: 'admin', body: () => ({ timezone: 'EST5' }), field: 'timezone' },
  { route: 'POST /api/clinic/closures', why: 'reason is missing', as: 'admin', body: () => ({ date: '2030-01-07' }), field: 'reason' },
  { route: 'POST /api/clinic/closures', why: 'date is 07/01/2030', as: 'admin', body: () => ({ date: '07/01/2030', reason: 'Holiday' }), field: 'date' },
  { route: 'POST /api/time-off', why: 'endsAt has no offset', as: 'admin', body: (w) => ({ clinicianId: DR_OKAFOR.id, startsAt: w.freeSlot, endsAt: withoutOffset(w.freeSlot) }), field: 'endsAt' },
  { route: 'POST /api/resources', why: 'kind is "robot"', as: 'admin', body: () => ({ kind: 'robot', category: 'centrifuge', name: 'C2' }), field: 'kind' },
  { route: 'POST /api/resources', why: 'features holds a sentence', as: 'admin', body: () => ({ kind: 'room', category: 'procedure_room', name: 'R2', features: ['has ultrasound'] }), field: 'features' },
  { route: 'PATCH /api/procedure-types/consultation', why: 'durationMinutes is null', as: 'admin', body: () => ({ durationMinutes: null }), field: 'durationMinutes' },
  { route: `PATCH /api/resources/${DEMO.resources[0].id}`, why: 'features is null (would wipe them)', as: 'admin', body: () => ({ features: null }), field: 'features' },
  { route: 'PATCH /api/clinic', why: 'name is null', as: 'admin', body: () => ({ name: null }), field: 'name' },
  { route: 'POST /api/procedure-types', why: 'durationMinutes is 0', as: 'admin', body: () => ({ code: 'x_ray', name: 'X-ray', durationMinutes: 0 }), field: 'durationMinutes' },
  { route: 'POST /api/procedure-types', why: 'requires carries an unknown key', as: 'admin', body: () => ({ code: 'x_ray', name: 'X-ray', durationMinutes: 15, requires: [{ category: 'xray_room', count: 2 }] }), field: 'requires' },

  { route: 'POST /api/auth/login', why: 'password is missing', as: 'nobody', body: () => ({ email: 'admin@aftercare.local' }), field: 'password' },
  { route: 'POST /api/auth/login', why: 'email is a number', as: 'nobody', body: () => ({ email: 42, password: DEMO.password }), field: 'email' },
  { route: 'POST /api/auth/login', why: 'an unknown field', as: 'nobody', body: () => ({ email: 'admin@aftercare.local', password: DEMO.password, role: 'admin' }), field: 'role' },

  { route: 'POST /api/dev/clock/advance', why: 'by is missing', as: 'admin', body: () => ({}), field: 'by' },
  { route: 'POST /api/dev/clock/advance', why: 'by is "14 days", not ISO 8601', as: 'admin', body: () => ({ by: '14 days' }), field: 'by' },
  { route: 'POST /api/dev/clock/advance', why: 'by is a number', as: 'admin', body: () => ({ by: 14 }), field: 'by' },
  { route: 'POST /api/dev/clock/advance', why: 'an unknown field', as: 'admin', body: () => ({ by: 'P1D', to: '2030-01-01T00:00:00Z' }), field: 'to' },
];

// ---------------------------------------------------------------------------------------------
// Bad query strings: [route, what is wrong, who asks, the query, the field to be named]
// ---------------------------------------------------------------------------------------------

interface BadQuery {
  route: string;
  why: string;
  as: Who;
  query: (w: World) => string;
  field: string;
}

/** A good availability query for next week, to spoil one parameter at a time. */
const availability = (w: World, change: Record<string, string | undefined> = {}) => {
  const from = DateTime.fromISO(w.freeSlot).startOf('day').toISO()!;
  const to = DateTime.fromISO(w.freeSlot).plus({ days: 1 }).startOf('day').toISO()!;
  const params: Record<string, string | undefined> = { clinicianId: DR_OKAFOR.id, procedureType: 'bmac_injection', from, to, ...change };
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${q(v!)}`)
    .join('&');
};

const BAD_QUERIES: BadQuery[] = [
  { route: 'GET /api/availability', why: 'procedureType is missing', as: 'frontDesk', query: (w) => availability(w, { procedureType: undefined }), field: 'procedureType' },
  { route: 'GET /api/availability', why: 'from has no offset', as: 'frontDesk', query: (w) => availability(w, { from: withoutOffset(w.freeSlot) }), field: 'from' },
  { route: 'GET /api/availability', why: 'clinicianId is not a UUID', as: 'frontDesk', query: (w) => availability(w, { clinicianId: '42' }), field: 'clinicianId' },
  { route: 'GET /api/availability', why: 'an unknown parameter', as: 'frontDesk', query: (w) => availability(w, { durationMinutes: '30' }), field: 'durationMinutes' },

  { route: 'GET /api/appointments', why: 'from is "tomorrow"', as: 'frontDesk', query: () => 'from=tomorrow', field: 'from' },
  { route: 'GET /api/appointments', why: 'patientId is not a UUID', as: 'frontDesk', query: () => 'patientId=42', field: 'patientId' },
  { route: 'GET /api/appointments', why: 'an unknown parameter', as: 'frontDesk', query: (w) => `patientId=${w.pat}&status=booked`, field: 'status' },
  { route: 'GET /api/appointments', why: 'limit is 0', as: 'frontDesk', query: () => 'limit=0', field: 'limit' },
  { route: 'GET /api/appointments', why: 'cursor is not one of ours', as: 'frontDesk', query: () => 'limit=5&cursor=bm90LWEtY3Vyc29y', field: 'cursor' },

  { route: 'GET /api/follow-ups', why: 'state is not a state', as: 'clinician', query: () => 'state=later', field: 'state' },
  { route: 'GET /api/follow-ups', why: 'kind is not a kind', as: 'clinician', query: () => 'kind=reminder', field: 'kind' },
  { route: 'GET /api/follow-ups', why: 'clinicianId is not a UUID', as: 'clinician', query: () => 'clinicianId=me', field: 'clinicianId' },
  { route: 'GET /api/follow-ups', why: 'an unknown parameter', as: 'clinician', query: (w) => `patientId=${w.pat}`, field: 'patientId' },
  { route: 'GET /api/follow-ups', why: 'limit is 500', as: 'clinician', query: () => 'limit=500', field: 'limit' },

  { route: 'GET /api/patients', why: 'query is too long', as: 'frontDesk', query: () => `query=${'a'.repeat(201)}`, field: 'query' },
  { route: 'GET /api/patients', why: 'query is given twice (a list)', as: 'frontDesk', query: () => 'query=Pat&query=Quinn', field: 'query' },
  { route: 'GET /api/patients', why: 'an unknown parameter', as: 'frontDesk', query: () => 'name=Pat', field: 'name' },

  { route: 'GET /api/patients', why: 'dateOfBirth is the 13th month', as: 'frontDesk', query: () => 'dateOfBirth=1990-13-01', field: 'dateOfBirth' },
  { route: 'GET /api/patients/duplicates', why: 'phone is not E.164', as: 'frontDesk', query: () => 'phone=5551234', field: 'phone' },
  { route: 'GET /api/day-sheet', why: 'date is missing', as: 'frontDesk', query: () => '', field: 'date' },
  { route: 'GET /api/day-sheet', why: 'date is "today"', as: 'frontDesk', query: () => 'date=today', field: 'date' },
  { route: 'GET /api/waitlist', why: 'status is not a status', as: 'frontDesk', query: () => 'status=pending', field: 'status' },
  { route: 'GET /api/availability', why: 'limit is 0', as: 'frontDesk', query: (w) => availability(w, { limit: '0' }), field: 'limit' },

  { route: 'GET /api/messages', why: 'patientId is not a UUID', as: 'clinician', query: () => 'patientId=pat', field: 'patientId' },
  { route: 'GET /api/care-plans', why: 'patientId is not a UUID', as: 'clinician', query: () => 'patientId=0', field: 'patientId' },
  { route: 'GET /api/outcomes/summary', why: 'from is a bare date', as: 'clinician', query: () => 'from=2026-03-01', field: 'from' },
  { route: 'GET /api/outcomes/summary', why: 'an unknown parameter', as: 'clinician', query: () => 'site=knee', field: 'site' },
];

// ---------------------------------------------------------------------------------------------
// Routes for clinicians (and admins) only, each with a request that they would be allowed
// ---------------------------------------------------------------------------------------------

interface Guarded {
  route: string;
  body?: (w: World) => unknown;
  /** Who may: asked the same GET, they get 200. */
  allowed: Who;
}

const CLINICAL_ONLY: Guarded[] = [
  { route: 'POST /api/appointments/{started}/complete', body: () => ({ site: 'right hip' }), allowed: 'clinician' },
  { route: 'GET /api/follow-ups', allowed: 'clinician' },
  { route: 'POST /api/follow-ups/{item}/complete', body: () => ({ note: 'called her' }), allowed: 'clinician' },
  { route: 'POST /api/follow-ups/{item}/decision', body: () => ({ repeatInjection: false }), allowed: 'clinician' },
  { route: 'GET /api/follow-ups/{item}', allowed: 'clinician' },
  { route: 'GET /api/escalation-rules', allowed: 'clinician' },
  { route: 'GET /api/care-plans?patientId={pat}', allowed: 'clinician' },
  { route: 'GET /api/care-plans/{plan}', allowed: 'clinician' },
  { route: 'GET /api/messages?patientId={pat}', allowed: 'clinician' },
  { route: 'GET /api/patients/{pat}/timeline', allowed: 'clinician' },
  { route: 'GET /api/patients/{pat}/outcomes', allowed: 'clinician' },
  { route: 'GET /api/outcomes/summary', allowed: 'clinician' },
  { route: 'GET /api/fhir/Patient/{pat}/$everything', allowed: 'clinician' },
  { route: 'GET /api/dev/clock', allowed: 'admin' },
  { route: 'PATCH /api/clinic', body: () => ({ gridMinutes: 15 }), allowed: 'admin' },
  { route: 'POST /api/resources', body: () => ({ kind: 'equipment', category: 'centrifuge', name: 'Centrifuge 2' }), allowed: 'admin' },
  { route: 'POST /api/time-off', body: (w) => ({ clinicianId: DR_OKAFOR.id, startsAt: w.freeSlot, endsAt: local(w.freeSlot, 0, 23) }), allowed: 'admin' },
  { route: 'POST /api/clinic/closures', body: () => ({ date: '2030-01-07', reason: 'Holiday' }), allowed: 'admin' },
  { route: 'POST /api/dev/clock/advance', body: () => ({ by: 'P1D' }), allowed: 'admin' },
];

const ADMIN_ONLY: Guarded[] = CLINICAL_ONLY.filter((r) => r.allowed === 'admin');

/** Without a token: every kind of route, with bodies that would be accepted. */
const SIGNED_IN_ONLY: Guarded[] = [
  { route: 'GET /api/patients', allowed: 'frontDesk' },
  { route: 'GET /api/patients/{pat}', allowed: 'frontDesk' },
  { route: 'POST /api/patients', body: () => goodPatient, allowed: 'frontDesk' },
  { route: 'GET /api/clinicians', allowed: 'frontDesk' },
  { route: 'POST /api/appointments', body: goodBooking, allowed: 'frontDesk' },
  { route: 'POST /api/appointments/{future}/cancel', body: () => ({}), allowed: 'frontDesk' },
  ...CLINICAL_ONLY,
];

describe('bad input changes nothing', () => {
  const system = new TestSystem();
  const as = {} as Record<Who, Api>;
  const w = {} as World;

  const call = (who: Who, route: string, body?: unknown, headers?: Record<string, string>) => {
    const [method, path] = route.split(' ') as [string, string];
    return as[who].request<any>(method, fill(path, w), body, headers);
  };
  const messagesOf = async (patientId: string) => (await as.clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body;
  const listOf = (body: any): any[] => (Array.isArray(body) ? body : body.items);

  /** Everything a client can see that a bad request could change. */
  const snapshot = async () => {
    const [patients, appointments, open, done, plans, patMessages, quinnMessages, clock] = await Promise.all([
      as.frontDesk.get('/api/patients'),
      as.frontDesk.get('/api/appointments'),
      as.clinician.get<any[]>('/api/follow-ups?state=open'),
      as.clinician.get<any[]>('/api/follow-ups?state=done'),
      as.clinician.get<any[]>(`/api/care-plans?patientId=${w.pat}`),
      messagesOf(w.pat),
      messagesOf(w.quinn),
      as.admin.get('/api/dev/clock'),
    ]);
    return {
      patients: listOf(patients.body).map((p) => `${p.id} ${p.phone} optedOut=${p.smsOptedOut}`).sort(),
      appointments: listOf(appointments.body).map((a) => `${a.id} ${a.patientId} ${a.clinicianId} ${a.startsAt} ${a.status}`).sort(),
      followUps: [...open.body, ...done.body].map((i) => `${i.id} ${i.kind} ${i.state === 'done' ? 'done' : 'open'}`).sort(),
      carePlans: plans.body.map((p) => `${p.id} ${p.status} ${p.steps.map((s: any) => s.status).join(',')}`),
      messages: [...patMessages, ...quinnMessages].map((m) => `${m.id} ${m.direction} ${m.kind} ${m.channel} ${m.status} ${m.error}`).sort(),
      smsToPhones: system.twilio.messages.length,
      mails: system.smtp.mails.length,
      clockOffsetMs: clock.body.offsetMs,
    };
  };
  /** The snapshot once nothing moves any more (confirmations and check-ins sent). */
  const settled = async () => {
    let last = JSON.stringify(await snapshot());
    return waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const now = await snapshot();
        const same = JSON.stringify(now) === last;
        last = JSON.stringify(now);
        return same && now;
      },
      { timeoutMs: 15_000, what: 'the system to settle' },
    );
  };

  const slotsOn = async (clinicianId: string, procedureType: string, from: Date, to: Date) => {
    const response = await as.frontDesk.get<{ slots: { startsAt: string }[] }>(
      `/api/availability?clinicianId=${clinicianId}&procedureType=${procedureType}&from=${q(from.toISOString())}&to=${q(to.toISOString())}`,
    );
    if (response.status !== 200 || response.body.slots.length === 0) throw new Error(`no slot: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.slots.map((s) => s.startsAt);
  };
  const book = async (patientId: string, clinicianId: string, procedureType: string, startsAt: string): Promise<Appointment> => {
    const response = await as.frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType, startsAt });
    if (response.status !== 201) throw new Error(`book: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const advanceTo = async (at: Date) => {
    const now = await as.admin.now();
    if (at > now) await as.admin.advance(isoDuration(at.getTime() - now.getTime()));
  };

  beforeAll(async () => {
    await system.start();
    [as.frontDesk, as.clinician, as.admin] = await loginDemoUsers(system.baseUrl);
    as.nobody = new Api(system.baseUrl);
    await advanceTo(nextMondayMorning(await as.admin.now(), ZONE));
    const monday = new Date((await as.admin.now()).getTime() + 30 * 60_000);
    const nextMonday = DateTime.fromJSDate(monday, { zone: ZONE }).plus({ days: 7 }).toJSDate();
    const endOf = (day: Date) => DateTime.fromJSDate(day, { zone: ZONE }).endOf('day').toJSDate();

    w.pat = await registerPatient(as.frontDesk, PAT_PHONE, { firstName: 'Pat', lastName: 'Lowe' });
    w.quinn = await registerPatient(as.frontDesk, QUINN_PHONE, { firstName: 'Quinn', lastName: 'Ames' });
    // This morning: Pat's procedure with Dr. Chen (the clinician's user), Quinn's visit with Dr. Benedetti.
    w.done = await book(w.pat, DR_CHEN.id, 'bmac_injection', (await slotsOn(DR_CHEN.id, 'bmac_injection', monday, endOf(monday)))[0]!);
    w.started = await book(w.quinn, DR_BENEDETTI.id, 'consultation', (await slotsOn(DR_BENEDETTI.id, 'consultation', monday, endOf(monday)))[0]!);
    // Next Monday: Pat with Dr. Chen (stays booked), Quinn with Dr. Okafor (cancelled); another Okafor slot stays free.
    w.future = await book(w.pat, DR_CHEN.id, 'bmac_injection', (await slotsOn(DR_CHEN.id, 'bmac_injection', nextMonday, endOf(nextMonday)))[0]!);
    const okafor = await slotsOn(DR_OKAFOR.id, 'bmac_injection', nextMonday, endOf(nextMonday));
    w.cancelled = await book(w.quinn, DR_OKAFOR.id, 'bmac_injection', okafor[0]!);
    expect((await as.frontDesk.post(`/api/appointments/${w.cancelled.id}/cancel`, { reason: 'patient asked' })).status).toBe(200);
    w.freeSlot = okafor.find((s) => new Date(s) >= new Date(new Date(w.cancelled.endsAt).getTime() + 30 * 60_000))!;

    // Pat's procedure is done; the day-1 check-in goes out and a pain score of 9 puts an attention item on the list.
    await advanceTo(new Date(Math.max(new Date(w.done.endsAt).getTime(), new Date(w.started.startsAt).getTime()) + 5 * 60_000));
    const completed = await as.clinician.post(`/api/appointments/${w.done.id}/complete`, { site: 'left knee' });
    expect(completed.status).toBe(200);
    const [plan] = await carePlansOf(as.clinician, w.pat);
    w.plan = plan.id;
    const checkin = plan.steps.find((s: { key: string }) => s.key === 'checkin-day-1');
    await advanceTo(new Date(new Date(checkin.dueAt).getTime() + 60_000));
    await waitFor(async () => (await messagesOf(w.pat)).some((m) => m.kind === 'checkin' && m.status === 'sent') || undefined, {
      timeoutMs: 15_000,
      what: 'the day-1 check-in',
    });
    const answer = await system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from: PAT_PHONE, to: TWILIO_FROM, body: '9' });
    expect(answer.status).toBe(200);
    const [item] = await waitFor(
      async () => {
        const items = (await as.clinician.get<any[]>('/api/follow-ups?kind=attention')).body;
        return items.length ? items : undefined;
      },
      { timeoutMs: 15_000, what: 'the attention item' },
    );
    w.item = item.id;
    await settled();
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  describe('wrong bodies and query strings get a 400 that names the field', () => {
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await settled();
      // The world the cases rely on: nothing below is refused for want of a target.
      expect(before.appointments.filter((a) => a.endsWith(' booked'))).toHaveLength(2);
      expect(before.followUps.filter((i) => i.endsWith(' open'))).toHaveLength(1);
    }, 30_000);

    it.each(BAD_BODIES)('$route: $why → 400 naming $field', async ({ route, as: who, body, field, headers }) => {
      const response = await call(who, route, body(w), headers);
      expectBadField(response, field);
      expect(response.body).not.toHaveProperty('accessToken');
    });

    it.each(BAD_QUERIES)('$route: $why → 400 naming $field', async ({ route, as: who, query, field }) => {
      expectBadField(await call(who, `${route}?${query(w)}`), field);
    });

    it('changed nothing: patients, appointments, due list, care plan, messages, SMS, clock', async () => {
      expect(await snapshot()).toEqual(before);
      // And the targets are as they were: still booked, still open, the clock where it was.
      const started = (await as.frontDesk.get(`/api/appointments/${w.started.id}`)).body;
      expect(started).toMatchObject({ status: 'booked', startsAt: w.started.startsAt });
      const future = (await as.frontDesk.get(`/api/appointments/${w.future.id}`)).body;
      expect(future).toMatchObject({ status: 'booked', startsAt: w.future.startsAt });
      expect(listOf((await as.frontDesk.get('/api/patients?query=Robin')).body)).toEqual([]);
    });
  });

  describe('domain rules answer with their status and a code', () => {
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await settled();
    }, 30_000);

    type DomainCase = [what: string, status: number, code: string, field: string | undefined, request: (w: World) => [Who, string, unknown]];
    it.each<DomainCase>([
      ['booking in the past', 400, 'APPOINTMENT.IN_PAST', 'startsAt', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), startsAt: w.done.startsAt }]],
      ['booking on a Saturday', 422, 'APPOINTMENT.NOT_OFFERED', 'startsAt', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), startsAt: local(w.freeSlot, 5, 10) }]],
      ['booking at 03:00 on a weekday', 422, 'APPOINTMENT.NOT_OFFERED', 'startsAt', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), startsAt: local(w.freeSlot, 1, 3) }]],
      ['booking a taken slot', 409, 'APPOINTMENT.SLOT_TAKEN', 'startsAt', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), clinicianId: DR_CHEN.id, startsAt: w.future.startsAt }]],
      ['booking an unknown procedure type', 400, 'PROCEDURE_TYPE.UNKNOWN', 'procedureType', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), procedureType: 'hip_replacement' }]],
      ['booking an unknown clinician', 404, 'CLINICIAN.NOT_FOUND', 'clinicianId', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), clinicianId: '00000000-0000-4000-8000-000000000999' }]],
      ['rescheduling into the past', 400, 'APPOINTMENT.IN_PAST', 'startsAt', (w) => ['frontDesk', `POST /api/appointments/${w.future.id}/reschedule`, { startsAt: w.done.startsAt }]],
      ['rescheduling a cancelled appointment', 409, 'APPOINTMENT.NOT_ACTIVE', undefined, (w) => ['frontDesk', `POST /api/appointments/${w.cancelled.id}/reschedule`, { startsAt: w.freeSlot }]],
      ['completing a cancelled appointment', 409, 'APPOINTMENT.NOT_ACTIVE', undefined, (w) => ['clinician', `POST /api/appointments/${w.cancelled.id}/complete`, { site: 'left knee' }]],
      ['a decision on an attention item', 409, 'FOLLOW_UP.NOT_AN_EVALUATION', undefined, (w) => ['clinician', `POST /api/follow-ups/${w.item}/decision`, { repeatInjection: true }]],
      ['an injection while the procedure room is taken', 409, 'APPOINTMENT.RESOURCE_TAKEN', 'startsAt', (w) => ['frontDesk', 'POST /api/appointments', { ...goodBooking(w), clinicianId: DR_BENEDETTI.id, startsAt: w.future.startsAt }]],
      ['a waitlist entry whose dates run backwards', 400, 'WAITLIST.BAD_DATES', 'latestDate', (w) => ['frontDesk', 'POST /api/waitlist', { patientId: w.quinn, procedureType: 'consultation', earliestDate: '2030-01-08', latestDate: '2030-01-07' }]],
      ['a procedure type needing a machine the clinic lacks', 400, 'PROCEDURE_TYPE.NO_RESOURCE', 'requires[0].category', () => ['admin', 'POST /api/procedure-types', { code: 'mri', name: 'MRI', durationMinutes: 45, requires: [{ category: 'mri_scanner' }] }]],
      ['clinician hours ending before they start', 400, 'HOURS.INVALID', 'weeklyHours', () => ['admin', `PATCH /api/clinicians/${DR_OKAFOR.id}`, { weeklyHours: { '2': [{ start: '17:00', end: '09:00' }] } }]],
      ['a holiday through a day before it', 400, 'RANGE.INVALID', 'throughDate', () => ['admin', 'POST /api/clinic/closures', { date: '2030-01-08', throughDate: '2030-01-07', reason: 'Holiday' }]],
      ['checking in next week’s appointment', 409, 'APPOINTMENT.NOT_TODAY', undefined, (w) => ['frontDesk', `POST /api/appointments/${w.future.id}/check-in`, undefined]],
      ['cancelling an appointment that does not exist', 404, 'APPOINTMENT.NOT_FOUND', undefined, () => ['frontDesk', 'POST /api/appointments/00000000-0000-4000-8000-00000000dead/cancel', {}]],
    ])('%s → %i %s', async (_what, status, code, field, request) => {
      const [who, route, body] = request(w);
      const response = await call(who, route, body);
      expect(response).toMatchObject({ status, body: { statusCode: status, code, message: expect.any(String) } });
      if (field) expect(response.body.field).toBe(field);
    });

    it('changed nothing', async () => {
      expect(await snapshot()).toEqual(before);
      expect((await as.frontDesk.get(`/api/appointments/${w.cancelled.id}`)).body.status).toBe('cancelled');
    });
  });

  describe('who may do what', () => {
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await settled();
    }, 30_000);

    it.each(CLINICAL_ONLY)('front desk: $route → 403', async ({ route, body }) => {
      const response = await call('frontDesk', route, body?.(w));
      expect(response).toMatchObject({ status: 403, body: { statusCode: 403, error: 'Forbidden', message: expect.stringContaining('front_desk') } });
    });

    it.each(ADMIN_ONLY)('clinician: $route → 403', async ({ route, body }) => {
      const response = await call('clinician', route, body?.(w));
      expect(response).toMatchObject({ status: 403, body: { statusCode: 403, error: 'Forbidden' } });
    });

    it.each(SIGNED_IN_ONLY)('no token: $route → 401', async ({ route, body }) => {
      const response = await call('nobody', route, body?.(w));
      expect(response).toMatchObject({ status: 401, body: { statusCode: 401, message: expect.any(String) } });
    });

    it('no token and a bad body → 401, not 400 (who asks is checked before what is asked)', async () => {
      expect((await as.nobody.post('/api/patients', { phone: '555-1234' })).status).toBe(401);
    });

    it.each<[string, string]>([
      ['a token that is not a JWT', 'Bearer not-a-token'],
      ['an admin token signed with another secret', `Bearer ${forgedJwt()}`],
      ['a token without "Bearer"', 'Basic YWRtaW46YWZ0ZXJjYXJl'],
    ])('%s → 401', async (_what, authorization) => {
      const response = await as.nobody.post('/api/dev/clock/advance', { by: 'P1D' }, { authorization });
      expect(response).toMatchObject({ status: 401, body: { statusCode: 401 } });
    });

    it('those allowed get the same GETs (the 403s are about the role, not the request)', async () => {
      for (const { route, allowed } of CLINICAL_ONLY.filter((r) => r.route.startsWith('GET '))) {
        expect([route, (await call(allowed, route)).status]).toEqual([route, 200]);
      }
    });

    it('changed nothing', async () => {
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('webhooks that Twilio did not sign get 400 (no signature) or 403 (a wrong one)', () => {
    const smsUrl = () => `${system.baseUrl}/webhooks/twilio/sms`;
    const FORGED: [what: string, options: WebhookCallOptions, messageSid: string, status: number][] = [
      ['unsigned', { sign: false }, 'SM00000000000000000000000000forged1', 400],
      ['signed with a wrong auth token', { sign: { authToken: 'wrong' } }, 'SM00000000000000000000000000forged2', 403],
      ['signed for another URL', { sign: { url: 'https://attacker.example/webhooks/twilio/sms' } }, 'SM00000000000000000000000000forged3', 403],
    ];
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await settled();
    }, 30_000);

    it.each(FORGED)('POST /webhooks/twilio/sms %s, saying STOP → refused', async (_what, options, messageSid, status) => {
      const response = await system.twilio.sendInboundSms(smsUrl(), { from: PAT_PHONE, to: TWILIO_FROM, body: 'STOP', messageSid }, options);
      expect(response.status).toBe(status);
      expect(response.body).not.toContain('<Response>');
    });

    it.each(FORGED)('POST /webhooks/twilio/status %s, saying failed → refused', async (_what, options, _sid, status) => {
      const sms = system.twilio.messages.filter((m) => m.to === PAT_PHONE).at(-1)!;
      const response = await system.twilio.sendStatusCallback(sms.sid, 'failed', 30008, options);
      expect(response.status).toBe(status);
    });

    it('changed nothing: no inbound message, Pat not opted out, no delivery status changed', async () => {
      expect(await snapshot()).toEqual(before);
      const messages = await messagesOf(w.pat);
      expect(messages.filter((m) => m.direction === 'inbound').map((m) => m.body)).toEqual(['9']);
      expect(messages.filter((m) => m.status === 'failed' || m.error)).toEqual([]);
      expect((await as.frontDesk.get(`/api/patients/${w.pat}`)).body.smsOptedOut).toBe(false);
    });

    it('the same calls signed by Twilio do get through (so the 403s were about the signature)', async () => {
      // A forged text left no trace: its MessageSid is still new to the system.
      const help = await system.twilio.sendInboundSms(smsUrl(), { from: PAT_PHONE, to: TWILIO_FROM, body: 'HELP', messageSid: FORGED[0]![2] });
      expect(help.status).toBe(200);
      expect(help.body).toContain('<Message>');
      expect((await messagesOf(w.pat)).filter((m) => m.direction === 'inbound').map((m) => m.body).sort()).toEqual(['9', 'HELP']);

      const sms = system.twilio.messages.filter((m) => m.to === PAT_PHONE).at(-1)!;
      expect((await system.twilio.sendStatusCallback(sms.sid, 'delivered')).status).toBe(204);
      await waitFor(async () => (await messagesOf(w.pat)).some((m) => m.status === 'delivered') || undefined, { what: 'a delivered message' });
    });
  });
});

/** An HS256 JWT claiming to be the demo admin, signed with a secret the gateway does not have. */
function forgedJwt(): string {
  const admin = DEMO.users.find((u) => u.role === 'admin')!;
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: admin.id, role: 'admin', clinicId: DEMO.clinicId, clinicianId: null, iat: now, exp: now + 3600 })}`;
  return `${unsigned}.${createHmac('sha256', 'not-the-gateway-secret-but-long-enough-to-look-real').update(unsigned).digest('base64url')}`;
}
