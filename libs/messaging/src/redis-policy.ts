import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';

/**
 * What Redis says about the settings the system depends on; null where it would not say
 * (CONFIG disabled or renamed, as managed Redis services often do, or Redis not answering).
 */
export interface RedisSettings {
  maxmemoryPolicy: string | null;
  appendonly: string | null;
  /** The `save` setting: '' means no RDB snapshots. */
  save: string | null;
}

export interface RedisPolicyVerdict {
  /** Set when the service must not start: says what to change. */
  refusal: string | null;
  warnings: string[];
}

/**
 * BullMQ keeps delayed jobs (care-plan steps, reminders) and the transport's bookkeeping in
 * Redis: an evicting policy silently drops them under memory pressure. The reconciler would
 * re-create lost jobs from PostgreSQL, but late and only for what it knows of, so production
 * insists on `noeviction` (Redis then refuses writes instead, which the services see and retry).
 * Persistence off is survivable by design (rows come first) but costs a reconcile after every
 * Redis restart, so it is only a warning.
 */
export function judgeRedisSettings(settings: RedisSettings, production: boolean): RedisPolicyVerdict {
  const warnings: string[] = [];
  let refusal: string | null = null;
  const policy = settings.maxmemoryPolicy;
  if (policy === null) {
    warnings.push('could not check Redis maxmemory-policy (CONFIG GET is disabled or renamed); make sure it is noeviction');
  } else if (policy !== 'noeviction') {
    const problem = `Redis maxmemory-policy is "${policy}": it may evict queued jobs; set maxmemory-policy noeviction (redis.conf or CONFIG SET maxmemory-policy noeviction)`;
    if (production) refusal = problem;
    else warnings.push(problem);
  }
  if (settings.appendonly !== null && settings.save !== null && settings.appendonly !== 'yes' && settings.save.trim() === '') {
    warnings.push('Redis persistence is off (appendonly no, no save points): after a Redis restart every pending job is re-created from PostgreSQL by the reconciler; consider appendonly yes');
  }
  return { refusal, warnings };
}

/** The answer of CONFIG GET <name>, or null when CONFIG is refused (disabled, renamed, ACL). */
async function configGet(redis: Redis, name: string): Promise<string | null> {
  try {
    const answer = (await redis.call('CONFIG', 'GET', name)) as unknown;
    if (Array.isArray(answer) && answer.length >= 2) return String(answer[1]);
    return null;
  } catch {
    return null;
  }
}

/** Reads the settings over a short-lived connection; null when Redis does not answer in time. */
export async function readRedisSettings(config: AppConfig['redis'], timeoutMs = 5_000): Promise<RedisSettings | null> {
  const redis = new Redis({
    ...redisEndpoint(config),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    // disconnect() after a refused connection arms a timer nothing clears early (2 s by default),
    // which would hold the process's exit back (see redisTransportOptions).
    disconnectTimeout: 200,
  });
  // A refused connection is reported by connect(); no unhandled 'error' event.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [maxmemoryPolicy, appendonly, save] = [await configGet(redis, 'maxmemory-policy'), await configGet(redis, 'appendonly'), await configGet(redis, 'save')];
    return { maxmemoryPolicy, appendonly, save };
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/**
 * Checks Redis's eviction policy and persistence when the module starts (every service that
 * uses Redis has MessagingModule). In production an evicting policy stops the start-up with a
 * message saying what to set; elsewhere it is a warning.
 */
@Injectable()
export class RedisPolicyCheck implements OnModuleInit {
  private readonly logger = new Logger('Redis');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const settings = await readRedisSettings(this.config.redis);
    if (!settings) {
      // The transport and the queues keep retrying the connection; nothing more to do here.
      this.logger.warn(`could not check Redis settings: no answer from ${this.config.redis.host}:${this.config.redis.port}`);
      return;
    }
    const verdict = judgeRedisSettings(settings, this.config.production);
    for (const warning of verdict.warnings) this.logger.warn(warning);
    if (verdict.refusal) throw new Error(`refusing to start in production: ${verdict.refusal}`);
  }
}
