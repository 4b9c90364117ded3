import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './api.js';
import type { TestSystem } from './test-system.js';

/** Shared steps of the no-loss tests: a patient with a booked and finished procedure. */
export async function registerPatient(api: Api, phone: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await api.post('/api/patients', {
    firstName: 'Test',
    lastName: `Patient ${phone.slice(-4)}`,
    phone,
    timezone: 'America/New_York',
    preferredChannel: 'sms',
    smsConsent: true,
    ...overrides,
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function bookAndFinish(
  frontDesk: Api,
  admin: Api,
  patientId: string,
  clinicianId: string = DEMO.clinicians[1].id,
): Promise<{ id: string; startsAt: string; endsAt: string }> {
  const now = await admin.now();
  const from = encodeURIComponent(DateTime.fromJSDate(now).plus({ days: 2 }).toISO()!);
  const to = encodeURIComponent(DateTime.fromJSDate(now).plus({ days: 9 }).toISO()!);
  const slots = await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=bmac_injection&from=${from}&to=${to}`);
  const slot = slots.body.slots[0];
  const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'bmac_injection', startsAt: slot.startsAt });
  if (booked.status !== 201) throw new Error(`book: ${booked.status} ${JSON.stringify(booked.body)}`);
  const end = new Date(new Date(booked.body.endsAt).getTime() + 5 * 60_000);
  await admin.advance(isoDuration(end.getTime() - (await admin.now()).getTime()));
  return booked.body;
}

export async function carePlansOf(clinician: Api, patientId: string, atLeast = 1, timeoutMs = 30_000): Promise<any[]> {
  return waitFor(
    async () => {
      const response = await clinician.get<any[]>(`/api/care-plans?patientId=${patientId}`);
      return response.status === 200 && response.body.length >= atLeast ? response.body : undefined;
    },
    { timeoutMs, what: `care plan of patient ${patientId}` },
  );
}

/** A fixed starting point for a suite: the next Monday, 09:00 in the zone. */
export function nextMondayMorning(now: Date, zone: string): Date {
  const local = DateTime.fromJSDate(now, { zone });
  return local.plus({ days: ((8 - local.weekday) % 7) || 7 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 }).toJSDate();
}

/** Moves the shared virtual clock on to `at`, never back: an instant already past is left as it is. */
export async function advanceClockTo(admin: Api, at: Date): Promise<void> {
  const now = await admin.now();
  if (at > now) await admin.advance(isoDuration(at.getTime() - now.getTime()));
}

/** A suite's start: the system up, the three demo users logged in, the clock on the next Monday 09:00 in `zone`. */
export async function startOnMondayMorning(system: TestSystem, zone: string): Promise<[frontDesk: Api, clinician: Api, admin: Api]> {
  await system.start();
  const users = await loginDemoUsers(system.baseUrl);
  const admin = users[2];
  await advanceClockTo(admin, nextMondayMorning(await admin.now(), zone));
  return users;
}
