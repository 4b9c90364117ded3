import { Controller, Inject, Optional } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { Pool } from 'pg';
import { servicePatterns, type ServiceName } from '@aftercare/contracts';
import { PG_POOL } from '@aftercare/database';
import { DevClockParticipant } from './dev-clock.participant.js';
import { SCHEDULED_SOURCES, type ScheduledSource } from './scheduled-source.js';

/**
 * The patterns every service answers: health, and its part in the virtual clock. Built per
 * service because a pattern is fixed when the class is decorated.
 */
export function createServiceController(service: ServiceName) {
  const p = servicePatterns(service);

  @Controller()
  class ServiceController {
    constructor(
      @Inject(PG_POOL) readonly pool: Pool,
      @Inject(SCHEDULED_SOURCES) readonly sources: ScheduledSource[],
      @Optional() readonly dev?: DevClockParticipant,
    ) {}

    @MessagePattern(p.health)
    async health() {
      await this.pool.query('SELECT 1');
      for (const source of this.sources) await source.queue.getJobCounts('waiting');
      return { service, ok: true };
    }

    @MessagePattern(p.devClockSync)
    sync() {
      return this.required().syncClock();
    }

    @MessagePattern(p.devNextDue)
    nextDue() {
      return this.required().nextDue();
    }

    @MessagePattern(p.devRunDue)
    runDue() {
      return this.required().runDue();
    }

    @MessagePattern(p.devStatus)
    status() {
      return this.required().status();
    }

    private required(): DevClockParticipant {
      if (!this.dev) throw new Error('The virtual clock is off (production)');
      return this.dev;
    }
  }
  return ServiceController;
}
