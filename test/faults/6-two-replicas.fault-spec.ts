import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { QUEUES } from '@aftercare/contracts';
import { FaultScenario, type ScenarioResult } from './support/scenario.js';

/** The reconcilers' advisory lock keys (libs/jobs/src/reconciler.ts: one per service, named after its queues). */
const RECONCILER_LOCKS = Object.values(QUEUES).map((queue) => `aftercare.reconciler.${queue}`);

/**
 * Scenario 6: two replicas of every service at once (their own ports, one PostgreSQL and one
 * Redis), the load spread over both gateways: no step runs twice, and each service's
 * reconciler runs on one instance at a time, as pg_locks shows while the scenario runs.
 */
describe('fault 6: two replicas of each service', () => {
  const scenario = new FaultScenario('6. two replicas of each service', {
    system: { replicas: 2 },
    noFault: true,
    beforeMs: 25_000,
    afterMs: 25_000,
    load: (drill) => ({ gateways: drill.system.replicas.map((r) => r.baseUrl) }),
  });

  beforeAll(() => scenario.setUp(), 240_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('no step runs twice, and the reconciler holds its lock on one instance at a time', async () => {
    const { system } = scenario.drill;
    expect(system.replicas).toHaveLength(2);
    const pool = new pg.Pool({ connectionString: system.database.url, max: 1 });
    // Who holds a reconciler's lock, sampled as often as PostgreSQL answers for the whole scenario.
    const holders = new Map<string, Set<number>>(RECONCILER_LOCKS.map((key) => [key, new Set<number>()]));
    let samples = 0;
    let heldSamples = 0;
    let mostHoldersAtOnce = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await pool.query<{ key: string; pid: number }>(
          `WITH keys AS (SELECT k, hashtext(k)::bigint AS h FROM unnest($1::text[]) AS k)
           SELECT keys.k AS key, l.pid FROM pg_locks l
             JOIN keys ON l.locktype = 'advisory' AND l.objsubid = 1
                      AND l.classid::bigint = ((keys.h >> 32) & 4294967295) AND l.objid::bigint = (keys.h & 4294967295)
            WHERE l.granted`,
          [RECONCILER_LOCKS],
        );
        samples++;
        if (rows.length) heldSamples++;
        for (const key of RECONCILER_LOCKS) {
          const pids = rows.filter((r) => r.key === key).map((r) => r.pid);
          mostHoldersAtOnce = Math.max(mostHoldersAtOnce, pids.length);
          for (const pid of pids) holders.get(key)!.add(pid);
        }
        await sleep(5);
      }
    })();

    let result: ScenarioResult;
    try {
      // No fault but the second copy of everything: the load runs its whole length.
      result = await scenario.run(async () => undefined, () => ({ samples, heldSamples, mostHoldersAtOnce, connectionsThatHeldALock: [...holders.values()].reduce((n, s) => n + s.size, 0) }));
    } finally {
      sampling = false;
      await sampler;
      await pool.end();
    }

    expect(result.ledger.problems).toEqual([]);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });
    expect(result.ledger.stepsDue).toBeGreaterThanOrEqual(30);
    // Both gateways took their share of the load.
    for (const replica of system.replicas) expect(result.load.requests.filter((r) => r.gateway === replica.baseUrl && r.status >= 200 && r.status < 300).length).toBeGreaterThan(10);
    // The reconcilers ran (their locks were seen held), never two holders of one lock at once.
    expect(heldSamples).toBeGreaterThan(0);
    expect(mostHoldersAtOnce).toBe(1);
  }, 480_000);
});
