import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor, type TwilioFakeMessage } from '@aftercare/testing';
import type { ServiceProcessName } from '../../scripts/lib/system.js';
import { FaultScenario } from './support/scenario.js';

/**
 * Scenario 1: `kill -9` of each service in turn in the middle of the flow, the notifications
 * worker while a provider call is in flight (the Twilio-compatible server has accepted the
 * message and answers slowly): nothing due is lost, nothing goes twice.
 */
describe('fault 1: kill -9 of each service in turn', () => {
  const scenario = new FaultScenario('1. kill -9 each service in turn', { beforeMs: 12_000, afterMs: 12_000 });
  const killed: string[] = [];
  let inFlight: TwilioFakeMessage | undefined;

  beforeAll(() => scenario.setUp(), 180_000);
  afterAll(() => scenario.tearDown(), 60_000);

  it('every step and message due is sent or suppressed once', async () => {
    const { system } = scenario.drill;
    const { twilio } = system;

    const result = await scenario.run(async () => {
      const services: ServiceProcessName[] = ['scheduling', 'followup', 'notifications', 'gateway'];
      for (const service of services) {
        if (service === 'notifications') {
          // The next SMS is accepted at once and answered late: the worker dies while its call is in flight.
          const requestsBefore = twilio.requestCount;
          twilio.delayNext(1, 900, { afterRecording: true });
          await waitFor(() => twilio.requestCount > requestsBefore && twilio.pendingFaults === 0, { timeoutMs: 60_000, intervalMs: 5, what: 'an SMS in flight' });
          inFlight = twilio.messages.at(-1);
        }
        await system.processes.killService(service);
        killed.push(service);
        // Down long enough for the others to notice (the load keeps arriving), then back.
        await sleep(3_000);
        system.processes.startService(service);
        await system.processes.waitHealthy();
        // The flow goes on for a while before the next one dies; the fault ends with the last one back.
        if (service !== services.at(-1)) await sleep(5_000);
      }
    }, () => ({ killed }));

    expect(killed).toEqual(['scheduling', 'followup', 'notifications', 'gateway']);
    expect(result.ledger.problems).toEqual([]);
    // The message whose answer the worker never heard was accepted once, and the ledger has it sent.
    expect(inFlight?.statusCallback).toBeDefined();
    expect(twilio.messages.filter((m) => m.statusCallback === inFlight!.statusCallback)).toHaveLength(1);
    expect(result.ledger).toMatchObject({ duplicated: 0, lost: 0 });
    // The flow really ran: steps came due and messages went, before, during and after the kills.
    expect(result.ledger.stepsDue).toBeGreaterThanOrEqual(30);
    expect(result.ledger.sent).toBeGreaterThanOrEqual(30);
    expect(result.recoveryMs).not.toBeNull();
  }, 420_000);
});
