import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { processCpuMs } from './cpu.js';

/**
 * Redis server settings and memory, as the timing bench reads and changes them on its private
 * Redis (CONFIG GET / CONFIG SET at run time: the bench's Redis is started by PrivateRedis with
 * no persistence; everything else is Redis's default until the bench sets it).
 */

/** The settings that bear on BullMQ's timing, memory and durability, as the section lists them. */
export const SETTINGS = ['hz', 'dynamic-hz', 'latency-tracking', 'maxmemory-policy', 'maxmemory', 'appendonly', 'appendfsync', 'save', 'io-threads', 'lazyfree-lazy-user-del'] as const;

export async function redisSettings(redis: Redis): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of SETTINGS) {
    const answer = (await redis.config('GET', name).catch(() => [])) as string[];
    out[name] = answer[1] ?? '(unknown)';
  }
  return out;
}

export async function setSetting(redis: Redis, name: string, value: string): Promise<void> {
  await redis.config('SET', name, value);
}

/**
 * BENCH_REDIS_CONFIG: "name value" pairs separated by commas (e.g. "appendonly yes,appendfsync
 * everysec"), set on the private Redis before anything else.
 */
export function parseRedisConfig(raw: string | undefined): [string, string][] {
  return (raw ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const [name, ...value] = pair.split(/\s+/);
      if (!name || value.length === 0) throw new Error(`BENCH_REDIS_CONFIG: "${pair}" is not "name value"`);
      return [name, value.join(' ')] as [string, string];
    });
}

export interface RedisMemory {
  usedMemory: number;
  dataset: number;
  rss: number;
  keys: number;
}

export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (key: string) => Number(new RegExp(`^${key}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { usedMemory: field('used_memory'), dataset: field('used_memory_dataset'), rss: field('used_memory_rss'), keys: await redis.dbsize() };
}

/**
 * used_memory once it has stopped moving (the services' pollers write a little all the time):
 * three readings 500 ms apart, the last one.
 */
export async function settledMemory(redis: Redis): Promise<RedisMemory> {
  let last = await redisMemory(redis);
  for (let i = 0; i < 2; i++) {
    await sleep(500);
    last = await redisMemory(redis);
  }
  return last;
}

/** MEMORY USAGE (bytes, Redis's estimate with its allocator's overhead) of each key, averaged. */
export async function averageKeyBytes(redis: Redis, keys: string[]): Promise<number> {
  if (keys.length === 0) return NaN;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
  const answers = (await pipeline.exec()) ?? [];
  const bytes = answers.map(([error, value]) => (error ? NaN : Number(value))).filter((v) => Number.isFinite(v) && v > 0);
  return bytes.reduce((a, b) => a + b, 0) / Math.max(1, bytes.length);
}

/** MEMORY USAGE of one key, all of it (SAMPLES 0: every element; a zset of a million entries takes Redis a moment). */
export async function keyBytes(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? NaN);
}

/** CPU the Redis process uses per second while the services idle, over `seconds`. */
export async function idleCpuMsPerSecond(pid: number | null, seconds: number): Promise<number> {
  if (!pid) return NaN;
  const before = await processCpuMs(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const after = await processCpuMs(pid);
  if (before === null || after === null) return NaN;
  return (after - before) / ((performance.now() - t0) / 1000);
}
