import type { DevNextDue, DevStatus } from '@aftercare/contracts';

/**
 * The virtual clock's coordinator, as plain code (no Nest, no I/O of its own): it moves the
 * shared clock forward from one due time to the next, so that everything that comes due runs
 * through the services' ordinary BullMQ path in due-time order, and waits for the system to be
 * quiet between steps (PRODUCT.md, "Time in tests and demos").
 */

/** How the coordinator talks to one service (the devStatus / devNextDue / … patterns). */
export interface ServiceProbe {
  status(service: string): Promise<DevStatus>;
  nextDue(service: string): Promise<DevNextDue>;
  runDue(service: string): Promise<void>;
  sync(service: string): Promise<void>;
}

export interface MovableClock {
  now(): Date;
  /** Moves the shared clock so that now() is `at` (never backwards). */
  moveTo(at: Date): Promise<unknown>;
}

export interface AdvanceOptions {
  /** Between two status rounds while waiting for quiet. */
  pollMs: number;
  /** Longest wait for quiet before giving up. */
  quietTimeoutMs: number;
  /** Upper bound on due times run in one advance (a safety net against endless loops). */
  maxSteps: number;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Real elapsed time, for the quiet deadline (not the virtual clock). */
  elapsedMs(): number;
}

export interface StuckDue {
  service: string;
  dueAt: string;
  reason: string;
}

export interface AdvanceResult {
  now: string;
  ranDueTimes: number;
  stuck: StuckDue[];
}

/** Nothing happened between two sightings of the same due time this many times: stuck. */
export const STUCK_AFTER_IDLE_REPEATS = 3;
/** The same due time came back this many times even though things ran: stuck all the same. */
export const STUCK_AFTER_REPEATS = 20;

export class NotQuietError extends Error {
  override readonly name = 'NotQuietError';
  constructor(
    readonly busy: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`The services did not become quiet within ${Math.round(timeoutMs / 1000)} s; still busy: ${busy.join(', ')}`);
  }
}

export class ClockAdvance {
  constructor(
    private readonly services: readonly string[],
    private readonly probe: ServiceProbe,
    private readonly clock: MovableClock,
    private readonly options: AdvanceOptions,
  ) {}

  async advance(target: Date): Promise<AdvanceResult> {
    const stuck: StuckDue[] = [];
    const sightings = new Map<string, { activity: number; idleRepeats: number; repeats: number }>();
    let ran = 0;

    for (;;) {
      const activity = await this.waitQuiet();
      if (ran >= this.options.maxSteps) {
        stuck.push({ service: '*', dueAt: this.clock.now().toISOString(), reason: `stopped after ${ran} due times in one advance` });
        break;
      }
      const next = await Promise.all(this.services.map(async (service) => ({ service, dueAt: (await this.probe.nextDue(service)).dueAt })));
      const candidates = next.filter((n): n is { service: string; dueAt: string } => n.dueAt !== null && Date.parse(n.dueAt) <= target.getTime());
      if (candidates.length === 0) break;

      const earliest = Math.min(...candidates.map((c) => Date.parse(c.dueAt)));
      if (earliest > this.clock.now().getTime()) {
        await this.clock.moveTo(new Date(earliest));
        await this.syncAll();
      }
      const now = this.clock.now().getTime();
      const due = candidates.filter((c) => Date.parse(c.dueAt) <= now);

      for (const d of due) {
        const key = `${d.service} ${d.dueAt}`;
        const seen = sightings.get(key);
        if (!seen) {
          sightings.set(key, { activity, idleRepeats: 0, repeats: 0 });
          continue;
        }
        seen.repeats++;
        seen.idleRepeats = seen.activity === activity ? seen.idleRepeats + 1 : 0;
        seen.activity = activity;
        if (seen.idleRepeats >= STUCK_AFTER_IDLE_REPEATS) {
          stuck.push({ ...d, reason: `still pending after ${seen.idleRepeats} runs with nothing handled in between` });
        } else if (seen.repeats >= STUCK_AFTER_REPEATS) {
          stuck.push({ ...d, reason: `still pending after ${seen.repeats} runs` });
        }
      }
      if (stuck.length > 0) {
        this.options.log(`stopping: ${stuck.map((s) => `${s.service} at ${s.dueAt}`).join(', ')} never leaves pending`);
        break;
      }

      await Promise.all(due.map((d) => this.probe.runDue(d.service)));
      ran++;
      this.options.log(`ran due time ${new Date(earliest).toISOString()} (${due.map((d) => d.service).join(', ')}); ${ran} so far`);
    }

    if (this.clock.now().getTime() < target.getTime()) await this.clock.moveTo(target);
    await this.syncAll();
    await this.waitQuiet();
    return { now: this.clock.now().toISOString(), ranDueTimes: ran, stuck };
  }

  /**
   * Polls every service's status until two rounds in a row find all of them idle with the same
   * summed activity (nothing ran in between). Returns that activity.
   */
  async waitQuiet(): Promise<number> {
    const deadline = this.options.elapsedMs() + this.options.quietTimeoutMs;
    let previous: number[] | null = null;
    for (;;) {
      const statuses = await Promise.all(this.services.map((s) => this.probe.status(s)));
      const activities = statuses.map((s) => s.activity);
      const total = activities.reduce((a, b) => a + b, 0);
      const allIdle = statuses.every((s) => s.idle);
      if (allIdle && previous && previous.reduce((a, b) => a + b, 0) === total) return total;

      const busy = this.services.filter((_s, i) => !statuses[i]!.idle || (previous !== null && previous[i] !== activities[i]));
      previous = allIdle ? activities : null;
      if (this.options.elapsedMs() >= deadline) {
        throw new NotQuietError(busy.length > 0 ? busy : [...this.services], this.options.quietTimeoutMs);
      }
      await this.options.sleep(this.options.pollMs);
    }
  }

  private async syncAll(): Promise<void> {
    await Promise.all(this.services.map((s) => this.probe.sync(s)));
  }
}
