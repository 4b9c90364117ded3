import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { createPool, migrate } from '@aftercare/database';
import { createTestDatabase, type TestDatabase } from '@aftercare/testing';
import { SCHEDULING_MIGRATIONS } from '../database/migrations.js';

/**
 * Double booking is impossible in PostgreSQL itself (exclusion constraints), whatever the code
 * above it checks: two transactions that both passed an availability check cannot both commit.
 */
describe('appointments: overlaps refused by the database', () => {
  let db: TestDatabase;
  let pool: Pool;
  const clinic = randomUUID();
  const drA = randomUUID();
  const drB = randomUUID();
  const ana = randomUUID();
  const ben = randomUUID();

  const room = randomUUID();
  const book = (p: { clinician: string; patient: string; start: string; end: string; blocks?: string; status?: string; id?: string }) =>
    pool.query(
      `INSERT INTO scheduling.appointments (id, clinic_id, patient_id, clinician_id, procedure_type, starts_at, ends_at, blocks_until, status)
       VALUES ($1, $2, $3, $4, 'bmac_injection', $5, $6, $7, $8)`,
      [p.id ?? randomUUID(), clinic, p.patient, p.clinician, p.start, p.end, p.blocks ?? p.end, p.status ?? 'booked'],
    );
  /** An appointment (any clinician, own patient) holding the room for [start, end). */
  const bookRoom = async (start: string, end: string, active = true) => {
    const id = randomUUID();
    const patient = randomUUID();
    await pool.query(
      `INSERT INTO scheduling.patients (id, clinic_id, first_name, last_name, phone, timezone, preferred_channel, sms_consent) VALUES ($1, $2, 'R', 'S', '+12125550198', 'America/New_York', 'sms', true)`,
      [patient, clinic],
    );
    const clinician = randomUUID();
    await pool.query(`INSERT INTO scheduling.clinicians (id, clinic_id, name, weekly_hours) VALUES ($1, $2, 'Dr', '{}')`, [clinician, clinic]);
    await book({ id, clinician, patient, start, end });
    return pool.query(`INSERT INTO scheduling.appointment_resources (appointment_id, resource_id, clinic_id, during, active) VALUES ($1, $2, $3, tstzrange($4, $5), $6)`, [
      id,
      room,
      clinic,
      start,
      end,
      active,
    ]);
  };
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return null;
    } catch (error) {
      return { code: (error as { code?: string }).code, constraint: (error as { constraint?: string }).constraint };
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('aftercare_test_sched');
    pool = createPool(db.url, 'overlap-test', 4);
    await migrate(pool, 'scheduling', SCHEDULING_MIGRATIONS);
    await pool.query(`INSERT INTO scheduling.clinics (id, name, timezone, phone, opening_hours) VALUES ($1, 'C', 'America/New_York', '+12125550100', '{}')`, [clinic]);
    for (const id of [drA, drB]) await pool.query(`INSERT INTO scheduling.clinicians (id, clinic_id, name, weekly_hours) VALUES ($1, $2, 'Dr', '{}')`, [id, clinic]);
    await pool.query(`INSERT INTO scheduling.procedure_types (clinic_id, code, name, duration_minutes, buffer_after_minutes) VALUES ($1, 'bmac_injection', 'BMAC', 120, 30)`, [clinic]);
    for (const id of [ana, ben]) {
      await pool.query(
        `INSERT INTO scheduling.patients (id, clinic_id, first_name, last_name, phone, timezone, preferred_channel, sms_consent) VALUES ($1, $2, 'P', 'Q', '+12125550199', 'America/New_York', 'sms', true)`,
        [id, clinic],
      );
    }
    await book({ clinician: drA, patient: ana, start: '2030-01-07T14:00:00Z', end: '2030-01-07T16:00:00Z', blocks: '2030-01-07T16:30:00Z' });
    await pool.query(`INSERT INTO scheduling.resources (id, clinic_id, kind, category, name) VALUES ($1, $2, 'room', 'procedure_room', 'Procedure room')`, [room, clinic]);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('refuses the same clinician at an overlapping time', async () => {
    expect(await refusal(book({ clinician: drA, patient: ben, start: '2030-01-07T15:00:00Z', end: '2030-01-07T17:00:00Z' }))).toEqual({
      code: '23P01',
      constraint: 'appointments_clinician_overlap',
    });
  });

  it('keeps the buffer after a procedure free, and allows the time right after it', async () => {
    expect((await refusal(book({ clinician: drA, patient: ben, start: '2030-01-07T16:15:00Z', end: '2030-01-07T16:45:00Z' })))?.code).toBe('23P01');
    expect(await refusal(book({ clinician: drA, patient: ben, start: '2030-01-07T16:30:00Z', end: '2030-01-07T17:00:00Z' }))).toBeNull();
  });

  it('refuses the same patient with another clinician at the same time', async () => {
    expect(await refusal(book({ clinician: drB, patient: ana, start: '2030-01-07T14:30:00Z', end: '2030-01-07T15:00:00Z' }))).toEqual({
      code: '23P01',
      constraint: 'appointments_patient_overlap',
    });
  });

  it('lets a cancelled appointment free its time', async () => {
    await book({ clinician: drB, patient: ben, start: '2030-01-08T14:00:00Z', end: '2030-01-08T16:00:00Z', status: 'cancelled' });
    expect(await refusal(book({ clinician: drB, patient: ana, start: '2030-01-08T14:00:00Z', end: '2030-01-08T16:00:00Z' }))).toBeNull();
  });

  it('lets only one of two concurrent transactions book the same slot', async () => {
    const results = await Promise.all(
      [ana, ben].map((patient) => refusal(book({ clinician: drB, patient, start: '2030-01-09T14:00:00Z', end: '2030-01-09T16:00:00Z' }))),
    );
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(results.filter((r) => r?.code === '23P01')).toHaveLength(1);
  });

  it('refuses one room held by two appointments of different clinicians at once; a released hold frees it', async () => {
    expect(await refusal(bookRoom('2030-01-10T14:00:00Z', '2030-01-10T16:30:00Z'))).toBeNull();
    expect(await refusal(bookRoom('2030-01-10T16:00:00Z', '2030-01-10T17:00:00Z'))).toEqual({ code: '23P01', constraint: 'appointment_resources_overlap' });
    expect(await refusal(bookRoom('2030-01-10T16:30:00Z', '2030-01-10T17:00:00Z'))).toBeNull(); // half-open: right after is fine
    expect(await refusal(bookRoom('2030-01-10T14:00:00Z', '2030-01-10T15:00:00Z', false))).toBeNull(); // a cancelled one's hold is inactive
  });

  it('lets only one of many concurrent transactions hold the same room', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => refusal(bookRoom('2030-01-11T14:00:00Z', '2030-01-11T15:00:00Z'))));
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(results.filter((r) => r?.constraint === 'appointment_resources_overlap')).toHaveLength(7);
  });
});
