/**
 * The rules of the clinician's actions on due-list items: when a snooze ends, by when a repeat
 * injection is booked, when a reassessment comes due. Plain functions, no Nest, no I/O.
 */
import { DateTime } from 'luxon';
import type { RepeatDecision } from '@aftercare/contracts';

/** A snooze longer than this is a plan, not a snooze: decide or reassign instead. */
export const SNOOZE_MAX_DAYS = 180;
/** A repeat injection is booked within a year at the latest. */
export const BOOK_BY_MAX_DAYS = 365;
export const REASSESS_WEEKS = { min: 1, max: 26 } as const;
/** A reassessment comes due at this local hour, the start of a clinic day. */
export const REASSESS_LOCAL_HOUR = 9;

/** A rule broken by the request, naming the field at fault. */
export class ActionProblem extends Error {
  override readonly name = 'ActionProblem';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A moment the client named: an ISO date-time with offset, or a local date 'YYYY-MM-DD' meaning
 * the start of that day in the patient's zone (a snoozed item is back on the morning of that day).
 */
export function parseMoment(value: string, zone: string, field: string): Date {
  const at = LOCAL_DATE.test(value) ? DateTime.fromISO(value, { zone }).startOf('day') : DateTime.fromISO(value, { setZone: true });
  if (!at.isValid) throw new ActionProblem(field, `${field} must be an ISO 8601 date-time with offset or a date YYYY-MM-DD`);
  return at.toJSDate();
}

/** When a snooze ends: after now, and no more than SNOOZE_MAX_DAYS ahead. */
export function snoozeEnd(until: string, now: Date, zone: string): Date {
  const end = parseMoment(until, zone, 'until');
  if (end.getTime() <= now.getTime()) throw new ActionProblem('until', 'until must be in the future');
  if (end.getTime() > now.getTime() + SNOOZE_MAX_DAYS * 86_400_000) throw new ActionProblem('until', `until must be within ${SNOOZE_MAX_DAYS} days`);
  return end;
}

/** By when a repeat injection is booked: the clinician's date (a local date means its end), after now, within a year. */
export function chosenBookBy(bookBy: string, now: Date, zone: string): Date {
  const at = LOCAL_DATE.test(bookBy) ? DateTime.fromISO(bookBy, { zone }).endOf('day').toJSDate() : parseMoment(bookBy, zone, 'bookBy');
  if (Number.isNaN(at.getTime())) throw new ActionProblem('bookBy', 'bookBy must be an ISO 8601 date-time with offset or a date YYYY-MM-DD');
  if (at.getTime() <= now.getTime()) throw new ActionProblem('bookBy', 'bookBy must be in the future');
  if (at.getTime() > now.getTime() + BOOK_BY_MAX_DAYS * 86_400_000) throw new ActionProblem('bookBy', `bookBy must be within ${BOOK_BY_MAX_DAYS} days`);
  return at;
}

/** A reassessment in N weeks: that local day at REASSESS_LOCAL_HOUR (DST-safe: weeks in the zone). */
export function reassessDueAt(now: Date, weeks: number, zone: string): Date {
  if (!Number.isInteger(weeks) || weeks < REASSESS_WEEKS.min || weeks > REASSESS_WEEKS.max) {
    throw new ActionProblem('reassessInWeeks', `reassessInWeeks must be a whole number from ${REASSESS_WEEKS.min} to ${REASSESS_WEEKS.max}`);
  }
  return DateTime.fromJSDate(now, { zone }).plus({ weeks }).set({ hour: REASSESS_LOCAL_HOUR, minute: 0, second: 0, millisecond: 0 }).toJSDate();
}

/** The decision a request asks for: `decision`, or the first API's `repeatInjection`. */
export function decisionOf(input: { decision?: RepeatDecision | null; repeatInjection?: boolean | null }): RepeatDecision {
  const { decision, repeatInjection } = input;
  const legacy = repeatInjection === true ? 'repeat' : repeatInjection === false ? 'no_repeat' : null;
  if (decision && legacy && decision !== legacy) {
    throw new ActionProblem('repeatInjection', `repeatInjection ${repeatInjection} contradicts decision ${decision}: send one of them`);
  }
  const chosen = decision ?? legacy;
  if (!chosen) throw new ActionProblem('decision', 'decision is required: repeat, no_repeat or reassess');
  return chosen;
}

/** What each decision needs and may not carry. */
export function checkDecisionFields(decision: RepeatDecision, input: { bookBy?: string | null; reassessInWeeks?: number | null; outcome?: string | null }): void {
  if (decision === 'reassess' && (input.reassessInWeeks === undefined || input.reassessInWeeks === null)) {
    throw new ActionProblem('reassessInWeeks', 'reassessInWeeks is required to reassess');
  }
  if (decision !== 'reassess' && input.reassessInWeeks != null) throw new ActionProblem('reassessInWeeks', 'reassessInWeeks goes with decision reassess only');
  if (decision !== 'repeat' && input.bookBy != null) throw new ActionProblem('bookBy', 'bookBy goes with decision repeat only');
  if (decision !== 'no_repeat' && input.outcome != null) throw new ActionProblem('outcome', 'outcome goes with decision no_repeat only');
}
