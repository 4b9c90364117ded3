/**
 * When an outbound message goes: quiet hours in the patient's zone, the frequency cap, and
 * whether a reminder is still worth sending. Pure function, no Nest, no I/O.
 *
 * - Answers to the patient's own message go at once, at any hour, and are not capped.
 * - Every other message keeps out of quiet hours (default 21:00-08:00 local). Reminders move
 *   EARLIER (a 2-hours-before reminder for an 08:30 appointment goes at 20:59 the evening
 *   before); everything else moves LATER, to the end of the quiet period.
 * - A counted SMS (frequency-cap.rule.ts) over the cap moves to the next allowed time: the
 *   first local day with room, at the end of its quiet period.
 * - A reminder must arrive at least REMINDER_MIN_LEAD_MINUTES before the appointment; one
 *   that could only go later is dropped (suppressed, with the reason), never sent late.
 */
import { isInQuietHours, latestAllowedTimeBefore, nextAllowedTime, type QuietHours } from '@aftercare/clock';
import { DateTime } from 'luxon';
import { fitsUnderCap, localDayNumber, type SmsCapLimits } from './frequency-cap.rule.js';

/** A reminder that cannot reach the patient at least this long before the appointment is dropped. */
export const REMINDER_MIN_LEAD_MINUTES = 60;

/** How many days a capped message may be moved at most before it is given up. */
export const MAX_CAP_DEFERRAL_DAYS = 31;

export type Timing =
  /** An answer to the patient's own message: at once, at any hour, not capped. */
  | { kind: 'at_once' }
  /** Confirmations, care-plan messages, waitlist texts: later, out of quiet hours. */
  | { kind: 'later' }
  /** Earlier out of quiet hours; no use after `usefulUntil`. */
  | { kind: 'reminder'; usefulUntil: Date };

export interface SendTimeInput {
  /** When the message is meant to go (a late event keeps its intended time: it goes now). */
  intended: Date;
  now: Date;
  /** The patient's IANA zone. */
  timezone: string;
  quietHours: QuietHours;
  timing: Timing;
  /** For a counted SMS: the limits and when the patient's other counted SMS go (or went). */
  cap?: { limits: SmsCapLimits; others: readonly Date[] } | null;
}

export type SendTimeDecision =
  /** `at`: the intended time when nothing moved it (it may be past: it goes at once), else the new time. */
  | { send: true; at: Date; movedBy: null | 'quiet_hours' | 'frequency_cap' }
  | { send: false; code: 'TOO_LATE' | 'FREQUENCY_CAP'; reason: string };

export function decideSendTime(input: SendTimeInput): SendTimeDecision {
  const { now, timezone, quietHours, timing } = input;
  if (timing.kind === 'at_once') return { send: true, at: input.intended, movedBy: null };
  // Rules are checked against when it will really go out; a message left where it was keeps
  // its intended time (a late one is sent at once, and the log shows when it was meant for).
  let at = input.intended < now ? now : input.intended;

  let movedBy: 'quiet_hours' | 'frequency_cap' | null = null;
  if (isInQuietHours(at, timezone, quietHours)) {
    const earlier = timing.kind === 'reminder' ? latestAllowedTimeBefore(at, timezone, quietHours) : null;
    // A reminder moves earlier while that is still ahead; otherwise (it is already night) later.
    at = earlier && earlier > now ? earlier : nextAllowedTime(at, timezone, quietHours);
    movedBy = 'quiet_hours';
  }

  if (input.cap) {
    let days = 0;
    while (!fitsUnderCap(at, input.cap.others, timezone, input.cap.limits)) {
      if (++days > MAX_CAP_DEFERRAL_DAYS || (timing.kind === 'reminder' && at > timing.usefulUntil)) {
        return { send: false, code: 'FREQUENCY_CAP', reason: capReason(input.cap.limits, timing) };
      }
      at = nextAllowedTime(startOfNextLocalDay(at, timezone), timezone, quietHours);
      movedBy = 'frequency_cap';
    }
  }

  if (timing.kind === 'reminder' && at > timing.usefulUntil) {
    return movedBy === 'frequency_cap'
      ? { send: false, code: 'FREQUENCY_CAP', reason: capReason(input.cap!.limits, timing) }
      : { send: false, code: 'TOO_LATE', reason: `Quiet hours leave no time to remind at least ${REMINDER_MIN_LEAD_MINUTES} minutes before the appointment` };
  }
  return { send: true, at: movedBy ? at : input.intended, movedBy };
}

/**
 * Quiet hours again right before a provider call at `at` (now, or when a retry would call): a
 * job can wake late (after an outage, re-created by the reconciler) and a retry's backoff can
 * cross into the night. Nothing moves earlier than `at`: a reminder in quiet hours moves to
 * their end if that is still of use, and is dropped (TOO_LATE) if not; other messages move to
 * the end of quiet hours; an answer to the patient's own message goes at once. No cap here: it
 * was decided when the message was written, for its day; a message that goes on another day is
 * placed under the cap again (needsCapCheckAtSendTime, then decideSendTime with the cap).
 */
export function decideAtSendTime(input: { at: Date; timezone: string; quietHours: QuietHours; timing: Timing }): SendTimeDecision {
  return decideSendTime({ intended: input.at, now: input.at, timezone: input.timezone, quietHours: input.quietHours, timing: input.timing });
}

/**
 * Whether a counted SMS (frequency-cap.rule.ts) must be placed under the cap again before it goes
 * at `at`: compose placed it on the patient's local day of its send time (`cappedSendAt`; null for
 * a message the cap does not count), and it now goes on another day - held by quiet hours into the
 * next morning, a retry pushed past midnight, a job woken late after an outage. That day's count
 * was never checked for it, and may be full.
 */
export function needsCapCheckAtSendTime(input: { cappedSendAt: Date | null; timing: Timing; at: Date; timezone: string }): boolean {
  if (!input.cappedSendAt || input.timing.kind === 'at_once') return false;
  return localDayNumber(input.at, input.timezone) !== localDayNumber(input.cappedSendAt, input.timezone);
}

/**
 * The timing of a message row at send time: what compose() stored (`timing`), or, for rows
 * written without one (a fallback e-mail, rows from before it was stored), from the kind - a
 * reminder of an appointment is a reminder, anything else moves later. A reminder whose
 * appointment is not known (any more) moves later.
 */
export function timingOfRow(stored: Timing['kind'] | null, kind: string, appointmentStartsAt: Date | null): Timing {
  const kindOf = stored ?? (kind === 'reminder' && appointmentStartsAt ? 'reminder' : 'later');
  if (kindOf === 'reminder') return appointmentStartsAt ? { kind: 'reminder', usefulUntil: reminderUsefulUntil(appointmentStartsAt) } : { kind: 'later' };
  return { kind: kindOf };
}

/** When a reminder stops being useful: REMINDER_MIN_LEAD_MINUTES before the appointment. */
export function reminderUsefulUntil(startsAt: Date): Date {
  return new Date(startsAt.getTime() - REMINDER_MIN_LEAD_MINUTES * 60_000);
}

function capReason(limits: SmsCapLimits, timing: Timing): string {
  const cap = `the SMS limit (${limits.daily} a day, ${limits.weekly} a week)`;
  return timing.kind === 'reminder'
    ? `Within ${cap} the reminder could only go less than ${REMINDER_MIN_LEAD_MINUTES} minutes before the appointment`
    : `No room within ${cap} in the next ${MAX_CAP_DEFERRAL_DAYS} days`;
}

/** Local midnight starting the next local day (DST-safe: luxon adds a calendar day). */
function startOfNextLocalDay(at: Date, zone: string): Date {
  return DateTime.fromJSDate(at, { zone }).plus({ days: 1 }).startOf('day').toJSDate();
}
