import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { ConfigModule, loadConfig } from '@aftercare/config';
import { PrivateRedis, waitFor } from '@aftercare/testing';
import { MessagingModule } from './messaging.module.js';

/**
 * The boot-time check of Redis's settings, as a service's MessagingModule runs it, against a
 * private redis-server (no persistence, like PrivateRedis always is) whose policy the test sets.
 */
const redis = new PrivateRedis();
beforeAll(() => redis.start(), 30_000);
afterAll(() => redis.stop(), 30_000);

async function setPolicy(policy: string): Promise<void> {
  const client = new Redis(redis.url);
  try {
    await client.config('SET', 'maxmemory-policy', policy);
  } finally {
    client.disconnect();
  }
}

/** How many clients besides the asking one Redis lists. */
async function otherClients(): Promise<number> {
  const client = new Redis(redis.url);
  try {
    const list = (await client.client('LIST')) as string;
    return list.trim().split('\n').length - 1;
  } finally {
    client.disconnect();
  }
}

/** Keeps what the application logs, so the test can read the warnings. */
class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log = (message: unknown) => void this.lines.push({ level: 'log', message: String(message) });
  error = (message: unknown) => void this.lines.push({ level: 'error', message: String(message) });
  warn = (message: unknown) => void this.lines.push({ level: 'warn', message: String(message) });
  debug = () => undefined;
  verbose = () => undefined;
}

function moduleFor(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: 'postgres://127.0.0.1:5432/aftercare_test_redis_policy',
    REDIS_URL: redis.url,
    JWT_SECRET: 'redis-policy-test-secret-redis-policy-test-secret',
    ...env,
  });
  @Module({ imports: [ConfigModule.forRoot(config), MessagingModule.forClient()] })
  class ClientOnly {}
  return ClientOnly;
}

describe('Redis settings checked at boot', () => {
  afterEach(() => setPolicy('noeviction'));

  it('refuses to start in production with maxmemory-policy allkeys-lru, saying what to set', async () => {
    await setPolicy('allkeys-lru');
    const logger = new RecordingLogger();
    const started = NestFactory.createApplicationContext(moduleFor({ NODE_ENV: 'production' }), { logger, abortOnError: false });
    await expect(started).rejects.toThrow(/maxmemory-policy is "allkeys-lru".*set maxmemory-policy noeviction/);
    // Nor does the refused start leave a connection to Redis behind (one would keep the process
    // from exiting): only this test's own client remains.
    await waitFor(async () => (await otherClients()) === 0, { timeoutMs: 2_000, what: 'the refused start to leave no Redis connection' });
  }, 30_000);

  it('starts outside production with allkeys-lru, with a warning', async () => {
    await setPolicy('allkeys-lru');
    const logger = new RecordingLogger();
    const app = await NestFactory.createApplicationContext(moduleFor({ NODE_ENV: 'test' }), { logger, abortOnError: false });
    await app.close();
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining('maxmemory-policy is "allkeys-lru"')]));
  }, 30_000);

  it('starts in production with noeviction, warning only that persistence is off', async () => {
    const logger = new RecordingLogger();
    const app = await NestFactory.createApplicationContext(moduleFor({ NODE_ENV: 'production' }), { logger, abortOnError: false });
    await app.close();
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual([expect.stringContaining('persistence is off')]);
  }, 30_000);
});
