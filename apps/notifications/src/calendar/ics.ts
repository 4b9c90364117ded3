/**
 * Builds the iCalendar (RFC 5545 / iTIP RFC 5546) invitation attached to
 * appointment emails.
 *
 * Pure function: no Nest, no I/O. The text itself is produced by the `ics`
 * package, which handles escaping and line folding.
 *
 * How mail clients use the fields:
 * - UID identifies the appointment for its whole life: a reschedule is a new
 *   REQUEST with the same UID, a cancellation a CANCEL with the same UID.
 * - SEQUENCE must grow with every change to the same UID, or clients ignore
 *   the update as stale. The caller owns the counter (it is stored with the
 *   appointment).
 * - Times are written in UTC ("...Z"), so no VTIMEZONE block is needed and
 *   every client shows the instant in its own zone.
 */
import { createEvent, type EventAttributes } from 'ics';

export interface InviteInput {
  /** Stable per appointment, e.g. `${appointmentId}@aftercare`. */
  uid: string;
  /** 0 for the first invite, then +1 for every update or cancellation. */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  startsAt: Date;
  endsAt: Date;
  /** Neutral, e.g. 'Appointment at Aftercare Demo Clinic': a calendar entry is seen by others. */
  title: string;
  location: string;
  organizerName: string;
  organizerEmail: string;
  attendeeEmail?: string;
  attendeeName?: string;
  description?: string;
  /** DTSTAMP; defaults to the current time. Pass the (virtual) clock's now for reproducible output. */
  stamp?: Date;
}

const PRODUCT_ID = '-//Aftercare//Appointments//EN';

export function buildInvite(input: InviteInput): string {
  assertValidDate(input.startsAt, 'startsAt');
  assertValidDate(input.endsAt, 'endsAt');
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    throw new RangeError('endsAt must be after startsAt');
  }
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError(`sequence must be a whole number >= 0, got ${input.sequence}`);
  }
  if (!input.uid.trim()) throw new RangeError('uid must not be empty');
  if (input.stamp) assertValidDate(input.stamp, 'stamp');

  const event: EventAttributes = {
    productId: PRODUCT_ID,
    method: input.method,
    uid: input.uid,
    sequence: input.sequence,
    // Epoch milliseconds are read as an instant and written in UTC by `ics`,
    // independent of the server's own zone.
    start: input.startsAt.getTime(),
    end: input.endsAt.getTime(),
    title: input.title,
    location: input.location,
    description: input.description,
    status: input.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED',
    // Outlook reads this to block the slot; a cancelled one blocks nothing.
    busyStatus: input.method === 'CANCEL' ? undefined : 'BUSY',
    organizer: { name: input.organizerName, email: input.organizerEmail },
    attendees: input.attendeeEmail
      ? [
          {
            name: input.attendeeName || input.attendeeEmail,
            email: input.attendeeEmail,
            role: 'REQ-PARTICIPANT',
            partstat: 'NEEDS-ACTION',
            // Patients confirm by SMS (C / R); nothing reads iTIP replies sent
            // to the organizer's mailbox, so clients should not ask for one.
            rsvp: false,
          },
        ]
      : undefined,
    ...(input.stamp ? { timestamp: input.stamp.getTime() } : {}),
  };
  // `ics` validates the attributes (e-mail addresses, status, ...) and
  // reports problems as a value, not by throwing.
  const { error, value } = createEvent(event);
  if (error || !value) {
    throw new Error(`Could not build calendar invite for ${input.uid}: ${error?.message ?? 'no output'}`);
  }
  return value;
}

function assertValidDate(value: Date, name: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
}
