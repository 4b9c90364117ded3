import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REQUEST_TIMEOUT_MS, type LoadGenerator } from './support/load.js';
import { FaultScenario } from './support/scenario.js';

const OUTAGE_MS = 60_000;

/**
 * Scenario 3: Redis down for 60 s. The API keeps booking: the gateway reaches scheduling over
 * its direct (TCP) listener while the Redis transport is down, and the booking is written to
 * PostgreSQL with its event in the outbox. Nothing hangs; once Redis is back, the relay delivers
 * what was written meanwhile and everything that came due goes out.
 */
describe('fault 3: Redis down for 60 s', () => {
  const scenario = new FaultScenario('3. Redis down 60 s', { beforeMs: 15_000, afterMs: 15_000, recoveryTimeoutMs: 120_000 });
  const outage = { from: 0, to: 0 };
  const inOutage = (load: LoadGenerator) => load.requests.filter((r) => r.at >= outage.from && r.at + r.ms <= outage.to);

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('the API keeps booking while Redis is down, nothing hangs, and everything due goes out', async () => {
    const { system } = scenario.drill;
    const result = await scenario.run(
      async () => {
        await system.redis.stop();
        outage.from = Date.now();
        await sleep(OUTAGE_MS);
        await system.redis.start();
        outage.to = Date.now();
      },
      (load) => {
        const bookings = inOutage(load).filter((r) => r.operation === 'book');
        return {
          bookingsInOutage: bookings.length,
          bookedInOutage: bookings.filter((r) => r.status === 201).length,
          slowestInOutageMs: Math.max(0, ...inOutage(load).map((r) => r.ms)),
        };
      },
    );

    expect(result.ledger.problems).toEqual([]);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });
    expect(result.recoveryMs).not.toBeNull();
    // Nobody waited on a hung request...
    const during = inOutage(result.load);
    expect(during.length).toBeGreaterThan(20);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(REQUEST_TIMEOUT_MS);
    // ...the front desk kept booking (written to PostgreSQL), and the other requests were answered too.
    const bookings = during.filter((r) => r.operation === 'book');
    expect(bookings.length).toBeGreaterThan(0);
    expect(bookings.filter((r) => r.status !== 201)).toEqual([]);
    expect(during.filter((r) => r.status >= 500)).toEqual([]);
  }, 420_000);
});
