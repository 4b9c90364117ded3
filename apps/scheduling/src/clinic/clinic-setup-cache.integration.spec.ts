import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { ManualClock } from '@aftercare/clock';
import { createPool, migrate, type Db } from '@aftercare/database';
import { createTestDatabase, type TestDatabase } from '@aftercare/testing';
import { SCHEDULING_MIGRATIONS } from '../database/migrations.js';
import { ClinicService } from './clinic.service.js';

/**
 * The scheduling service keeps each clinic's setup in memory and checks its version with one
 * small read. A change - through the service, through another replica, or straight in SQL - must
 * show at once; while nothing changes, the setup is not read again.
 */
describe('clinic setup kept in memory, checked by its version', () => {
  let db: TestDatabase;
  let pool: Pool;
  let orm: Db;
  const clock = new ManualClock(new Date('2030-01-06T12:00:00Z'));
  const clinic = randomUUID();
  const drA = randomUUID();
  const drB = randomUUID();
  const room = randomUUID();
  /** Statements this pool ran, by their first words. */
  const statements: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('aftercare_test_setup');
    pool = createPool(db.url, 'setup-cache-test', 4);
    await migrate(pool, 'scheduling', SCHEDULING_MIGRATIONS);
    await pool.query(`INSERT INTO scheduling.clinics (id, name, timezone, phone, opening_hours) VALUES ($1, 'C', 'America/New_York', '+12125550100', '{}')`, [clinic]);
    await pool.query(`INSERT INTO scheduling.clinicians (id, clinic_id, name, weekly_hours) VALUES ($1, $3, 'Dr Adams', '{}'), ($2, $3, 'Dr Baker', '{}')`, [drA, drB, clinic]);
    await pool.query(`INSERT INTO scheduling.procedure_types (clinic_id, code, name, duration_minutes) VALUES ($1, 'consultation', 'Consultation', 30)`, [clinic]);
    await pool.query(`INSERT INTO scheduling.resources (id, clinic_id, kind, category, name) VALUES ($1, $2, 'room', 'consultation_room', 'Room 1')`, [room, clinic]);
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    // Counts what the service sends (drizzle calls pool.query with a config object).
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
      statements.push(text.trim().split(/\s+/).slice(0, 4).join(' '));
      return query(...args);
    };
    orm = drizzle({ client: pool });
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const statementsOf = async <T>(work: () => Promise<T>): Promise<{ result: T; count: number }> => {
    statements.length = 0;
    const result = await work();
    return { result, count: statements.length };
  };

  it('reads the setup once, then one version statement per use while nothing changes', async () => {
    const service = new ClinicService(orm, clock);
    const first = await statementsOf(() => service.setup(clinic));
    expect(first.count).toBe(7);
    expect(first.result.activeClinicians.map((c) => c.name)).toEqual(['Dr Adams', 'Dr Baker']);
    const again = await statementsOf(() => service.setup(clinic));
    expect(again.count).toBe(1);
    expect(again.result).toBe(first.result);
    expect(again.result.procedureType('consultation').durationMinutes).toBe(30);
    expect(() => again.result.procedureType('surgery')).toThrow(/not a procedure type of this clinic/);
  });

  it('sees a change made elsewhere (another replica, or SQL) at once, in every table of the setup', async () => {
    const service = new ClinicService(orm, clock);
    await service.setup(clinic);

    await pool.query(`UPDATE scheduling.clinicians SET active = false WHERE id = $1`, [drB]);
    const setup = await service.setup(clinic);
    expect(setup.activeClinicians.map((c) => c.id)).toEqual([drA]);
    expect(() => setup.clinician(drB)).toThrow(/was not found/);

    await pool.query(`UPDATE scheduling.procedure_types SET duration_minutes = 45 WHERE clinic_id = $1`, [clinic]);
    expect((await service.procedureType(clinic, 'consultation')).durationMinutes).toBe(45);

    await pool.query(`UPDATE scheduling.resources SET active = false WHERE id = $1`, [room]);
    expect((await service.setup(clinic)).resources.map((r) => [r.id, r.active])).toEqual([[room, false]]);

    await pool.query(`UPDATE scheduling.clinics SET timezone = 'America/Chicago' WHERE id = $1`, [clinic]);
    expect((await service.clinic(clinic)).timezone).toBe('America/Chicago');

    const added = randomUUID();
    await pool.query(`INSERT INTO scheduling.clinicians (id, clinic_id, name, weekly_hours) VALUES ($1, $2, 'Dr Carter', '{}')`, [added, clinic]);
    expect((await service.clinician(clinic, added)).name).toBe('Dr Carter');
    await pool.query(`DELETE FROM scheduling.clinicians WHERE id = $1`, [added]);
    await expect(service.clinician(clinic, added)).rejects.toThrow(/was not found/);
  });

  it('keeps closures and time off from a day before the read on, and sees a new one at once', async () => {
    const service = new ClinicService(orm, clock);
    await pool.query(`INSERT INTO scheduling.closures (id, clinic_id, starts_at, ends_at, reason) VALUES ($1, $2, '2030-01-01T00:00Z', '2030-01-02T00:00Z', 'past'), ($3, $2, '2030-01-10T00:00Z', '2030-01-11T00:00Z', 'training day')`, [
      randomUUID(),
      clinic,
      randomUUID(),
    ]);
    const setup = await service.setup(clinic);
    expect(setup.periodsFrom).toEqual(new Date('2030-01-05T12:00:00Z'));
    expect(setup.closures.map((c) => c.startsAt.toISOString())).toEqual(['2030-01-10T00:00:00.000Z']);
    expect(setup.timeOff).toEqual([]);

    await pool.query(`INSERT INTO scheduling.time_off (id, clinic_id, clinician_id, starts_at, ends_at) VALUES ($1, $2, $3, '2030-01-08T14:00Z', '2030-01-08T18:00Z')`, [randomUUID(), clinic, drA]);
    expect((await service.setup(clinic)).timeOff.map((t) => [t.clinicianId, t.startsAt.toISOString()])).toEqual([[drA, '2030-01-08T14:00:00.000Z']]);
    await pool.query(`DELETE FROM scheduling.closures WHERE reason = 'training day'`);
    expect((await service.setup(clinic)).closures).toEqual([]);
  });

  it('inside a transaction that changes the setup, sees its own change; after a rollback, the setup as it was', async () => {
    const service = new ClinicService(orm, clock);
    const before = (await service.setup(clinic)).activeClinicians.map((c) => c.id);
    await orm
      .transaction(async (tx) => {
        await tx.execute(sql`UPDATE scheduling.clinicians SET active = false WHERE id = ${drA}`);
        expect((await service.setup(clinic, tx)).activeClinicians.map((c) => c.id)).toEqual(before.filter((id) => id !== drA));
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect((await service.setup(clinic)).activeClinicians.map((c) => c.id)).toEqual(before);
  });

  it('a setup handed out cannot be changed by the code that holds it', async () => {
    const setup = await new ClinicService(orm, clock).setup(clinic);
    expect(() => {
      (setup.clinic as { timezone: string }).timezone = 'Europe/Paris';
    }).toThrow(TypeError);
    expect(() => (setup.activeClinicians as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (setup.procedureType('consultation').requires as unknown[]).push({ category: 'x' });
    }).toThrow(TypeError);
  });
});
