/**
 * Booking tasks: the front desk's list of what to book, for whom and by when (PRODUCT.md,
 * "Who uses it"). Plain functions, no Nest, no I/O.
 *
 * A task's reason is read by the front desk, which must never see check-in answers: reasons
 * say what to book and why in booking terms only — no pain scores, answers or notes.
 */
import { DateTime } from 'luxon';
import type { BookingTaskSource } from '@aftercare/contracts';

/** The procedure type code of a follow-up visit (scheduling's catalogue). */
export const FOLLOW_UP_VISIT = 'follow_up_visit';

/**
 * Shown when the type of the appointment a task is about cannot be known (a reschedule request
 * raised before tasks recorded it, or one about an appointment scheduling does not know).
 */
export const UNKNOWN_PROCEDURE_TYPE = 'unknown';

/**
 * A repeat injection is to be booked within four weeks of the clinician's "yes". PRODUCT.md
 * gives no figure; four weeks leaves time to find a slot with the clinician, the procedure room
 * and the centrifuge, and is a default the clinic can tighten by booking sooner.
 */
export const REPEAT_INJECTION_BOOK_WITHIN_DAYS = 28;

/** A cancelled or missed follow-up visit whose window has passed: book a new one within a week. */
export const REBOOK_WITHIN_DAYS = 7;

export type VisitEnd = 'cancelled' | 'no_show';

export const BOOKING_TASK_REASONS = {
  follow_up_visit: 'No free slot for the follow-up visit in its window: book one with the patient',
  repeat_injection: 'Book a repeat injection with the same clinician',
  reschedule_request: 'The patient asked by SMS to reschedule this appointment',
  rebook: {
    cancelled: 'Follow-up visit was cancelled — book a new one',
    no_show: 'Patient missed the follow-up visit — book a new one',
  },
  call_patient: 'No text or e-mail reached the patient: call them',
  confirm_opt_out: 'The patient asked by text to stop messages: call to confirm, then record the opt-out (or reply STOP on their behalf)',
} as const satisfies Record<BookingTaskSource, string | Record<VisitEnd, string>>;

/** `days` calendar days later in `zone`, so the deadline keeps its local time across DST. */
function plusDays(at: Date, days: number, zone: string): Date {
  return DateTime.fromJSDate(at, { zone }).plus({ days }).toJSDate();
}

/** Book the repeat injection by the decision's date + REPEAT_INJECTION_BOOK_WITHIN_DAYS. */
export function repeatInjectionBookBy(decidedAt: Date, zone: string): Date {
  return plusDays(decidedAt, REPEAT_INJECTION_BOOK_WITHIN_DAYS, zone);
}

/** The repeat-injection task comes due on the front desk's list at its book-by date, or two weeks after the decision if that is sooner. */
export const REPEAT_INJECTION_DUE_WITHIN_DAYS = 14;

export function repeatInjectionDueAt(decidedAt: Date, bookBy: Date, zone: string): Date {
  const fortnight = plusDays(decidedAt, REPEAT_INJECTION_DUE_WITHIN_DAYS, zone);
  return bookBy < fortnight ? bookBy : fortnight;
}

/**
 * The end of a follow-up visit's booking window when its protocol step gives none: two calendar
 * days after the step came due, in the patient's zone.
 */
export const VISIT_WINDOW_DEFAULT_DAYS = 2;

export function defaultVisitWindowEnd(dueAt: Date, zone: string): Date {
  return plusDays(dueAt, VISIT_WINDOW_DEFAULT_DAYS, zone);
}

/**
 * A cancelled or missed follow-up visit is rebooked within the care plan's original window
 * while its end is still ahead; once the window has passed, within REBOOK_WITHIN_DAYS of the
 * cancellation or no-show.
 */
export function rebookBookBy(windowEnd: Date | null, at: Date, zone: string): Date {
  if (windowEnd && windowEnd.getTime() > at.getTime()) return windowEnd;
  return plusDays(at, REBOOK_WITHIN_DAYS, zone);
}

/**
 * The natural key of a rebook task, with its appointment: one task per appointment and change
 * (the iCalendar SEQUENCE), however often the cancellation or no-show is delivered.
 */
export function rebookCause(sequence: number): string {
  return `rebook:${sequence}`;
}

/** A uuid as PostgreSQL takes it: anything else cannot name a task (and must not fail a query). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A call or an opt-out to confirm is for today: by the end of the next day in the patient's zone. */
export function callBookBy(at: Date, zone: string): Date {
  return DateTime.fromJSDate(at, { zone }).plus({ days: 1 }).endOf('day').toJSDate();
}

/** The natural key of a task or item caused by one message: once per message. */
export function messageCause(messageId: string): string {
  return `message:${messageId}`;
}

/** How many of the patient's latest texts an open "the patient wrote" item shows. */
export const TEXTS_SHOWN = 3;
const TEXT_MAX = 480;

/**
 * The reason of the clinician's attention item for a patient's own words: the latest texts,
 * newest first, each cut to a length a list can show (the message log has them whole).
 */
export function patientTextReason(texts: string[]): string {
  const shown = texts.slice(0, TEXTS_SHOWN).map((t) => {
    const flat = t.replace(/\s+/g, ' ').trim();
    return `“${flat.length > TEXT_MAX ? `${flat.slice(0, TEXT_MAX - 1)}…` : flat}”`;
  });
  return `Patient wrote: ${shown.join(' · ')}`;
}
