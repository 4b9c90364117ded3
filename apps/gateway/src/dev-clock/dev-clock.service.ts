import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictException, GatewayTimeoutException, Inject, Injectable, Logger } from '@nestjs/common';
import { DateTime, Duration } from 'luxon';
import type { Pool } from 'pg';
import { servicePatterns, type DevNextDue, type DevStatus, type RequestContext, type ServiceName } from '@aftercare/contracts';
import { Clock, VirtualClock } from '@aftercare/clock';
import { PG_POOL } from '@aftercare/database';
import { DOWNSTREAM_SERVICES } from '../common/downstream-services.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ClockAdvance, NotQuietError, type AdvanceResult, type ServiceProbe } from './clock-advance.js';

const POLL_MS = 50;
const QUIET_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 5_000;
const MAX_STEPS = 5_000;
/** One advance at a time across every gateway replica. */
const ADVANCE_LOCK = 'aftercare.dev-clock.advance';

export interface ClockReading {
  now: string;
  offsetMs: number;
}

@Injectable()
export class DevClockService {
  private readonly logger = new Logger('DevClock');
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly services: ServiceForwarder,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async read(): Promise<ClockReading> {
    const clock = this.virtualClock();
    // Another gateway replica may have moved it since our last periodic refresh.
    await clock.refresh();
    return { now: clock.now().toISOString(), offsetMs: clock.offset };
  }

  async advance(by: string, ctx: RequestContext): Promise<AdvanceResult> {
    const clock = this.virtualClock();
    if (this.running) throw alreadyRunning();
    this.running = true;
    const client = await this.pool.connect().catch((error: unknown) => {
      this.running = false;
      throw error;
    });
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [ADVANCE_LOCK]);
      if (!rows[0]?.locked) throw alreadyRunning();
      try {
        await clock.refresh();
        const from = clock.now();
        const target = DateTime.fromJSDate(from, { zone: 'utc' }).plus(Duration.fromISO(by)).toJSDate();
        this.logger.log(`advancing the virtual clock by ${by}: ${from.toISOString()} -> ${target.toISOString()}`);
        const result = await new ClockAdvance(DOWNSTREAM_SERVICES, this.probe(ctx), clock, {
          pollMs: POLL_MS,
          quietTimeoutMs: QUIET_TIMEOUT_MS,
          maxSteps: MAX_STEPS,
          log: (line) => this.logger.log(line),
          sleep: (ms) => sleep(ms),
          elapsedMs: () => performance.now(),
        }).advance(target);
        this.logger.log(`virtual clock now ${result.now}: ran ${result.ranDueTimes} due times${result.stuck.length ? `, ${result.stuck.length} stuck` : ''}`);
        return result;
      } catch (error) {
        if (error instanceof NotQuietError) throw new GatewayTimeoutException(error.message);
        throw error;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [ADVANCE_LOCK]).catch(() => undefined);
      }
    } finally {
      client.release();
      this.running = false;
    }
  }

  private probe(ctx: RequestContext): ServiceProbe {
    const send = <T>(service: ServiceName, pattern: keyof ReturnType<typeof servicePatterns>) =>
      this.services.send<T>(servicePatterns(service)[pattern], ctx, {}, PROBE_TIMEOUT_MS);
    return {
      status: (s) => send<DevStatus>(s as ServiceName, 'devStatus'),
      nextDue: (s) => send<DevNextDue>(s as ServiceName, 'devNextDue'),
      runDue: async (s) => void (await send(s as ServiceName, 'devRunDue')),
      sync: async (s) => void (await send(s as ServiceName, 'devClockSync')),
    };
  }

  private virtualClock(): VirtualClock {
    // The module is only loaded with config.virtualClock, where ClockModule makes a VirtualClock.
    if (!(this.clock instanceof VirtualClock)) throw new Error('The dev clock needs the virtual clock (VIRTUAL_CLOCK)');
    return this.clock;
  }
}

const alreadyRunning = () => new ConflictException('A clock advance is already running; wait for it to finish and try again');
