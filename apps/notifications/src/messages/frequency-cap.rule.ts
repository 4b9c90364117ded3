/**
 * The frequency cap: how many automated SMS a patient gets, per local day and per week.
 * Pure functions, no Nest, no I/O.
 *
 * - Days are the patient's local calendar days (IANA zone): "2 a day" is what the patient
 *   sees on their phone, whatever the UTC date.
 * - The week is any 7 consecutive local days (rolling), not a calendar week: a fixed week would
 *   allow 6 on a Sunday and 6 more on the Monday.
 * - Counted: the messages the system sends on its own schedule - reminders and care-plan
 *   messages (aftercare, check-ins). Not counted: confirmations of what the patient arranged
 *   (booking, reschedule, cancellation, the follow-up visit booked for them), answers to the
 *   patient's own texts, and the waitlist conversation the patient asked to be in (an offer is
 *   time-bound; holding it back would lose the patient the slot).
 */
import { DateTime } from 'luxon';
import type { MessageKind } from '../templates/message.templates.js';

export interface SmsCapLimits {
  daily: number;
  weekly: number;
}

/**
 * Kinds that count towards (and are held back by) the cap. Not the waitlist offer: the patient
 * asked to be told of an opening, the offer is open a couple of hours (held, it would arrive
 * closed), and counted it would push out the reminders of the very visit it books.
 */
export const CAPPED_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>(['reminder', 'aftercare', 'checkin']);

export const countsTowardCap = (kind: string): boolean => CAPPED_KINDS.has(kind as MessageKind);

const DAY_MS = 86_400_000;

/** The patient's local calendar day of an instant, as a day number (days since 1970-01-01). */
export function localDayNumber(at: Date, zone: string): number {
  const local = DateTime.fromJSDate(at, { zone });
  if (!local.isValid) throw new RangeError(`Invalid time zone "${zone}"`);
  return Math.round(Date.UTC(local.year, local.month - 1, local.day) / DAY_MS);
}

/**
 * Whether one more counted SMS at `at` keeps the patient within both limits, given when their
 * other counted SMS go (or went). Every 7-day window that contains `at`'s day is checked, so a
 * message placed between two busy weeks cannot tip either over.
 */
export function fitsUnderCap(at: Date, others: readonly Date[], zone: string, limits: SmsCapLimits): boolean {
  const day = localDayNumber(at, zone);
  const perDay = new Map<number, number>();
  for (const other of others) {
    const d = localDayNumber(other, zone);
    if (Math.abs(d - day) <= 6) perDay.set(d, (perDay.get(d) ?? 0) + 1);
  }
  if ((perDay.get(day) ?? 0) + 1 > limits.daily) return false;
  for (let start = day - 6; start <= day; start++) {
    let count = 1;
    for (let d = start; d < start + 7; d++) count += perDay.get(d) ?? 0;
    if (count > limits.weekly) return false;
  }
  return true;
}

/**
 * When a counted SMS goes or went, for the cap: a sent one at `sent_at`; one being sent at its
 * claim (`updated_at`: `due_at` is the claim's lease end); one whose earlier call may have gone
 * (`unconfirmed_since`) from that call on; any other at its due time (`due_at`: its send time, or
 * later when quiet hours or a retry hold it). `unconfirmed_since` is the database's time, the
 * others the Clock's: under the virtual clock of the demo and the drills an unconfirmed message
 * may count on the real day.
 */
export function cappedTime(r: { status: string; dueAt: Date | null; sentAt: Date | null; unconfirmedSince: Date | null; updatedAt: Date }): Date {
  if (r.sentAt) return r.sentAt;
  if (r.status === 'sending') return r.updatedAt;
  const due = r.dueAt!;
  return r.unconfirmedSince && r.unconfirmedSince < due ? r.unconfirmedSince : due;
}
