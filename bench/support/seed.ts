import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type pg from 'pg';
import { DEMO } from '@aftercare/contracts';
import { Api, inBatches } from './http.js';
import { prng, shuffle } from './stats.js';

export const CLINIC_ZONE = DEMO.clinicTimezone;
const WEEKDAY_HOURS = { start: '08:00', end: '18:00' };
const DAY_START_MINUTES = 8 * 60;
const UNITS_PER_DAY = 20; // 08:00–18:00 in 30-minute units

export interface SeedOptions {
  clinicians: number;
  appointments: number;
  weeks: number;
  /** API-registered patients per clinician, for the booking benchmark */
  bookingPatientsPerClinician: number;
  log: (line: string) => void;
}

export interface SeededClinic {
  /** Monday 00:00 in the clinic's zone: the first day of the searched 4 weeks */
  monday: DateTime;
  clinicianIds: string[];
  /** consultation rooms, in the slot finder's preference order (name, id) */
  roomIds: string[];
  /** per clinician (same order as clinicianIds): patients registered through the API */
  bookingPatients: string[][];
  seededPatients: number;
  seededAppointments: number;
}

const weekdays = () => Object.fromEntries([1, 2, 3, 4, 5].map((d) => [String(d), [WEEKDAY_HOURS]]));
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The clinic of the benchmark. Through the admin API: 20 clinicians with Mon–Fri 08:00–18:00
 * and consultation rooms up to one per clinician. Straight into PostgreSQL's scheduling schema, for speed:
 * patients for the seeded appointments and the 5,000 booked appointments with their room holds
 * (no appointment.booked events exist for those). Through the API again: the patients that the
 * booking benchmark books for (so that the other services know them as in real use).
 * The 20 clinicians are the three demo clinicians (hours widened) and 17 created ones.
 */
export async function seedClinic(admin: Api, frontDesk: Api, db: pg.Pool, options: SeedOptions): Promise<SeededClinic> {
  const { log } = options;
  const clock = await admin.expect<{ now: string }>(200, 'GET', '/api/dev/clock');
  const local = DateTime.fromISO(clock.now, { zone: CLINIC_ZONE });
  const monday = local.plus({ days: (8 - local.weekday) % 7 || 7 }).startOf('day');

  // The demo seed's three clinicians count towards the 20, with their hours widened to
  // Mon–Fri 08:00–18:00 (PATCH); the rest are created. (Kept rather than deactivated, so that the
  // figures compare with earlier runs; the booking bench checks whether deactivating works and
  // says so in RESULTS.md.)
  const created = Math.max(0, options.clinicians - DEMO.clinicians.length);
  log(`seeding ${options.clinicians} clinicians (admin API: ${created} created, the ${DEMO.clinicians.length} demo clinicians' hours set; all Mon–Fri 08:00–18:00)…`);
  const createdIds = await inBatches(Array.from({ length: created }, (_, i) => i), 4, async (i) => {
    const clinician = await admin.expect<{ id: string }>(201, 'POST', '/api/clinicians', {
      name: `Dr. Bench ${pad(i + 1)}`,
      email: `bench.clinician${pad(i + 1)}@aftercare.local`,
      weeklyHours: weekdays(),
    });
    return clinician.id;
  });
  for (const demo of DEMO.clinicians) await admin.expect(200, 'PATCH', `/api/clinicians/${demo.id}`, { weeklyHours: weekdays() });
  const clinicianIds = [...DEMO.clinicians.map((c) => c.id as string), ...createdIds].slice(0, options.clinicians);
  const active = await frontDesk.expect<{ id: string }[]>(200, 'GET', '/api/clinicians');
  if (active.length !== clinicianIds.length || !clinicianIds.every((id) => active.some((c) => c.id === id))) {
    throw new Error(`expected ${clinicianIds.length} active clinicians after seeding, the API lists ${active.length}`);
  }

  const consultationRooms = async () =>
    (await admin.expect<{ id: string; name: string; category: string; active: boolean }[]>(200, 'GET', '/api/resources'))
      .filter((r) => r.category === 'consultation_room' && r.active)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  const existing = (await consultationRooms()).length;
  const missing = Math.max(0, options.clinicians - existing);
  log(`seeding ${missing} consultation rooms (admin API; ${existing} exist, ${options.clinicians} wanted)…`);
  for (let i = 0; i < missing; i++) {
    await admin.expect(201, 'POST', '/api/resources', { kind: 'room', category: 'consultation_room', name: `Bench consultation room ${pad(i + 1)}` });
  }
  const roomIds = (await consultationRooms()).map((r) => r.id);

  // Procedure types as the demo seed made them (consultation and follow-up visit, 30 min, no buffer).
  const types = (
    await db.query<{ code: string; duration_minutes: number; buffer_after_minutes: number }>(
      `SELECT code, duration_minutes, buffer_after_minutes FROM scheduling.procedure_types WHERE clinic_id = $1 AND code IN ('consultation', 'follow_up_visit')`,
      [DEMO.clinicId],
    )
  ).rows;
  if (types.length !== 2 || types.some((t) => t.duration_minutes !== 30 || t.buffer_after_minutes !== 0)) {
    throw new Error(`the bench expects 30-minute consultation and follow_up_visit types without buffer; found ${JSON.stringify(types)}`);
  }

  const patientCount = 1000;
  log(`seeding ${patientCount.toLocaleString('en-US')} patients (SQL, scheduling.patients)…`);
  const patientIds = Array.from({ length: patientCount }, () => randomUUID());
  await db.query(
    `INSERT INTO scheduling.patients (id, clinic_id, first_name, last_name, phone, email, timezone, preferred_channel, sms_consent)
     SELECT id, $2, 'Seeded', 'Patient ' || n, '+1646555' || lpad(n::text, 4, '0'), NULL, $3, 'sms', true
     FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
    [patientIds, DEMO.clinicId, CLINIC_ZONE],
  );

  // Every 30-minute unit of every clinician's working weeks, then a seeded random pick of them.
  const units: { clinician: number; start: DateTime }[] = [];
  for (let day = 0; day < options.weeks * 7; day++) {
    const date = monday.plus({ days: day });
    if (date.weekday > 5) continue;
    for (let clinician = 0; clinician < clinicianIds.length; clinician++) {
      for (let unit = 0; unit < UNITS_PER_DAY; unit++) units.push({ clinician, start: date.set({ hour: 0, minute: 0 }).plus({ minutes: DAY_START_MINUTES + unit * 30 }) });
    }
  }
  if (options.appointments > units.length) throw new Error(`${options.appointments} appointments do not fit in ${units.length} free half hours`);
  const chosen = shuffle(units, prng(20261125)).slice(0, options.appointments).sort((a, b) => a.start.toMillis() - b.start.toMillis() || a.clinician - b.clinician);
  log(`seeding ${options.appointments.toLocaleString('en-US')} appointments over ${options.weeks} weeks (SQL, scheduling.appointments + appointment_resources; ${Math.round((100 * options.appointments) / (units.length || 1))}% of the working half hours)…`);
  const rows = chosen.map((u, i) => {
    const startsAt = u.start.toUTC().toISO()!;
    const endsAt = u.start.plus({ minutes: 30 }).toUTC().toISO()!;
    return {
      id: randomUUID(),
      // Sorted by start, at most one appointment per clinician per start: neighbours differ, so
      // round-robin patients never overlap themselves.
      patient: patientIds[i % patientIds.length]!,
      clinician: clinicianIds[u.clinician]!,
      // one room per clinician: rooms never clash
      room: roomIds[u.clinician % roomIds.length]!,
      type: i % 3 === 0 ? 'follow_up_visit' : 'consultation',
      startsAt,
      endsAt,
    };
  });
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      await client.query(
        `INSERT INTO scheduling.appointments (id, clinic_id, patient_id, clinician_id, procedure_type, starts_at, ends_at, blocks_until, status)
         SELECT id, $1, patient, clinician, type, s, e, e, 'booked'
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::timestamptz[]) AS t(id, patient, clinician, type, s, e)`,
        [DEMO.clinicId, batch.map((r) => r.id), batch.map((r) => r.patient), batch.map((r) => r.clinician), batch.map((r) => r.type), batch.map((r) => r.startsAt), batch.map((r) => r.endsAt)],
      );
      await client.query(
        `INSERT INTO scheduling.appointment_resources (appointment_id, resource_id, clinic_id, during, active)
         SELECT id, room, $1, tstzrange(s, e, '[)'), true
         FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[]) AS t(id, room, s, e)`,
        [DEMO.clinicId, batch.map((r) => r.id), batch.map((r) => r.room), batch.map((r) => r.startsAt), batch.map((r) => r.endsAt)],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await db.query('ANALYZE scheduling.appointments; ANALYZE scheduling.appointment_resources; ANALYZE scheduling.patients');

  const perClinician = options.bookingPatientsPerClinician;
  log(`registering ${clinicianIds.length * perClinician} patients for the booking runs (front-desk API)…`);
  const flat = await inBatches(
    Array.from({ length: clinicianIds.length * perClinician }, (_, i) => i),
    8,
    async (i) =>
      (
        await frontDesk.expect<{ id: string }>(201, 'POST', '/api/patients', {
          firstName: 'Bench',
          lastName: `Booker ${pad(i + 1, 4)}`,
          phone: `+1312555${pad(2000 + i, 4)}`,
          timezone: CLINIC_ZONE,
          preferredChannel: 'sms',
          smsConsent: true,
        })
      ).id,
  );
  const bookingPatients = clinicianIds.map((_, c) => flat.slice(c * perClinician, (c + 1) * perClinician));
  return { monday, clinicianIds, roomIds, bookingPatients, seededPatients: patientCount, seededAppointments: rows.length };
}

export interface BookingRequest {
  patientId: string;
  clinicianId: string;
  procedureType: 'consultation';
  startsAt: string;
}

/**
 * Distinct free slots to book, from the availability API (per clinician, one working week,
 * limit 500), keeping the half-hour starts so that no two of them overlap; each clinician's
 * slots go to that clinician's own patients in turn, so no patient is booked twice at once.
 * Shuffled, so that concurrent requests spread over clinicians and times as real ones would.
 */
export async function bookingRequestsForWeek(frontDesk: Api, clinic: SeededClinic, weekStart: DateTime, seed: number): Promise<BookingRequest[]> {
  const from = encodeURIComponent(weekStart.toUTC().toISO()!);
  const to = encodeURIComponent(weekStart.plus({ days: 5 }).toUTC().toISO()!);
  const perClinician = await inBatches(clinic.clinicianIds, 4, async (clinicianId, c) => {
    const { slots } = await frontDesk.expect<{ slots: { startsAt: string }[] }>(
      200,
      'GET',
      `/api/availability?clinicianId=${clinicianId}&procedureType=consultation&from=${from}&to=${to}&limit=500`,
    );
    const patients = clinic.bookingPatients[c]!;
    return slots
      .filter((s) => DateTime.fromISO(s.startsAt, { zone: CLINIC_ZONE }).minute % 30 === 0)
      .map((s, i) => ({ patientId: patients[i % patients.length]!, clinicianId, procedureType: 'consultation' as const, startsAt: s.startsAt }));
  });
  return shuffle(perClinician.flat(), prng(seed));
}
