import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Ctx, MessagePattern, Payload, TcpContext } from '@nestjs/microservices';
import { loadConfig, type AppConfig } from '@aftercare/config';
import type { RequestContext } from '@aftercare/contracts';
import { freePorts, PrivateRedis } from '@aftercare/testing';
import { DomainError, RpcErrorFilter } from './errors.js';
import { redisTransportOptions } from './messaging.module.js';
import { RedisAndDirectServer } from './redis-and-direct.server.js';
import { RpcPayloadValidator } from './rpc-payload.js';
import { ServiceClient } from './service-client.js';

/**
 * Two replicas of a service answer requests over Redis and, beside it, directly over TCP; a
 * caller whose Redis is gone sends straight to them, so the API keeps working through a Redis
 * outage (test/faults/3-redis-down.fault-spec.ts runs the whole system through one).
 */

const PATTERN = 'scheduling.test.book';
const ctx: RequestContext = { clinicId: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f', userId: null, role: 'front_desk', clinicianId: null, correlationId: 'req-1' };

let slowRuns = 0;
/** Every request run, by which replica and over which transport. */
const handled: { replica: string; n: number; via: 'redis' | 'direct' }[] = [];

function replica(name: string) {
  @Controller()
  class BookingController {
    @MessagePattern('scheduling.test.slow')
    async slow(): Promise<string> {
      slowRuns++;
      await new Promise((resolve) => setTimeout(resolve, 1_500).unref());
      return 'done';
    }

    @MessagePattern(PATTERN)
    book(@Payload() payload: { data: { n: number } }, @Ctx() context: unknown) {
      if (payload.data.n < 0) throw new DomainError('SLOT.TAKEN', 'That slot was just taken', 409);
      const via = context instanceof TcpContext ? 'direct' : 'redis';
      handled.push({ replica: name, n: payload.data.n, via });
      return { replica: name, n: payload.data.n, via };
    }
  }
  @Module({ controllers: [BookingController] })
  class ReplicaModule {}
  return ReplicaModule;
}

describe('RedisAndDirectServer and ServiceClient, with Redis down', () => {
  const redis = new PrivateRedis();
  const apps: INestMicroservice[] = [];
  let client: ServiceClient;
  let ports: { a: number; b: number; nobody: number };

  const start = async (name: string, port: number, config: AppConfig, secret: string | null = null) => {
    const app = await NestFactory.createMicroservice(replica(name), {
      strategy: new RedisAndDirectServer(redisTransportOptions(config).options, { host: '127.0.0.1', port, secret }),
      logger: false,
    });
    app.useGlobalFilters(new RpcErrorFilter());
    app.useGlobalInterceptors(new RpcPayloadValidator({ [PATTERN]: { n: 'int' } }));
    await app.listen();
    apps.push(app);
  };
  const book = (n: number, data: Record<string, unknown> = { n }) => client.send<{ replica: string; n: number; via: string }>(PATTERN, { ctx, data }, 5_000);

  beforeAll(async () => {
    await redis.start();
    const [a, b, nobody] = (await freePorts(3)) as [number, number, number];
    ports = { a, b, nobody };
    const config = loadConfig({
      REDIS_URL: redis.url,
      // The first peer listens nowhere: a replica that is down is skipped.
      SCHEDULING_RPC_PEERS: `127.0.0.1:${nobody},127.0.0.1:${a},127.0.0.1:${b}`,
      FOLLOWUP_RPC_PEERS: 'none',
      RPC_TIMEOUT_MS: '5000',
    });
    await start('a', a, config);
    await start('b', b, config);
    client = new ServiceClient(ClientProxyFactory.create(redisTransportOptions(config)), config);
  }, 30_000);

  afterAll(async () => {
    await client?.onApplicationShutdown();
    for (const app of apps) await app.close();
    await redis.stop();
  });

  it('goes over Redis while Redis is up, each request run by one replica', async () => {
    handled.length = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => book(n)));
    expect(answers.map((answer) => answer.via)).toEqual(Array(20).fill('redis'));
    expect(handled.map((h) => h.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it('answers a request under way when Redis goes away with 503 at once, rather than at its deadline, and does not send it again', async () => {
    const started = Date.now();
    const slow = client.send('scheduling.test.slow', { ctx, data: {} }, 5_000).then(
      () => 'answered',
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.stop();
    expect(await slow).toMatchObject({ code: 'SERVICE.UNAVAILABLE', statusCode: 503 });
    expect(Date.now() - started).toBeLessThan(1_500);
    // Redis back for a moment: the handler's late answer goes out (to nobody), and there is room
    // for a second run, were the request sent again.
    await redis.start();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(slowRuns).toBe(1);
    await redis.stop();
  }, 30_000);

  it('with Redis gone, sends straight to the replicas, skipping one that is down, and runs each request once', async () => {
    // (Redis was stopped by the test before.) The transport notices the closed connection at once; give its status a moment to arrive.
    await waitFor(async () => (await book(1_000).catch(() => null))?.via === 'direct');
    handled.length = 0;
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => book(n)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answers.map((answer) => answer.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(new Set(answers.map((answer) => answer.via))).toEqual(new Set(['direct']));
    // Both live replicas took a share; each request ran exactly once.
    expect(new Set(answers.map((answer) => answer.replica))).toEqual(new Set(['a', 'b']));
    expect(handled.map((h) => h.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, n) => n));
  }, 30_000);

  it('checks a direct request as strictly as one over Redis, and carries the service errors back', async () => {
    await expect(book(1, { n: 1, admin: true })).rejects.toMatchObject({ code: 'REQUEST.INVALID', statusCode: 400, field: 'admin' });
    await expect(book(1, { n: 'one' })).rejects.toMatchObject({ statusCode: 400, field: 'n' });
    await expect(book(-1)).rejects.toMatchObject({ code: 'SLOT.TAKEN', statusCode: 409 });
  });

  it('with RPC_SECRET, refuses a direct request without it before any handler runs, and takes one with it', async () => {
    const [port] = (await freePorts(1)) as [number];
    const SECRET = 'a-long-random-rpc-secret';
    // A replica with the secret (its Redis side listens while Redis is briefly back).
    await redis.start();
    await start('s', port, loadConfig({ REDIS_URL: redis.url }), SECRET);
    await redis.stop();
    const callerWith = (secret?: string) =>
      new ServiceClient(ClientProxyFactory.create(redisTransportOptions(loadConfig({ REDIS_URL: redis.url }))), loadConfig({ REDIS_URL: redis.url, SCHEDULING_RPC_PEERS: `127.0.0.1:${port}`, ...(secret ? { RPC_SECRET: secret } : {}) }));
    const stranger = callerWith();
    const wrong = callerWith('not-the-rpc-secret-at-all');
    const trusted = callerWith(SECRET);
    try {
      const bookBy = (caller: ServiceClient, n: number) => caller.send<{ replica: string; via: string }>(PATTERN, { ctx, data: { n } }, 2_000);
      // Each caller's transport finds Redis gone on its first request, then goes direct.
      await waitFor(async () => (await bookBy(trusted, 5_000).catch(() => null))?.via === 'direct');
      handled.length = 0;
      const outcome = (caller: ServiceClient) => bookBy(caller, 6_000).then(
        () => 'answered',
        (error: { code?: string }) => error.code,
      );
      // The first request finds Redis gone (SERVICE.UNAVAILABLE); the direct ones after it are refused.
      for (const caller of [stranger, wrong]) await waitFor(async () => (await outcome(caller)) === 'RPC.UNAUTHENTICATED');
      expect(handled.filter((h) => h.replica === 's')).toEqual([]);
      expect(await bookBy(trusted, 8)).toEqual({ replica: 's', n: 8, via: 'direct' });
    } finally {
      for (const caller of [stranger, wrong, trusted]) await caller.onApplicationShutdown();
      await apps.pop()!.close();
    }
  }, 30_000);

  it('says at once that the service is unavailable when neither Redis nor a direct listener answers', async () => {
    // followup has no direct peers configured.
    const started = Date.now();
    await expect(client.send('followup.test.anything', { ctx, data: {} })).rejects.toMatchObject({ code: 'SERVICE.UNAVAILABLE', statusCode: 503 });
    // All of scheduling's replicas down.
    for (const app of apps.splice(0)) await app.close();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client sees its connections close
    await expect(book(7)).rejects.toMatchObject({ code: 'SERVICE.UNAVAILABLE', statusCode: 503, message: expect.stringContaining(`127.0.0.1:${ports.a}`) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('goes back to Redis once Redis is back', async () => {
    await redis.start();
    const config = loadConfig({ REDIS_URL: redis.url, SCHEDULING_RPC_PORT: '0', FOLLOWUP_RPC_PORT: '0', NOTIFICATIONS_RPC_PORT: '0' });
    await start('c', ports.b, config);
    await waitFor(async () => (await book(2_000).catch(() => null))?.via === 'redis');
    expect(await book(3)).toEqual({ replica: 'c', n: 3, via: 'redis' });
  }, 30_000);
});

async function waitFor(condition: () => Promise<boolean>, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
