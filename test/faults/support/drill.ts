import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { Api, isoDuration, loginDemoUsers } from '../../support/api.js';
import { advanceClockTo, registerPatient, startOnMondayMorning } from '../../support/journey-steps.js';
import { TestSystem, type TestSystemOptions } from '../../support/test-system.js';

/**
 * The stage every fault scenario plays on: the whole system on a private Redis and PostgreSQL,
 * a protocol whose steps come due within minutes (so a scenario sees steps fire, in real time,
 * before, during and after its fault), and consultations that have already started, waiting
 * for the clinician to complete them during the scenario.
 */
export const DRILL_ZONE = 'America/New_York';
/** Completions with this site take the drill protocol (protocols match their site as a whole word). */
export const DRILL_SITE = 'drill';
/** The drill protocol's latest step, after the completion. */
export const DRILL_SPAN_MS = 3 * 60_000;

const DRILL_PROTOCOL = {
  code: 'fault-drill',
  name: 'Fault drill: aftercare, a check-in and the evaluation within minutes',
  procedureType: 'consultation',
  site: DRILL_SITE,
  steps: [
    { key: 'aftercare', kind: 'aftercare', offset: { minutes: 1 } },
    { key: 'checkin', kind: 'checkin', offset: { minutes: 2 } },
    { key: 'evaluation', kind: 'repeat_evaluation', offset: { minutes: 3 } },
  ],
};

/**
 * Environment of every fault scenario: a reconciler that looks every 2 s (the default minute
 * would make "rebuilds from PostgreSQL" a minute-long wait), and a frequency cap that a patient's
 * reminders of the day before, aftercare and check-in fit under, so what the ledger sees sent or
 * deferred is decided by the fault, not by the cap.
 */
export const DRILL_ENV: Record<string, string> = {
  RECONCILE_INTERVAL_MS: '2000',
  SMS_DAILY_CAP: '6',
  SMS_WEEKLY_CAP: '20',
};

export interface Drill {
  system: TestSystem;
  frontDesk: Api;
  clinician: Api;
  admin: Api;
  /** Started consultations (with their patients' phones), to be completed during the scenario. */
  startedConsultations: { id: string; patientId: string; phone: string }[];
  /** virtual time − Date.now(), as long as nobody advances the clock. */
  clockOffsetMs: number;
  /** Phone numbers handed out so far (each patient has its own). */
  phones: PhoneBook;
}

/** Unique, valid US numbers for the patients of one scenario. */
export class PhoneBook {
  private next = 100;
  take(): string {
    if (this.next > 999) throw new Error('out of phone numbers');
    return `+1212555${String(this.next++).padStart(4, '0')}`;
  }
}

/** The system of a drill: private Redis and PostgreSQL, the drill's settings. */
export function drillSystem(options: TestSystemOptions = {}): TestSystem {
  return new TestSystem(DRILL_ENV, { privatePostgres: true, ...options });
}

/**
 * Starts the system and sets the stage: Monday in New York, `consultations` consultations booked
 * for that day and the clock moved on to 17:30, when they have all started (and the day's
 * reminders gone out). The scenario's window begins after this.
 */
export async function setUpDrill(system: TestSystem, consultations: number): Promise<Drill> {
  const [frontDesk, clinician, admin] = await startOnMondayMorning(system, DRILL_ZONE);
  const created = await admin.post('/api/protocols', DRILL_PROTOCOL);
  if (created.status !== 201) throw new Error(`drill protocol: ${created.status} ${JSON.stringify(created.body)}`);

  const phones = new PhoneBook();
  const monday = DateTime.fromJSDate(await admin.now(), { zone: DRILL_ZONE });
  const evening = monday.set({ hour: 17, minute: 30 });
  const startedConsultations: Drill['startedConsultations'] = [];
  for (const [i, clinicianId] of [...Array(consultations)].map((_, i) => [i, DEMO.clinicians[i % DEMO.clinicians.length].id] as const)) {
    const phone = phones.take();
    const patientId = await registerPatient(frontDesk, phone, { lastName: `Drill ${i}` });
    const from = encodeURIComponent(monday.toISO()!);
    const to = encodeURIComponent(evening.toISO()!);
    const slots: { startsAt: string }[] = (await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=consultation&from=${from}&to=${to}`)).body.slots ?? [];
    // Nothing else books during the set-up: the first slot offered is free. (A 409 here was each
    // replica running the booking, one answering "taken" for the other's booking: OncePerRequestServerRedis.)
    const booked = slots[0]
      ? await frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'consultation', startsAt: slots[0].startsAt })
      : { status: 0, body: 'no consultation slot left on Monday' };
    if (booked.status !== 201) throw new Error(`consultation ${i + 1} of ${consultations}: ${booked.status} ${JSON.stringify(booked.body)}`);
    startedConsultations.push({ id: booked.body.id, patientId, phone });
  }
  await advanceClockTo(admin, evening.toJSDate());
  return { system, frontDesk, clinician, admin, startedConsultations, clockOffsetMs: (await admin.now()).getTime() - Date.now(), phones };
}

/** The virtual clock's now, without asking the API (which may be down). */
export function virtualNow(drill: Drill): Date {
  return new Date(Date.now() + drill.clockOffsetMs);
}

/**
 * After the load: the clock moves on by the drill's span, through the queues as the API's
 * advance does, so every step the load's completions planned comes due inside the window.
 */
export async function advancePastTheDrill(drill: Drill): Promise<void> {
  await drill.admin.advance(isoDuration(DRILL_SPAN_MS + 5_000));
  drill.clockOffsetMs = (await drill.admin.now()).getTime() - Date.now();
}
