import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { REQUEST_TIMEOUT_MS } from './support/load.js';
import { FaultScenario } from './support/scenario.js';

const OUTAGE_MS = 60_000;
/** A send already claimed when the server went away may still reach the provider in its first moments. */
const IN_FLIGHT_GRACE_MS = 2_000;

/**
 * Scenario 4: PostgreSQL (the suite's own server) down for 60 s. The API answers 503, quickly,
 * and a refused request leaves nothing behind; the workers back off and send nothing they could
 * not record; once the server is back, everything that came due goes out.
 */
describe('fault 4: PostgreSQL down for 60 s', () => {
  const scenario = new FaultScenario('4. PostgreSQL down 60 s', { beforeMs: 15_000, afterMs: 15_000, recoveryTimeoutMs: 120_000 });
  const outage = { from: 0, to: 0 };

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('the API answers 503 with no partial writes, nothing is sent unrecorded, and everything due goes out after', async () => {
    const { system } = scenario.drill;
    const result = await scenario.run(async () => {
      await system.postgres!.stop();
      outage.from = Date.now();
      await sleep(OUTAGE_MS);
      await system.postgres!.start();
      outage.to = Date.now();
    });

    expect(result.ledger.problems).toEqual([]);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });

    // Every request of the front desk and the clinician in the outage: 503, in bounded time.
    const during = result.load.requests.filter((r) => r.at >= outage.from + IN_FLIGHT_GRACE_MS && r.at + r.ms <= outage.to);
    const api = during.filter((r) => r.operation !== 'reply');
    expect(api.length).toBeGreaterThan(20);
    expect([...new Set(api.map((r) => r.status))]).toEqual([503]);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(REQUEST_TIMEOUT_MS);

    // No partial writes: a patient exists only if registering them was answered 201, an
    // appointment only if booking it was.
    const client = new pg.Client({ connectionString: system.database.url });
    await client.connect();
    try {
      const refused = result.load.requests.filter((r) => r.operation === 'book' && r.status !== 201);
      const { rows } = await client.query<{ phone: string; appointments: number }>(
        `SELECT p.phone, (SELECT count(*)::int FROM scheduling.appointments a WHERE a.patient_id = p.id) AS appointments
           FROM scheduling.patients p WHERE p.phone = ANY($1)`,
        [refused.map((r) => r.phone)],
      );
      const found = new Map(rows.map((r) => [r.phone, r.appointments]));
      for (const r of refused) {
        expect({ phone: r.phone, patient: found.has(r.phone!) }).toEqual({ phone: r.phone, patient: r.registered });
        expect({ phone: r.phone, appointments: found.get(r.phone!) ?? 0 }).toEqual({ phone: r.phone, appointments: 0 });
      }
    } finally {
      await client.end();
    }

    // The workers sent nothing while they could not record it.
    const sentDuring = system.twilio.messages.filter((m) => m.receivedAt.getTime() >= outage.from + IN_FLIGHT_GRACE_MS && m.receivedAt.getTime() <= outage.to);
    expect(sentDuring).toEqual([]);
    expect(result.recoveryMs).not.toBeNull();
  }, 420_000);
});
