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
        ? new Date(Math.max(input.completedAt.getTime(), localInstant(localDayAfter(completed, bookingDay), step.at ?? '10:00', timezone).getTime()))
        : step.at
          ? localInstant(localDayAfter(completed, days), step.at, timezone)
          : days === 0
            ? input.completedAt
            : completed.plus({ days }).toJSDate();
    // 3: hours and minutes are real elapsed time (not for a booking step, which has its own time).
    const raw = new Date(base.getTime() + (bookingDay !== null ? 0 : elapsedMs));
    // 4: never inside quiet hours.
    const dueAt = nextAllowedTime(raw, timezone, quietHours);

    const window = step.window
      ? {
          from: localInstant(localDayAfter(completed, step.window.fromDays), '00:00', timezone),
          to: localInstant(localDayAfter(completed, step.window.toDays + 1), '00:00', timezone),
        }
      : null;

    return { index, step: { key: step.key, kind: step.kind, dueAt, window } satisfies PlannedStep };
  });

  planned.sort((a, b) => a.step.dueAt.getTime() - b.step.dueAt.getTime() || a.index - b.index);
  return planned.map((p) => p.step);
}

/** The local calendar day `days` after the local day of `local` (date arithmetic only, no time of day). */
function localDayAfter(local: DateTime, days: number): LocalDay {
  // Date.UTC rolls an out-of-range day over into the next months and years.
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** How many local instants localInstant keeps (a few per clinic zone and day; forgotten all at once past this). */
const LOCAL_INSTANTS_KEPT = 4_096;
const localInstants = new Map<string, number>();

/**
 * atLocalTime, remembered. The instant a local day's time of day falls on in a zone never
 * changes, and the completions of a day in one zone ask for the same few (day 1 at 10:00, the
 * visit window's days at 00:00, ...), each of which would cost several zone-offset look-ups
 * through Intl (the planner's main cost).
 */
function localInstant(day: LocalDay, time: string, zone: string): Date {
  const key = `${zone} ${day.year}-${day.month}-${day.day} ${time}`;
  let ts = localInstants.get(key);
  if (ts === undefined) {
    ts = atLocalTime(day, time, zone).getTime(); // throws on a bad zone or time: nothing kept
    if (localInstants.size >= LOCAL_INSTANTS_KEPT) localInstants.clear();
    localInstants.set(key, ts);
  }
  return new Date(ts);
}
