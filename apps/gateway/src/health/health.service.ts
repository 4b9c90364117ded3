import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { servicePatterns, type RequestContext } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';
import { PG_POOL } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { DOWNSTREAM_SERVICES } from '../common/downstream-services.js';

const CHECK_TIMEOUT_MS = 2_000;

export type CheckResult = 'ok' | string;

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, CheckResult>;
}

/**
 * Whether the gateway can do its work: PostgreSQL, Redis, and each service answering its
 * health pattern. Each check has its own short deadline and they run side by side, so one
 * that hangs does not hide the others.
 */
@Injectable()
export class HealthService implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly services: ServiceForwarder,
  ) {
    // A separate connection: the transport's own ones are busy subscribing, and PING must
    // answer from Redis itself. It writes nothing.
    this.redis = new Redis({
      ...redisEndpoint(config.redis),
      lazyConnect: true,
      connectTimeout: CHECK_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      connectionName: 'aftercare-gateway-health',
    });
    this.redis.on('error', () => undefined); // reported by the check, not as an unhandled event
  }

  async check(ctx: RequestContext): Promise<HealthReport> {
    const checks: [string, () => Promise<unknown>][] = [
      ['database', () => this.pool.query('SELECT 1')],
      ['redis', () => this.redis.ping()],
      ...DOWNSTREAM_SERVICES.map((s): [string, () => Promise<unknown>] => [s, () => this.services.send(servicePatterns(s).health, ctx, {}, CHECK_TIMEOUT_MS)]),
    ];
    const results = await Promise.all(checks.map(([name, run]) => withDeadline(name, run())));
    const report: HealthReport = { status: 'ok', checks: {} };
    checks.forEach(([name], i) => {
      report.checks[name] = results[i]!;
      if (results[i] !== 'ok') report.status = 'error';
    });
    return report;
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

/** A service's own "did not answer" already names it; other errors get the check's name. */
function failure(name: string, error: unknown): string {
  if (error instanceof DomainError) return error.message;
  return `${name} failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function withDeadline(name: string, work: Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(`${name} did not answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work.then((): CheckResult => 'ok', (error: unknown) => failure(name, error)), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
