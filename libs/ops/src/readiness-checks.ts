import { Injectable } from '@nestjs/common';

/**
 * One more thing a service needs before it is ready, beyond its database and Redis (which every
 * service checks): e.g. its queues not lagging. `run` throws with a short reason when not
 * ready, and may return figures to show in the answer.
 */
export interface ReadinessCheck {
  name: string;
  run(signal: AbortSignal): Promise<Record<string, unknown> | void>;
}

/** Where the parts of a service add their readiness checks (at module init). */
@Injectable()
export class ReadinessChecks {
  private readonly checks: ReadinessCheck[] = [];

  add(check: ReadinessCheck): void {
    if (this.checks.some((c) => c.name === check.name)) throw new Error(`readiness check ${check.name} is added twice`);
    this.checks.push(check);
  }

  list(): readonly ReadinessCheck[] {
    return this.checks;
  }
}
