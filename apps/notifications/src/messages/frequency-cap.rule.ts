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
 * Kinds held back by the cap: moved to the next allowed time, or dropped when that is too late.
 * Every automated SMS but confirmations and answers to the patient's own texts.
 */
export const CAPPED_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>(['reminder', 'aftercare', 'checkin']);
/**
 * Kinds that count towards the cap: the capped ones, and the waitlist offer - automated, so it
 * uses the patient's daily and weekly allowance, but never held back by it: the offer is open for
 * a couple of hours, and held to the next day it would reach the patient closed.
 */
export const COUNTED_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>([...CAPPED_KINDS, 'waitlist_offer']);

/** Whether an SMS of this kind is held back by the cap. */
export const heldByCap = (kind: string): boolean => CAPPED_KINDS.has(kind as MessageKind);
/** Whether an SMS of this kind counts towards the cap. */
export const countsTowardCap = (kind: string): boolean => COUNTED_KINDS.has(kind as MessageKind);

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
