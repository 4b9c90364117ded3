/**
 * Decides when the reminders for one appointment go out.
 *
 * Pure function: no Nest, no I/O. The notifications service turns the plan
 * into BullMQ delayed jobs (one per `key`), and re-plans on reschedule.
 */
import { isInQuietHours, latestAllowedTimeBefore, type QuietHours } from '@aftercare/clock';

export interface ReminderPlanInput {
  startsAt: Date;
  /** The time of planning (booking or rescheduling); reminders not after it are dropped. */
  now: Date;
  /** The patient's IANA zone: quiet hours are the patient's night, not the clinic's. */
  timezone: string;
  quietHours: QuietHours;
  /** Minutes before `startsAt`; default 48 h and 2 h. */
  offsetsMinutes?: number[];
}

export interface PlannedReminder {
  /** Stable per offset ('reminder-48h', 'reminder-2h', 'reminder-90m'): usable as a job id suffix. */
  key: string;
  sendAt: Date;
}

export const DEFAULT_REMINDER_OFFSETS_MINUTES: readonly number[] = [48 * 60, 2 * 60];

const MINUTE_MS = 60_000;

/**
 * For each offset:
 * - the ideal time is exactly `offset` *elapsed* minutes before the start.
 *   "48 h before" across a DST change is 48 real hours, which reads as 47 or
 *   49 on the wall clock; a reminder is about lead time, not clock faces.
 * - inside quiet hours it moves EARLIER, to the last minute before quiet
 *   hours began (e.g. 20:59 the evening before). Moving it later could push
 *   a 2 h reminder for an 08:30 appointment past the appointment itself.
 * - if that time is not after `now`, it is dropped: a reminder for an
 *   appointment booked 30 hours ahead has no "48 h before", and the booking
 *   confirmation already told the patient.
 * - when two reminders land on the same instant (both pushed back to 20:59),
 *   one message is enough: the one with the larger offset is kept, i.e. the
 *   reminder that comes first in the natural sequence (48 h before 2 h).
 *
 * Returns the reminders in send order.
 */
export function planReminders(input: ReminderPlanInput): PlannedReminder[] {
  const { startsAt, now, timezone, quietHours } = input;
  assertValidDate(startsAt, 'startsAt');
  assertValidDate(now, 'now');

  const offsets = [...new Set(input.offsetsMinutes ?? DEFAULT_REMINDER_OFFSETS_MINUTES)];
  for (const offset of offsets) {
    if (!Number.isInteger(offset) || offset <= 0) {
      throw new RangeError(`Reminder offsets must be whole minutes greater than 0, got ${offset}`);
    }
  }

  // Larger offsets first, so that on a collision the earlier reminder in the
  // sequence is the one already kept.
  const byLeadTime = offsets.sort((a, b) => b - a);

  const planned: PlannedReminder[] = [];
  for (const offset of byLeadTime) {
    const ideal = new Date(startsAt.getTime() - offset * MINUTE_MS);
    const sendAt = isInQuietHours(ideal, timezone, quietHours)
      ? latestAllowedTimeBefore(ideal, timezone, quietHours)
      : ideal;

    if (sendAt.getTime() <= now.getTime()) continue;
    if (planned.some((p) => p.sendAt.getTime() === sendAt.getTime())) continue;
    planned.push({ key: reminderKey(offset), sendAt });
  }

  return planned.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime());
}

/** 2880 -> 'reminder-48h', 120 -> 'reminder-2h', 90 -> 'reminder-90m'. */
export function reminderKey(offsetMinutes: number): string {
  return offsetMinutes % 60 === 0 ? `reminder-${offsetMinutes / 60}h` : `reminder-${offsetMinutes}m`;
}

function assertValidDate(value: Date, name: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
}
