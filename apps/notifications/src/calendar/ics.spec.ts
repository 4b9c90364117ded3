import { describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import { buildInvite, type InviteInput } from './ics.js';

const base: InviteInput = {
  uid: 'appt-7f3c2a@aftercare',
  sequence: 0,
  method: 'REQUEST',
  startsAt: new Date('2025-03-12T13:30:00Z'), // 09:30 EDT
  endsAt: new Date('2025-03-12T15:30:00Z'),
  title: 'Appointment at Aftercare Demo Clinic',
  location: 'Aftercare Demo Clinic, 100 Main St, Suite 200; New York, NY',
  organizerName: 'Aftercare Demo Clinic',
  organizerEmail: 'appointments@aftercare.local',
  attendeeEmail: 'ana.garcia@example.com',
  attendeeName: 'Ana García',
  description: 'Questions? Call +1 212-555-0100.\nPlease arrive 10 minutes early.',
  stamp: new Date('2025-03-01T12:00:00Z'),
};

/** Parses with an independent iCalendar implementation, as a mail client would. */
function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const vevents = calendar.getAllSubcomponents('vevent');
  expect(vevents).toHaveLength(1);
  const vevent = vevents[0];
  return { calendar, vevent, event: new ICAL.Event(vevent) };
}

const instant = (value: unknown): string => (value as InstanceType<typeof ICAL.Time>).toJSDate().toISOString();

describe('buildInvite', () => {
  it('writes a REQUEST with UID, SEQUENCE, METHOD, start and end instants and CONFIRMED status', () => {
    const text = buildInvite(base);
    const { calendar, vevent, event } = parse(text);

    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toBe('-//Aftercare//Appointments//EN');
    expect(event.uid).toBe('appt-7f3c2a@aftercare');
    expect(event.sequence).toBe(0);
    expect(instant(event.startDate)).toBe('2025-03-12T13:30:00.000Z');
    expect(instant(event.endDate)).toBe('2025-03-12T15:30:00.000Z');
    expect(vevent.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(instant(vevent.getFirstPropertyValue('dtstamp'))).toBe('2025-03-01T12:00:00.000Z');
  });

  it('writes DTSTART and DTEND in UTC, so no VTIMEZONE is needed', () => {
    const text = buildInvite(base);
    expect(text).toMatch(/^DTSTART:20250312T133000Z\r$/m);
    expect(text).toMatch(/^DTEND:20250312T153000Z\r$/m);
    expect(text).not.toContain('VTIMEZONE');
    const { event } = parse(text);
    expect(event.startDate.zone?.tzid).toBe('UTC');
  });

  it('keeps the instant whatever the server zone (epoch input, not local wall time)', () => {
    // 2025-11-02 06:30Z is in the hour New York repeats when the clocks go back.
    const text = buildInvite({ ...base, startsAt: new Date('2025-11-02T06:30:00Z'), endsAt: new Date('2025-11-02T07:00:00Z') });
    const { event } = parse(text);
    expect(instant(event.startDate)).toBe('2025-11-02T06:30:00.000Z');
    expect(instant(event.endDate)).toBe('2025-11-02T07:00:00.000Z');
  });

  it('writes a CANCEL with the same UID, the given SEQUENCE and STATUS:CANCELLED', () => {
    const text = buildInvite({ ...base, method: 'CANCEL', sequence: 2 });
    const { calendar, vevent, event } = parse(text);

    expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(event.uid).toBe(base.uid);
    expect(event.sequence).toBe(2);
    expect(vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(instant(event.startDate)).toBe('2025-03-12T13:30:00.000Z');
  });

  it('writes a reschedule as a REQUEST with the same UID and a higher SEQUENCE', () => {
    const moved = buildInvite({
      ...base,
      sequence: 1,
      startsAt: new Date('2025-03-14T18:00:00Z'),
      endsAt: new Date('2025-03-14T20:00:00Z'),
    });
    const { event } = parse(moved);
    expect(event.uid).toBe(base.uid);
    expect(event.sequence).toBe(1);
    expect(instant(event.startDate)).toBe('2025-03-14T18:00:00.000Z');
  });

  it('round-trips the texts, escaping commas, semicolons and newlines', () => {
    const { event } = parse(buildInvite(base));
    expect(event.summary).toBe(base.title);
    expect(event.location).toBe(base.location);
    expect(event.description).toBe(base.description);
  });

  it('names the organizer and the attendee, without asking for an RSVP nobody reads', () => {
    const { vevent, event } = parse(buildInvite(base));

    const organizer = vevent.getFirstProperty('organizer')!;
    expect(String(organizer.getFirstValue()).toLowerCase()).toBe('mailto:appointments@aftercare.local');
    expect(organizer.getParameter('cn')).toBe('Aftercare Demo Clinic');

    expect(event.attendees).toHaveLength(1);
    const attendee = event.attendees[0];
    expect(String(attendee.getFirstValue()).toLowerCase()).toBe('mailto:ana.garcia@example.com');
    expect(attendee.getParameter('cn')).toBe('Ana García');
    expect(attendee.getParameter('rsvp')).toBe('FALSE');
  });

  it('leaves out ATTENDEE and DESCRIPTION when not given', () => {
    const { attendeeEmail: _e, attendeeName: _n, description: _d, ...rest } = base;
    const text = buildInvite(rest);
    const { vevent, event } = parse(text);
    expect(event.attendees).toHaveLength(0);
    expect(vevent.getFirstPropertyValue('description')).toBeNull();
  });

  it('stamps the current time when no stamp is given', () => {
    const before = Date.now();
    const { stamp: _s, ...rest } = base;
    const { vevent } = parse(buildInvite(rest));
    const stamped = (vevent.getFirstPropertyValue('dtstamp') as InstanceType<typeof ICAL.Time>).toJSDate().getTime();
    expect(stamped).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('uses CRLF line endings and folds long lines at 75 octets', () => {
    const text = buildInvite({ ...base, description: 'x'.repeat(300) });
    expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(parse(text).event.description).toBe('x'.repeat(300));
  });

  describe('refuses bad input', () => {
    it.each<[string, Partial<InviteInput>, RegExp]>([
      ['an end before the start', { endsAt: new Date('2025-03-12T13:00:00Z') }, /endsAt/],
      ['an end equal to the start', { endsAt: new Date('2025-03-12T13:30:00Z') }, /endsAt/],
      ['an invalid start', { startsAt: new Date('nope') }, /startsAt/],
      ['a negative sequence', { sequence: -1 }, /sequence/],
      ['a fractional sequence', { sequence: 1.5 }, /sequence/],
      ['an empty uid', { uid: ' ' }, /uid/],
      ['a bad organizer e-mail', { organizerEmail: 'not-an-email' }, /organizer\.email/],
    ])('%s', (_label, change, message) => {
      expect(() => buildInvite({ ...base, ...change })).toThrow(message);
    });
  });
});
