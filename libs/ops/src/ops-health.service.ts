import { Inject, Injectable, Logger, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';
import { PG_POOL } from '@aftercare/database';
import { assertEventLoopResponsive, EventLoopMonitor } from './event-loop.monitor.js';
import { ReadinessChecks } from './readiness-checks.js';
import { OPS_SERVICE } from './ops.tokens.js';

/** Each check's own deadline: a probe must answer before the orchestrator's timeout. */
export const CHECK_TIMEOUT_MS = 2_000;

/** A health answer: 200 with terminus's body, or 503 with the same shape naming what is down. */
export interface HealthAnswer {
  httpStatus: 200 | 503;
  body: HealthCheckResult;
}

/**
 * Liveness and readiness of one service, with @nestjs/terminus.
 * - live: the process runs and its event loop is not stalling (restart it if not);
 * - ready: its database and Redis answer and the extra checks its parts added pass (e.g. its
 *   queues are not lagging) - send it no work if not, it recovers on its own.
 */
@Injectable()
export class OpsHealth implements OnApplicationShutdown {
  private readonly logger = new Logger('Health');
  private readonly redis: Redis;
  private wasReady: boolean | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly loop: EventLoopMonitor,
    private readonly readiness: ReadinessChecks,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(OPS_SERVICE) service: string,
  ) {
    // Its own connection, writing nothing: the transport's and BullMQ's are busy blocking or
    // subscribing, and PING must be answered by Redis itself.
    this.redis = new Redis({
      ...redisEndpoint(config.redis),
      lazyConnect: true,
      connectTimeout: CHECK_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      connectionName: `aftercare-${service}-health`,
    });
    this.redis.on('error', () => undefined); // reported by the check, not as an unhandled event
  }

  live(): Promise<HealthAnswer> {
    return this.answer([() => this.indicators.check('eventLoop').attempt(() => assertEventLoopResponsive(this.loop.recentMaxDelayMs()))]);
  }

  async ready(): Promise<HealthAnswer> {
    const answer = await this.answer([
      () => this.indicators.check('database').attempt(() => this.pool.query('SELECT 1').then(() => undefined)).withTimeout(CHECK_TIMEOUT_MS),
      () => this.indicators.check('redis').attempt(() => this.redis.ping().then(() => undefined)).withTimeout(CHECK_TIMEOUT_MS),
      ...this.readiness.list().map((check) => () => this.indicators.check(check.name).attempt(({ signal }) => check.run(signal)).withTimeout(CHECK_TIMEOUT_MS)),
    ]);
    this.noteChange(answer);
    return answer;
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  private async answer(checks: HealthIndicatorFunction[]): Promise<HealthAnswer> {
    try {
      return { httpStatus: 200, body: await this.health.check(checks) };
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return { httpStatus: 503, body: error.getResponse() as HealthCheckResult };
      throw error;
    }
  }

  /** One log line when readiness changes, not one per probe. */
  private noteChange({ httpStatus, body }: HealthAnswer): void {
    const ready = httpStatus === 200;
    if (ready === this.wasReady) return;
    if (!ready) {
      const down = Object.entries(body.error ?? {}).map(([name, detail]) => `${name}: ${(detail as { message?: string }).message ?? 'down'}`);
      this.logger.warn(`not ready (${down.join('; ') || body.status})`);
    } else if (this.wasReady === false) {
      this.logger.log('ready again');
    }
    this.wasReady = ready;
  }
}
