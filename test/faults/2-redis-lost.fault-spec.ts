import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { metricValue } from '@aftercare/testing';
import { QUEUES } from '@aftercare/contracts';
import { FaultScenario } from './support/scenario.js';

/**
 * Scenario 2: Redis restarted with persistence off (every job and every stream in it lost),
 * then FLUSHALL while steps are pending: the reconciler rebuilds the jobs from PostgreSQL, and
 * everything due still goes out, once.
 */
describe('fault 2: Redis loses everything, twice', () => {
  const scenario = new FaultScenario('2. Redis restarted empty, then FLUSHALL');

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  async function repairs(): Promise<number> {
    const text = await (await fetch(`${scenario.drill.system.opsUrl('followup')}/metrics`)).text();
    return metricValue(text, 'aftercare_reconciler_repairs_total', { queue: QUEUES.carePlanSteps, repair: 'recreated' });
  }

  it('the reconciler rebuilds the jobs from PostgreSQL; every step and message due is sent or suppressed once', async () => {
    const { system } = scenario.drill;
    let before = 0;
    const recreated = async () => (await repairs()) - before;
    const result = await scenario.run(async () => {
      before = await repairs();
      await system.redis.restart();
      // The flow goes on on the empty Redis, new jobs and all, until it is flushed again.
      await sleep(10_000);
      await system.redis.flushAll();
    }, async () => ({ recreated: await recreated() }));

    expect(result.ledger.problems).toEqual([]);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });
    // Steps were pending when Redis lost them: they came back from the database, not from luck.
    expect(await recreated()).toBeGreaterThan(0);
    expect(result.ledger.stepsDue).toBeGreaterThanOrEqual(30);
    expect(result.ledger.sent).toBeGreaterThanOrEqual(30);
  }, 420_000);
});
