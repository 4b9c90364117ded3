import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Payload, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import type { AppConfig } from '@aftercare/config';
import { PrivateRedis } from '@aftercare/testing';
import { redisTransportOptions } from './messaging.module.js';
import { OncePerRequestServerRedis } from './once-per-request.server.js';

/**
 * Two replicas of a service on one Redis, as docker-compose runs them: each request is handled
 * by one of them, once, and answered once. Nest's own Redis transport hands every request to
 * every replica (a channel each is subscribed to), which this spec shows too.
 */

/** Which replica handled which request. */
const handled: { replica: string; n: number }[] = [];

function replica(name: string) {
  @Controller()
  class CountingController {
    @MessagePattern('test.once.count')
    count(@Payload() data: { n: number }): { replica: string; n: number } {
      handled.push({ replica: name, n: data.n });
      return { replica: name, n: data.n };
    }
  }
  @Module({ controllers: [CountingController] })
  class ReplicaModule {}
  return ReplicaModule;
}

describe('OncePerRequestServerRedis', () => {
  const redis = new PrivateRedis();
  let config: AppConfig;
  let client: ClientProxy;
  const apps: INestMicroservice[] = [];

  const start = async (name: string, once: boolean) => {
    const options = redisTransportOptions(config);
    const app = await NestFactory.createMicroservice(replica(name), once ? { strategy: new OncePerRequestServerRedis(options.options), logger: false } : { ...options, logger: false });
    await app.listen();
    apps.push(app);
  };
  const send = (n: number) => firstValueFrom(client.send<{ replica: string; n: number }>('test.once.count', { n }).pipe(timeout(10_000)));

  beforeAll(async () => {
    await redis.start();
    config = { redis: { host: '127.0.0.1', port: redis.port, db: 0 } } as unknown as AppConfig;
    client = ClientProxyFactory.create(redisTransportOptions(config));
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const app of apps) await app.close();
    await redis.stop();
  });

  it("shows the problem: with Nest's transport, both replicas run every request", async () => {
    await Promise.all([start('a', false), start('b', false)]);
    handled.length = 0;
    await Promise.all(Array.from({ length: 20 }, (_, n) => send(n)));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the second replica's run of the last ones
    expect(handled).toHaveLength(40);
    while (apps.length) await apps.pop()!.close();
  }, 30_000);

  it('with two replicas, runs each of 100 requests once and answers each once', async () => {
    await Promise.all([start('a', true), start('b', true)]);
    handled.length = 0;
    const answers = await Promise.all(Array.from({ length: 100 }, (_, n) => send(n)));
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a second run, if one came
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(handled.map((h) => h.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, n) => n));
  }, 30_000);
});
