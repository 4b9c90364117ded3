import { describe, expect, it } from '@jest/globals';
import type { DevStatus } from '@aftercare/contracts';
import { ClockAdvance, NotQuietError, STUCK_AFTER_IDLE_REPEATS, type AdvanceOptions, type ServiceProbe } from './clock-advance.js';

const T0 = Date.parse('2030-01-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A fake system: each service has pending rows (due times); runDue handles those due by the
 * service's own idea of now (which only changes on sync), and counts activity.
 */
class FakeSystem implements ServiceProbe {
  virtualNow = T0;
  readonly calls: string[] = [];
  readonly ran: { service: string; dueAt: string }[] = [];
  readonly serviceNow = new Map<string, number>();
  readonly activity = new Map<string, number>();
  /** Rows a service can never finish (its runDue handles nothing). */
  readonly broken = new Set<string>();
  busyRounds = 0;

  constructor(readonly pending: Map<string, number[]>) {
    for (const s of pending.keys()) {
      this.serviceNow.set(s, T0);
      this.activity.set(s, 0);
    }
  }

  clock = {
    now: () => new Date(this.virtualNow),
    moveTo: async (at: Date) => {
      this.calls.push(`moveTo ${at.toISOString()}`);
      this.virtualNow = Math.max(this.virtualNow, at.getTime());
    },
  };

  async status(service: string): Promise<DevStatus> {
    if (this.busyRounds > 0) {
      this.busyRounds--;
      return { idle: false, activity: this.activity.get(service)! };
    }
    return { idle: true, activity: this.activity.get(service)! };
  }
  async nextDue(service: string) {
    const rows = this.pending.get(service)!;
    return { dueAt: rows.length ? new Date(Math.min(...rows)).toISOString() : null };
  }
  async runDue(service: string) {
    this.calls.push(`runDue ${service}`);
    if (this.broken.has(service)) return;
    const now = this.serviceNow.get(service)!;
    const rows = this.pending.get(service)!;
    const due = rows.filter((t) => t <= now).sort((a, b) => a - b);
    for (const t of due) {
      this.ran.push({ service, dueAt: new Date(t).toISOString() });
      this.activity.set(service, this.activity.get(service)! + 1);
    }
    this.pending.set(service, rows.filter((t) => t > now));
  }
  async sync(service: string) {
    this.serviceNow.set(service, this.virtualNow);
  }
}

const options = (log: string[] = []): AdvanceOptions => {
  let elapsed = 0;
  return {
    pollMs: 50,
    quietTimeoutMs: 60_000,
    maxSteps: 1_000,
    log: (line) => log.push(line),
    sleep: async (ms) => void (elapsed += ms),
    elapsedMs: () => elapsed,
  };
};

describe('ClockAdvance', () => {
  it('runs every due time up to the target in order, stepping the clock to each, then lands on the target', async () => {
    const system = new FakeSystem(
      new Map([
        ['followup', [T0 + 2 * HOUR, T0 + DAY, T0 + 3 * DAY, T0 + 20 * DAY]],
        ['notifications', [T0 + 2 * HOUR, T0 + 2 * DAY]],
        ['scheduling', []],
      ]),
    );
    const log: string[] = [];
    const result = await new ClockAdvance(['scheduling', 'followup', 'notifications'], system, system.clock, options(log)).advance(new Date(T0 + 14 * DAY));

    expect(result).toEqual({ now: new Date(T0 + 14 * DAY).toISOString(), ranDueTimes: 4, stuck: [] });
    expect(system.ran.map((r) => `${r.service} ${(Date.parse(r.dueAt) - T0) / HOUR}h`)).toEqual([
      'followup 2h',
      'notifications 2h',
      'followup 24h',
      'notifications 48h',
      'followup 72h',
    ]);
    // Beyond the target stays pending.
    expect(system.pending.get('followup')).toEqual([T0 + 20 * DAY]);
    expect(system.calls.filter((c) => c.startsWith('moveTo'))).toEqual(
      [2 * HOUR, DAY, 2 * DAY, 3 * DAY, 14 * DAY].map((ms) => `moveTo ${new Date(T0 + ms).toISOString()}`),
    );
    expect(log).toHaveLength(4);
  });

  it('runs rows that are already overdue without moving the clock first', async () => {
    const system = new FakeSystem(new Map([['followup', [T0 - HOUR]]]));
    const result = await new ClockAdvance(['followup'], system, system.clock, options()).advance(new Date(T0 + HOUR));
    expect(result.ranDueTimes).toBe(1);
    expect(system.calls.slice(0, 2)).toEqual(['runDue followup', `moveTo ${new Date(T0 + HOUR).toISOString()}`]);
  });

  it('stops and reports a row that never leaves pending', async () => {
    const system = new FakeSystem(new Map([['notifications', [T0 + HOUR, T0 + 5 * HOUR]]]));
    system.broken.add('notifications');
    const log: string[] = [];
    const result = await new ClockAdvance(['notifications'], system, system.clock, options(log)).advance(new Date(T0 + DAY));

    expect(result.stuck).toEqual([{ service: 'notifications', dueAt: new Date(T0 + HOUR).toISOString(), reason: expect.stringMatching(/still pending/) }]);
    expect(system.calls.filter((c) => c === 'runDue notifications')).toHaveLength(STUCK_AFTER_IDLE_REPEATS);
    expect(result.now).toBe(new Date(T0 + DAY).toISOString());
    expect(log.at(-1)).toMatch(/never leaves pending/);
  });

  it('waits for two quiet rounds in a row before looking for due times', async () => {
    const system = new FakeSystem(new Map([['followup', []]]));
    system.busyRounds = 3;
    await new ClockAdvance(['followup'], system, system.clock, options()).advance(new Date(T0 + HOUR));
    expect(system.busyRounds).toBe(0);
  });

  it('gives up waiting for quiet after the deadline and names the busy service', async () => {
    const system = new FakeSystem(new Map([['scheduling', []], ['followup', []]]));
    system.status = async (service) => ({ idle: service !== 'followup', activity: 0 });
    const advance = new ClockAdvance(['scheduling', 'followup'], system, system.clock, options()).advance(new Date(T0 + HOUR));
    await expect(advance).rejects.toThrow(NotQuietError);
    await expect(advance).rejects.toThrow(/still busy: followup$/);
  });
});
