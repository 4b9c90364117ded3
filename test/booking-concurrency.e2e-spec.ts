import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import pg from 'pg';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { Api } from './support/api.js';
import { registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * Bookings under concurrency (the dispatch bench saw 6 of 10,000 answered 500): two booking
 * transactions that insert conflicting rows at the same moment (the same room, or the same
 * patient with two clinicians) can deadlock inside PostgreSQL's exclusion-constraint check, and
 * one of them is aborted with 40P01. Scheduling must retry that booking, not answer 500: every
 * booking is answered 201 or a 409 that names the field. Bookings and moves of one time take
 * turns, so that they do not tangle in the first place.
 */

const NY = DEMO.clinicTimezone;
const [CHEN, OKAFOR, BENEDETTI] = DEMO.clinicians;
const CONSULTATION_ROOMS = DEMO.resources.filter((r) => r.category === 'consultation_room').map((r) => r.id);

describe('booking under concurrency', () => {
  const system = new TestSystem();
  let frontDesk: Api;
  let admin: Api;
  let db: pg.Pool;
  let monday: DateTime;
  let phoneSeq = 0;
  const nextPhone = () => `+1646555${String(1000 + phoneSeq++).padStart(4, '0')}`;
  const book = (patientId: string, clinicianId: string, startsAt: string) =>
    frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'consultation', startsAt });

  beforeAll(async () => {
    [frontDesk, , admin] = await startOnMondayMorning(system, NY);
    monday = DateTime.fromJSDate(await admin.now(), { zone: NY }).startOf('day');
    db = new pg.Pool({ connectionString: system.database.url, max: 4 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await system.stop();
  }, 60_000);

  it('retries a booking that PostgreSQL aborted as a deadlock victim, and books it', async () => {
    const patient = await registerPatient(frontDesk, nextPhone());
    const other = await registerPatient(frontDesk, nextPhone());
    // Tuesday 10:00, a consultation the clinic offers with every clinician.
    const startsAt = monday.plus({ days: 8 }).set({ hour: 10 });
    const range = [startsAt.toUTC().toISO()!, startsAt.plus({ minutes: 30 }).toUTC().toISO()!];
    const rival = await db.connect();
    try {
      // A rival booking, not yet committed, holds every consultation room at that time.
      await rival.query('BEGIN');
      // The booking waits first, so its deadlock check runs first and it is the victim; a longer
      // timeout on the rival's side makes sure of it (a superuser setting).
      const { rows: su } = await rival.query<{ on: string }>(`SELECT current_setting('is_superuser') AS on`);
      if (su[0]?.on === 'on') await rival.query(`SET LOCAL deadlock_timeout = '20s'`);
      const rivalId = randomUUID();
      await insertAppointment(rival, { id: rivalId, patientId: other, clinicianId: OKAFOR.id, range });
      for (const room of CONSULTATION_ROOMS) {
        await rival.query(
          `INSERT INTO scheduling.appointment_resources (appointment_id, resource_id, clinic_id, during, active) VALUES ($1, $2, $3, tstzrange($4, $5), true)`,
          [rivalId, room, DEMO.clinicId, ...range],
        );
      }

      // The booking passes its checks (the rival is invisible), inserts its appointment and waits for the rival's room.
      const rivalPid = (await rival.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const answer = book(patient, CHEN.id, startsAt.toISO()!);
      await waitFor(
        async () => {
          const { rows } = await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND $1::int = ANY (pg_blocking_pids(pid))`, [rivalPid]);
          return rows.length > 0;
        },
        { timeoutMs: 10_000, what: 'the booking to wait for the rival room hold' },
      );
      // The rival now books the same patient with another clinician: it waits for the booking,
      // which waits for it. PostgreSQL aborts the booking's transaction (40P01) after 1 s.
      await insertAppointment(rival, { id: randomUUID(), patientId: patient, clinicianId: BENEDETTI.id, range });
      // Then the rival gives up; the retried booking goes through.
      await rival.query('ROLLBACK');

      const response = await answer;
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 201, code: undefined });
      expect(response.body.resourceIds).toHaveLength(1);
      expect(CONSULTATION_ROOMS).toContain(response.body.resourceIds[0]);
    } finally {
      await rival.query('ROLLBACK').catch(() => undefined);
      rival.release();
    }

    // Logged at warn with the ids and the PostgreSQL code only, never a name or a phone number.
    const retried = system.logs.filter((line) => line.startsWith('[scheduling]') && line.includes('40P01'));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.join('\n')).toContain(patient);
    expect(retried.join('\n')).not.toMatch(/Test|Patient|\+1646/);
  }, 60_000);

  it('answers a burst of contended bookings 201 or 409 naming the field, never 500', async () => {
    // Eight clinicians and four consultation rooms; at each time three patients are booked with two
    // clinicians at once. Per time only four bookings can win: the rest must hear why, in words.
    const hours = Object.fromEntries(['1', '2', '3', '4', '5'].map((d) => [d, [{ start: '09:00', end: '17:00' }]]));
    const clinicians: string[] = DEMO.clinicians.map((c) => c.id);
    for (let i = 0; i < 5; i++) clinicians.push((await admin.post('/api/clinicians', { name: `Dr. Burst ${i + 1}`, weeklyHours: hours })).body.id);
    for (let i = 0; i < 2; i++) expect((await admin.post('/api/resources', { kind: 'room', category: 'consultation_room', name: `Burst room ${i + 1}` })).status).toBe(201);
    const patients: string[] = [];
    for (let i = 0; i < 12; i++) patients.push(await registerPatient(frontDesk, nextPhone()));
    // Half-hour starts on weekdays two weeks ahead, while everyone works: nothing else is booked there.
    const times: string[] = [];
    for (let day = 14; times.length < 40; day++) {
      const date = monday.plus({ days: day });
      if (date.weekday > 5) continue;
      for (let slot = 0; slot < 16 && times.length < 40; slot++) times.push(date.set({ hour: 9 }).plus({ minutes: 30 * slot }).toUTC().toISO()!);
    }
    // Clinicians i and i + 5 see the same patient: five patients, eight bookings, four rooms per time.
    const requests = times.flatMap((startsAt, t) => clinicians.map((clinicianId, i) => ({ patientId: patients[(t + (i % 5)) % patients.length]!, clinicianId, startsAt })));

    const answers: { status: number; code?: string; field?: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < requests.length) {
          const r = requests[next++]!;
          const response = await book(r.patientId, r.clinicianId, r.startsAt);
          answers.push({ status: response.status, code: response.body?.code, field: response.body?.field });
        }
      }),
    );

    const outcomes: Record<string, number> = {};
    for (const { status, code } of answers) outcomes[`${status} ${code ?? ''}`.trim()] = (outcomes[`${status} ${code ?? ''}`.trim()] ?? 0) + 1;
    expect(answers).toHaveLength(requests.length);
    expect(answers.filter((a) => a.status !== 201 && !(a.status === 409 && a.field === 'startsAt'))).toEqual([]);
    expect(outcomes).toMatchObject({ '201': 4 * times.length });
  }, 90_000);

  it('moves many appointments of one clinician onto one time at once: one 200, the rest 409 naming startsAt and left where they were', async () => {
    // Twelve of Dr. Chen's consultations on a weekday four weeks ahead, each a different patient.
    const first = monday.plus({ days: 22 }); // a Tuesday
    const slot = (i: number) => first.plus({ days: Math.floor(i / 12) }).set({ hour: 9 }).plus({ minutes: 30 * (i % 12) }).toISO()!;
    const booked: string[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await book(await registerPatient(frontDesk, nextPhone()), CHEN.id, slot(i));
      expect(response.status).toBe(201);
      booked.push(response.body.id);
    }
    const target = first.set({ hour: 16 }).toISO()!;
    const logsBefore = system.logs.length;

    const answers = await Promise.all(booked.map((id) => frontDesk.post(`/api/appointments/${id}/reschedule`, { startsAt: target })));

    const statuses = answers.map((a) => (a.status === 409 ? `409 ${a.body.field}` : String(a.status))).sort();
    expect(statuses).toEqual(['200', ...Array.from({ length: booked.length - 1 }, () => '409 startsAt')]);
    // The winner holds the time; every other appointment is where it was.
    const { rows } = await db.query<{ id: string; starts_at: Date }>(`SELECT id, starts_at FROM scheduling.appointments WHERE id = ANY ($1::uuid[])`, [booked]);
    const winner = booked[answers.findIndex((a) => a.status === 200)]!;
    expect(rows).toHaveLength(booked.length);
    for (const row of rows) {
      const expected = row.id === winner ? target : slot(booked.indexOf(row.id));
      expect({ id: row.id, startsAt: row.starts_at.toISOString() }).toEqual({ id: row.id, startsAt: new Date(expected).toISOString() });
    }
    // None was aborted as a deadlock victim and retried (each such costs a second). The moves take
    // the time's turn as bookings do; without it, this test saw no deadlock either (36 moves, twice):
    // it checks the outcome, not the turn.
    expect(system.logs.slice(logsBefore).filter((line) => line.includes('40P01'))).toEqual([]);
  }, 120_000);
});

async function insertAppointment(client: pg.PoolClient, a: { id: string; patientId: string; clinicianId: string; range: string[] }) {
  await client.query(
    `INSERT INTO scheduling.appointments (id, clinic_id, patient_id, clinician_id, procedure_type, starts_at, ends_at, blocks_until, status)
     VALUES ($1, $2, $3, $4, 'consultation', $5, $6, $6, 'booked')`,
    [a.id, DEMO.clinicId, a.patientId, a.clinicianId, ...a.range],
  );
}
