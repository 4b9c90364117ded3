/**
 * Builds the iCalendar (RFC 5545 / iTIP RFC 5546) invitation attached to
 * appointment emails.
 *
 * Pure function: no Nest, no I/O. The text is produced by `ical-generator`
 * (escaping, line folding); the VTIMEZONE comes from `./vtimezone.ts`.
 *
 * How mail clients use the fields:
 * - UID identifies the appointment for its whole life: a reschedule is a new
 *   REQUEST with the same UID, a cancellation a CANCEL with the same UID.
 * - SEQUENCE must grow with every change to the same UID, or clients ignore
 *   the update as stale. The caller owns the counter (it is stored with the
 *   appointment).
 * - DTSTART / DTEND are the clinic's wall time with its TZID, and the
 *   VTIMEZONE of that zone travels with the invite: the appointment is where
 *   the clinic is, and a client in another zone converts it correctly (also
 *   across a DST change). One exception: a wall time in the hour repeated
 *   when clocks go back names two instants, so such an event is written in
 *   UTC.
 */
import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventBusyStatus,
  ICalEventStatus,
  ICalEventTransparency,
} from 'ical-generator';
import { DateTime } from 'luxon';
import { buildVtimezone, ianaZone, isWallTimeUnambiguous } from './vtimezone.js';

export interface InviteInput {
  /** Stable per appointment, e.g. `${appointmentId}@aftercare`. */
  uid: string;
  /** 0 for the first invite, then +1 for every update or cancellation. */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  startsAt: Date;
  endsAt: Date;
  /** IANA zone of the clinic (where the appointment physically is). */
  timezone: string;
  /** Neutral, e.g. 'Appointment at Aftercare Demo Clinic': a calendar entry is seen by others. */
  title: string;
  location: string;
  organizerName: string;
  organizerEmail: string;
  attendeeEmail?: string;
  attendeeName?: string;
  description?: string;
  /** DTSTAMP: the (virtual) clock's now. */
  stamp: Date;
}

const PRODUCT_ID = { company: 'Aftercare', product: 'Appointments', language: 'EN' };
/** Deliberately plain: enough to refuse a typo, not an RFC 5322 parser. */
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

export function buildInvite(input: InviteInput): string {
  assertValidDate(input.startsAt, 'startsAt');
  assertValidDate(input.endsAt, 'endsAt');
  assertValidDate(input.stamp, 'stamp');
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    throw new RangeError('endsAt must be after startsAt');
  }
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError(`sequence must be a whole number >= 0, got ${input.sequence}`);
  }
  if (!input.uid.trim()) throw new RangeError('uid must not be empty');
  ianaZone(input.timezone);
  if (!EMAIL.test(input.organizerEmail)) throw new RangeError('organizer.email is not an e-mail address');
  if (input.attendeeEmail !== undefined && !EMAIL.test(input.attendeeEmail)) {
    throw new RangeError('attendee.email is not an e-mail address');
  }

  const zoned = isWallTimeUnambiguous(input.startsAt, input.timezone) && isWallTimeUnambiguous(input.endsAt, input.timezone);
  const zone = zoned ? input.timezone : 'utc';
  const cancel = input.method === 'CANCEL';

  const calendar = ical({
    prodId: PRODUCT_ID,
    method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
    // No calendar-wide zone (DTSTAMP stays UTC); the generator is asked for the event's zone.
    timezone: { name: null, generator: (tzid) => buildVtimezone(tzid, input.startsAt, input.endsAt) },
  });
  calendar.createEvent({
    id: input.uid,
    sequence: input.sequence,
    // luxon values: ical-generator writes them in the event's zone (a plain Date would be
    // written in the server's own zone).
    start: DateTime.fromJSDate(input.startsAt, { zone }),
    end: DateTime.fromJSDate(input.endsAt, { zone }),
    timezone: zoned ? input.timezone : null,
    stamp: DateTime.fromJSDate(input.stamp, { zone: 'utc' }),
    summary: input.title,
    location: input.location,
    description: input.description ?? null,
    status: cancel ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    // Outlook reads this to block the slot; a cancelled one blocks nothing.
    busystatus: cancel ? null : ICalEventBusyStatus.BUSY,
    transparency: cancel ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    organizer: { name: paramText(input.organizerName) || input.organizerEmail, email: input.organizerEmail },
    attendees: input.attendeeEmail
      ? [
          {
            name: paramText(input.attendeeName ?? '') || input.attendeeEmail,
            email: input.attendeeEmail,
            role: ICalAttendeeRole.REQ,
            status: ICalAttendeeStatus.NEEDSACTION,
            // Patients confirm by SMS (C / R); nothing reads iTIP replies sent
            // to the organizer's mailbox, so clients should not ask for one.
            rsvp: false,
          },
        ]
      : [],
  });
  // Every content line ends with CRLF, the last one too (RFC 5545 §3.1).
  return calendar.toString() + '\r\n';
}

/** CN is a quoted parameter: it cannot hold a double quote or a line break. */
function paramText(value: string): string {
  return value.replace(/["\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function assertValidDate(value: Date, name: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${name} must be a valid Date`);
  }
}
