import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REQUEST_TIMEOUT_MS, type LoadGenerator } from './support/load.js';
import { FaultScenario } from './support/scenario.js';

const OUTAGE_MS = 60_000;

/**
 * Scenario 3: Redis down for 60 s. The producers fail fast instead of queueing in memory, no
 * request hangs; once Redis is back, everything that came due goes out.
 *
 * The issue also asks that the API keep booking meanwhile. It does not yet: the gateway reaches
 * scheduling only over the Redis transport, so a booking during the outage is answered 503 at
 * once ("try again"), with nothing written, and succeeds again as soon as Redis is back. What
 * this checks is that behaviour; a transport for requests that does not go through Redis is
 * the open part (README, "Fault suite").
 */
describe('fault 3: Redis down for 60 s', () => {
  const scenario = new FaultScenario('3. Redis down 60 s', { beforeMs: 15_000, afterMs: 15_000, recoveryTimeoutMs: 120_000 });
  const outage = { from: 0, to: 0 };
  const inOutage = (load: LoadGenerator) => load.requests.filter((r) => r.at >= outage.from && r.at + r.ms <= outage.to);

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('nothing hangs, bookings are refused at once (503) while Redis is down and succeed again after, and everything due goes out', async () => {
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
    // ...the front desk is told at once that booking is unavailable, and books again once Redis is back.
    const bookings = during.filter((r) => r.operation === 'book');
    expect(bookings.length).toBeGreaterThan(0);
    expect([...new Set(bookings.map((r) => r.status))]).toEqual([503]);
    const afterwards = result.load.requests.filter((r) => r.operation === 'book' && r.at > outage.to + 5_000);
    expect(afterwards.some((r) => r.status === 201)).toBe(true);
  }, 420_000);
});
