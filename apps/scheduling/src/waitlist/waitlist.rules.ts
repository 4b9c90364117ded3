/**
 * Waitlist rules: who may be offered a freed slot, and how long an offer stays open.
 * Pure: no Nest, no I/O, no clock of its own.
 */
import { DateTime } from 'luxon';
import { nextAllowedTime, type QuietHours } from '@aftercare/clock';

export interface WaitingEntry {
  id: string;
  patientId: string;
  clinicianId: string | null;
  /** Local dates of the clinic, inclusive. */
  earliestDate: string;
  latestDate: string;
  createdAt: Date;
}

export interface FreedSlot {
  clinicianId: string;
  startsAt: Date;
  clinicTimezone: string;
  /** The patient who gave it up is not offered their own slot back. */
  releasedByPatientId: string | null;
}

/**
 * Entries that could take the freed time, first come first served: the clinician is theirs
 * (or they take any), the slot's local date is within their dates, and it is not their own.
 * Whether the time fits their procedure type (duration, rooms) is for the slot finder to say.
 */
export function candidatesForSlot<E extends WaitingEntry>(entries: E[], slot: FreedSlot): E[] {
  const date = DateTime.fromJSDate(slot.startsAt, { zone: slot.clinicTimezone }).toISODate()!;
  return entries
    .filter(
      (e) =>
        (e.clinicianId === null || e.clinicianId === slot.clinicianId) &&
        e.earliestDate <= date &&
        date <= e.latestDate &&
        e.patientId !== slot.releasedByPatientId,
    )
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

/** An offer should close this long before the slot, so the patient can still get there. */
export const OFFER_LEAD_MINUTES = 60;
/** Shorter than this is not a fair chance to answer: no offer. */
export const MIN_OFFER_MINUTES = 15;

/**
 * When an offer made now closes, or null when it is too late to offer this slot. The SMS goes
 * out at the end of quiet hours if now is inside them, and the patient gets the full time from
 * then; the offer closes at least an hour before the slot.
 */
export function offerExpiry(input: { now: Date; slotStartsAt: Date; offerMinutes: number; patientTimezone: string; quietHours: QuietHours }): Date | null {
  const sendAt = nextAllowedTime(input.now, input.patientTimezone, input.quietHours);
  const latest = input.slotStartsAt.getTime() - OFFER_LEAD_MINUTES * 60_000;
  const expiresAt = Math.min(sendAt.getTime() + input.offerMinutes * 60_000, latest);
  if (expiresAt - sendAt.getTime() < MIN_OFFER_MINUTES * 60_000) return null;
  return new Date(expiresAt);
}
