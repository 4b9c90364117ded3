import { describe, expect, it } from '@jest/globals';
import type { AppConfig } from '@aftercare/config';
import { DomainError, type ServiceClient } from '@aftercare/messaging';
import { ServiceForwarder } from './service-forwarder.service.js';

const ctx = { clinicId: 'c1', userId: 'u1', role: 'admin' as const, clinicianId: null, correlationId: 'r1' };
const config = { rpcTimeoutMs: 50 } as AppConfig;

/** A strict fake: only `send`, recording what it was asked. */
function fakeClient(answer: (pattern: string, data: unknown) => Promise<unknown>) {
  const calls: { pattern: string; data: unknown; timeoutMs?: number }[] = [];
  const client = {
    send: (pattern: string, data: unknown, timeoutMs?: number) => {
      calls.push({ pattern, data, timeoutMs });
      return answer(pattern, data);
    },
  } as unknown as ServiceClient;
  return { client, calls };
}

describe('ServiceForwarder', () => {
  it('sends { ctx, data } to the pattern and returns the answer', async () => {
    const { client, calls } = fakeClient(async () => ({ id: 'p1' }));
    await expect(new ServiceForwarder(client, config).send('scheduling.patients.get', ctx, { id: 'p1' })).resolves.toEqual({ id: 'p1' });
    expect(calls).toEqual([{ pattern: 'scheduling.patients.get', data: { ctx, data: { id: 'p1' } }, timeoutMs: 1_050 }]);
  });

  it('passes a service’s domain error through untouched', async () => {
    const error = new DomainError('APPOINTMENT.SLOT_TAKEN', 'taken', 409);
    const { client } = fakeClient(async () => Promise.reject(error));
    await expect(new ServiceForwarder(client, config).send('scheduling.appointments.book', ctx, {})).rejects.toBe(error);
  });

  it('answers 503 naming the service that did not answer in time', async () => {
    const { client } = fakeClient(() => new Promise(() => undefined));
    const sent = new ServiceForwarder(client, config).send('followup.items.list', ctx, {});
    await expect(sent).rejects.toMatchObject({ statusCode: 503, code: 'SERVICE.UNAVAILABLE' });
    await expect(sent).rejects.toThrow(/^The followup service did not answer within 50 ms \(followup\.items\.list\)/);
  });
});
