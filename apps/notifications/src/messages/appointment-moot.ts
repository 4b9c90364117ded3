import type { AppointmentCopyStatus } from '../database/schema.js';

/**
 * Why a message about an appointment no longer goes out, as the message log shows it (error
 * code and reason of a `cancelled` row). Plain data and functions, no I/O.
 */
export interface MootReason {
  code: 'APPOINTMENT_CANCELLED' | 'APPOINTMENT_RESCHEDULED' | 'APPOINTMENT_CHECKED_IN' | 'APPOINTMENT_NO_SHOW';
  reason: string;
}

export const APPOINTMENT_CANCELLED: MootReason = { code: 'APPOINTMENT_CANCELLED', reason: 'The appointment was cancelled' };
export const APPOINTMENT_RESCHEDULED: MootReason = { code: 'APPOINTMENT_RESCHEDULED', reason: 'The appointment was moved: this message was about the old time' };
export const APPOINTMENT_CHECKED_IN: MootReason = { code: 'APPOINTMENT_CHECKED_IN', reason: 'The patient has checked in' };
export const APPOINTMENT_NO_SHOW: MootReason = { code: 'APPOINTMENT_NO_SHOW', reason: 'The appointment was missed' };

/** Why a reminder of an appointment in this state no longer goes out. */
export const REMINDER_MOOT: Partial<Record<AppointmentCopyStatus, MootReason>> = {
  cancelled: APPOINTMENT_CANCELLED,
  checked_in: APPOINTMENT_CHECKED_IN,
  no_show: APPOINTMENT_NO_SHOW,
};

/**
 * Kinds that state the appointment's time and are written again for the new time when it moves
 * (appointment-messages.service.ts): one of an older sequence is out of date.
 */
export const STATES_THE_TIME: ReadonlySet<string> = new Set(['reminder', 'booking_confirmation', 'rescheduled', 'follow_up_booked']);

/**
 * The appointment sequence a message was written for, from its dedupe key or cause:
 * "appointment:<id>:<key>:<sequence>[:sms|:email|:none]". Null for anything else.
 */
export function appointmentSequenceOf(dedupeKeyOrCause: string | null): number | null {
  const match = dedupeKeyOrCause ? /^appointment:[^:]+:[^:]+:(\d+)(?::(?:sms|email|none))?$/.exec(dedupeKeyOrCause) : null;
  return match ? Number(match[1]) : null;
}

/** Whether a message of this kind and key is about an older version of the appointment (moved since). */
export function isOfAnOlderSequence(kind: string, dedupeKey: string | null, currentSequence: number): boolean {
  if (!STATES_THE_TIME.has(kind)) return false;
  const sequence = appointmentSequenceOf(dedupeKey);
  return sequence !== null && sequence < currentSequence;
}
