/**
 * The protocol planner: turns a protocol and a completed procedure into the due times of a care
 * plan. Plain function, no Nest, no I/O; the Nest side stores the result and schedules the jobs.
 *
 * Every time is computed in the *patient's* IANA time zone (PRODUCT.md), per step:
 *   1. `offset.days` are added as calendar days in that zone, so "+7 days" keeps the local time
 *      of day across a DST change (luxon `plus({ days })` in the zone);
 *   2. if `at` is set, the local time of day is set to it ("+7 days at 10:00" is 10:00 local);
 *   3. `offset.hours` / `offset.minutes` are added as elapsed time ("+2 h" is two real hours);
 *   4. a due time inside the patient's quiet hours moves to the next allowed time.
 * A follow_up_visit step also gets its booking window: from the start of local day
 * (completion day + fromDays) to the start of local day (completion day + toDays + 1), exclusive,
 * i.e. both window days are whole local days. Such a step is due when the visit is *booked*:
 * `bookAheadDays` before the window opens, at `at` (10:00 by default) local, never before the
 * procedure; the offset is the visit's nominal day.
 */
import { DateTime } from 'luxon';
import { atLocalTime, nextAllowedTime, type LocalDay, type QuietHours } from '@aftercare/clock';
import { DEFAULT_BOOK_AHEAD_DAYS, validateProtocol, type ProtocolDefinition, type StepKind } from './protocol.js';

export interface PlannedStep {
  key: string;
  kind: StepKind;
  dueAt: Date;
  /** Booking window of a follow_up_visit step (end exclusive); null for every other step. */
  window: { from: Date; to: Date } | null;
}

export interface PlanInput {
  completedAt: Date;
  /** The patient's IANA time zone. */
  timezone: string;
  /** The patient's quiet hours (DEFAULT_QUIET_HOURS unless configured otherwise). */
  quietHours: QuietHours;
}

const MINUTE_MS = 60_000;

/**
 * The planned steps, sorted by due time, ties kept in protocol order.
 * Throws if the protocol is invalid or the completion time or time zone is not usable.
 */
export function planCarePlan(protocol: ProtocolDefinition, input: PlanInput): PlannedStep[] {
  const problems = validateProtocol(protocol);
  if (problems.length > 0) {
    throw new Error(`Protocol ${protocol.code} v${protocol.version} is invalid: ${problems.join('; ')}`);
  }
  const { timezone, quietHours } = input;
  const completed = DateTime.fromJSDate(input.completedAt, { zone: timezone });
  if (!completed.isValid) {
    throw new Error(`Cannot plan from completedAt ${String(input.completedAt)} in time zone "${timezone}": ${completed.invalidExplanation ?? completed.invalidReason}`);
  }

  const planned = protocol.steps.map((step, index) => {
    const days = step.offset.days ?? 0;
    const elapsedMs = ((step.offset.hours ?? 0) * 60 + (step.offset.minutes ?? 0)) * MINUTE_MS;

    // 1–2: calendar days in the patient's zone, then the local time of day if the step fixes one.
    const bookingDay = step.window ? Math.max(0, step.window.fromDays - (step.bookAheadDays ?? DEFAULT_BOOK_AHEAD_DAYS)) : null;
    const base =
      bookingDay !== null
        ? new Date(Math.max(input.completedAt.getTime(), atLocalTime(localDayAfter(completed, bookingDay), step.at ?? '10:00', timezone).getTime()))
        : step.at
          ? atLocalTime(localDayAfter(completed, days), step.at, timezone)
          : completed.plus({ days }).toJSDate();
    // 3: hours and minutes are real elapsed time (not for a booking step, which has its own time).
    const raw = new Date(base.getTime() + (bookingDay !== null ? 0 : elapsedMs));
    // 4: never inside quiet hours.
    const dueAt = nextAllowedTime(raw, timezone, quietHours);

    const window = step.window
      ? {
          from: atLocalTime(localDayAfter(completed, step.window.fromDays), '00:00', timezone),
          to: atLocalTime(localDayAfter(completed, step.window.toDays + 1), '00:00', timezone),
        }
      : null;

    return { index, step: { key: step.key, kind: step.kind, dueAt, window } satisfies PlannedStep };
  });

  planned.sort((a, b) => a.step.dueAt.getTime() - b.step.dueAt.getTime() || a.index - b.index);
  return planned.map((p) => p.step);
}

/** The local calendar day `days` after the local day of `local` (date arithmetic only, no time of day). */
function localDayAfter(local: DateTime, days: number): LocalDay {
  const d = DateTime.utc(local.year, local.month, local.day).plus({ days });
  return { year: d.year, month: d.month, day: d.day };
}
