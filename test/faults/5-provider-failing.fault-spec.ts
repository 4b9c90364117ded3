import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FaultScenario } from './support/scenario.js';

const FAILING_MS = 60_000;
/** Longer than the service's Twilio client waits (1 s): a timeout. */
const SLOW_MS = 3_000;

/**
 * Scenario 5: the SMS provider failing for a minute, every call in one of the ways Twilio (or
 * the network to it) fails: 500 and 503, a timeout, a connection dropped before and after the
 * message was accepted, an answer too late for a message already accepted. What was accepted
 * must not be sent again; what was not must go once the provider is back.
 */
describe('fault 5: the provider failing for a minute', () => {
  const scenario = new FaultScenario('5. provider failing 60 s', { beforeMs: 15_000, afterMs: 15_000, recoveryTimeoutMs: 150_000 });

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('nothing accepted goes twice, nothing refused is lost', async () => {
    const { twilio } = scenario.drill.system;
    let requestsDuring = 0;
    let acceptedWithoutAnswer = 0;
    const result = await scenario.run(async () => {
      const requestsBefore = twilio.requestCount;
      const acceptedBefore = twilio.messages.length;
      const until = Date.now() + FAILING_MS;
      while (Date.now() < until) {
        // Keep a round of every kind of failure queued, so every call of the minute meets one.
        if (twilio.pendingFaults < 12) {
          twilio.failNext(2, { status: 500 });
          twilio.failNext(1, { status: 503 });
          twilio.delayNext(2, SLOW_MS);
          twilio.dropNext(2);
          twilio.dropNext(2, { afterRecording: true });
          twilio.delayNext(2, SLOW_MS, { afterRecording: true });
        }
        await sleep(50);
      }
      twilio.clearFaults();
      requestsDuring = twilio.requestCount - requestsBefore;
      acceptedWithoutAnswer = twilio.messages.length - acceptedBefore;
    }, () => ({ requestsDuring, acceptedWithoutAnswer }));

    expect(result.ledger.problems).toEqual([]);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });
    // The provider was really called during the minute, and accepted some messages whose answer never came.
    expect(requestsDuring).toBeGreaterThan(10);
    expect(acceptedWithoutAnswer).toBeGreaterThan(0);
    expect(result.recoveryMs).not.toBeNull();
  }, 480_000);
});
