import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Machine } from './report.js';

/** What the results say about the machine: cores, CPU, memory, versions. */
export async function machine(db: pg.Pool, redisUrl: string, code: string = codeVersion()): Promise<Machine> {
  const pgVersion = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let redisVersion = 'unknown';
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
  let nproc = String(os.availableParallelism());
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* keep Node's count */
  }
  return {
    code,
    nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    postgres: pgVersion,
    redis: redisVersion,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

/** Which code was measured: the commit, and how many files of apps/ and libs/ differ from it (others may be editing). */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted file${dirty === 1 ? '' : 's'} in apps/ and libs/ (as built into dist/ by this run)` : head;
  } catch {
    return 'unknown (no git)';
  }
}
