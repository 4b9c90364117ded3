import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { ManualClock } from '@aftercare/clock';
import type { RequestContext } from '@aftercare/contracts';
import { createPool, migrate, type Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { AppMetrics } from '@aftercare/ops';
import { createTestDatabase, type TestDatabase } from '@aftercare/testing';
import type { ServiceForwarder } from '../common/service-forwarder.service.js';
import { GATEWAY_MIGRATIONS } from '../database/migrations.js';
import { heldWebhooks } from '../database/schema.js';
import { HeldWebhooks } from './held-webhooks.service.js';

/**
 * The gateway's held webhooks on a real PostgreSQL, with notifications played by a stub that
 * answers when the test says: the order of one number's texts when the first of them is held.
 */
describe('held webhooks: one number\'s texts keep their order', () => {
  let testDb: TestDatabase;
  let pool: Pool;
  let db: Db;
  let held: HeldWebhooks;
  /** What notifications was sent, in order: the text's name and how long the gateway would wait. */
  let calls: { name: string; timeoutMs: number }[];
  /** How notifications answers each call. */
  let answer: (name: string, timeoutMs: number) => Promise<unknown>;
  const ctx = { clinicId: randomUUID(), userId: null, role: 'system', clinicianId: null, correlationId: 'test' } as unknown as RequestContext;
  const services = {
    send: async (_pattern: string, _ctx: RequestContext, data: { name: string }, timeoutMs: number) => {
      calls.push({ name: data.name, timeoutMs });
      return answer(data.name, timeoutMs);
    },
  } as unknown as ServiceForwarder;
  const redis = { pubsub: async () => ['pattern', 1] } as unknown as Redis; // notifications listens
  const text = (name: string, orderKey: string, deadline: number) =>
    held.forward<string>('notifications.inbound-sms', name, ctx, { name }, 'held', (at) => ({ name, heldSince: at.toISOString() }), { orderKey, deadline });
  const heldNames = async () => (await db.select().from(heldWebhooks).orderBy(asc(heldWebhooks.seq))).map((r) => (r.payload as { name: string }).name);

  beforeAll(async () => {
    testDb = await createTestDatabase('aftercare_test_held_webhooks');
    pool = createPool(testDb.url, 'held-webhooks-test', 4);
    await migrate(pool, 'gateway', GATEWAY_MIGRATIONS);
    db = drizzle({ client: pool });
    held = new HeldWebhooks(db, services, redis, new ManualClock(new Date()), new AppMetrics());
  }, 60_000);

  afterAll(async () => {
    await held?.beforeApplicationShutdown();
    await pool?.end();
    await testDb?.drop();
  });

  beforeEach(async () => {
    await db.delete(heldWebhooks);
    calls = [];
  });

  it('a later text of the number waits while an earlier one is forwarded, and is held behind it when that one is held', async () => {
    // Notifications takes the first text but does not answer in time (the gateway holds it);
    // held texts are not taken yet either (503), so both stay held, in order.
    answer = async (name, timeoutMs) => {
      if (name === 'STOP' && calls.length === 1) {
        await sleep(timeoutMs);
        throw new Error('timed out');
      }
      throw new DomainError('SERVICE.UNAVAILABLE', 'notifications is not listening yet', 503);
    };
    const deadline = Date.now() + 400;
    const stop = text('STOP', '+12125550170', deadline);
    await sleep(50);
    const start = text('START', '+12125550170', Date.now() + 400);
    expect(await stop).toBe('held');
    expect(await start).toBe('held');
    // START never reached notifications ahead of STOP: it waited for STOP's turn, then found it held.
    expect(calls.filter((c) => c.name === 'START')).toEqual([]);
    expect(await heldNames()).toEqual(['STOP', 'START']);
  });

  it('a held delivery report holds no text: the texts after it are answered at once', async () => {
    // Notifications did not take the report in time (a short stall): held. Then it answers again.
    answer = async (name) => {
      if (name === 'report') throw new DomainError('SERVICE.UNAVAILABLE', 'notifications is not listening yet', 503);
      return `answer to ${name}`;
    };
    // A gateway of its own whose forwarding of held webhooks is off, so that nothing forwards the
    // held report behind this test's back (into the next test's stub).
    const gateway = new HeldWebhooks(db, services, redis, new ManualClock(new Date()), new AppMetrics());
    await gateway.beforeApplicationShutdown();
    const report = await gateway.forward<null>('notifications.delivery-status', 'SM1:delivered:', ctx, { name: 'report' }, null, undefined, { deadline: Date.now() + 400 });
    expect(report).toBeNull();
    expect(await heldNames()).toEqual(['report']);
    const help = await gateway.forward<string>('notifications.inbound-sms', 'SM2', ctx, { name: 'HELP' }, 'held', undefined, { orderKey: '+12125550173', deadline: Date.now() + 2_000 });
    expect(help).toBe('answer to HELP');
    expect(await heldNames()).toEqual(['report']);
    await db.delete(heldWebhooks);
  });

  it('texts of other numbers do not wait; a text that waited for its turn has only the rest of its time', async () => {
    answer = async (name) => {
      if (name === 'slow') await sleep(300);
      return `answer to ${name}`;
    };
    const started = Date.now();
    const answered: string[] = [];
    const slow = text('slow', '+12125550171', started + 2_000).then((a) => (answered.push('slow'), a));
    await sleep(20);
    const other = await text('other number', '+12125550172', Date.now() + 2_000);
    answered.push('other number');
    expect(other).toBe('answer to other number');
    const next = text('next', '+12125550171', started + 2_000);
    expect(await slow).toBe('answer to slow');
    expect(answered).toEqual(['other number', 'slow']); // the other number's text did not wait for the slow one
    expect(await next).toBe('answer to next');
    const nextCall = calls.find((c) => c.name === 'next')!;
    expect(nextCall.timeoutMs).toBeLessThanOrEqual(2_000 - 300);
    expect(calls.map((c) => c.name)).toEqual(['slow', 'other number', 'next']);
    expect(await heldNames()).toEqual([]);
  });
});
