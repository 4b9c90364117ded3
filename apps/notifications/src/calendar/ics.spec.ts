import { describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import { buildInvite, type InviteInput } from './ics.js';

const NY = 'America/New_York';

const base: InviteInput = {
  uid: 'appt-7f3c2a@aftercare',
  sequence: 0,
  method: 'REQUEST',
  startsAt: new Date('2025-03-12T13:30:00Z'), // 09:30 EDT
  endsAt: new Date('2025-03-12T15:30:00Z'),
  timezone: NY,
  title: 'Appointment at Aftercare Demo Clinic',
  location: 'Aftercare Demo Clinic, 100 Main St, Suite 200; New York, NY',
  organizerName: 'Aftercare Demo Clinic',
  organizerEmail: 'appointments@aftercare.local',
  attendeeEmail: 'ana.garcia@example.com',
  attendeeName: 'Ana García',
  description: 'Questions? Call +1 212-555-0100.\nPlease arrive 10 minutes early.',
  stamp: new Date('2025-03-01T12:00:00Z'),
};

type IcalTime = InstanceType<typeof ICAL.Time>;

/**
 * Parses with Mozilla's iCalendar implementation (ical.js), as a mail client would. Nothing is
 * registered in ical.js's global zone service, so a TZID can only resolve through the
 * VTIMEZONE that travels in the invite itself.
 */
function parse(text: string) {
  expect(ICAL.TimezoneService.has(NY)).toBe(false);
  const calendar = new ICAL.Component(ICAL.parse(text));
  const vevents = calendar.getAllSubcomponents('vevent');
  expect(vevents).toHaveLength(1);
  const vevent = vevents[0];
  return { calendar, vevent, event: new ICAL.Event(vevent), vtimezones: calendar.getAllSubcomponents('vtimezone') };
}

const instant = (value: unknown): string => (value as IcalTime).toJSDate().toISOString();

/** The start resolves through the invite's own VTIMEZONE of that zone, to the exact instant. */
function expectZoned(text: string, zone: string, startsAt: Date, endsAt: Date): void {
  const { vevent, event, vtimezones } = parse(text);
  expect(vtimezones).toHaveLength(1);
  expect(vtimezones[0].getFirstPropertyValue('tzid')).toBe(zone);
  expect(vtimezones[0].getAllSubcomponents().length).toBeGreaterThan(0);
  for (const name of ['dtstart', 'dtend']) {
    expect(vevent.getFirstProperty(name)!.getParameter('tzid')).toBe(zone);
  }
  const start = event.startDate;
  expect(start.zone?.tzid).toBe(zone);
  expect(start.zone?.component).toBe(vtimezones[0]);
  expect(instant(start)).toBe(startsAt.toISOString());
  expect(instant(event.endDate)).toBe(endsAt.toISOString());
}

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
    expect(text).toMatch(/^DTSTAMP:20250301T120000Z\r$/m);
  });

  it("writes DTSTART and DTEND as the clinic's wall time with its TZID, and the zone's VTIMEZONE", () => {
    const text = buildInvite(base);
    expect(text).toMatch(/^DTSTART;TZID=America\/New_York:20250312T093000\r$/m);
    expect(text).toMatch(/^DTEND;TZID=America\/New_York:20250312T113000\r$/m);
    expectZoned(text, NY, base.startsAt, base.endsAt);
  });

  it("gives the VTIMEZONE New York's real transitions around the event (second Sunday of March, first of November)", () => {
    const { vtimezones } = parse(buildInvite(base));
    const observances = vtimezones[0].getAllSubcomponents().map((c) => ({
      kind: c.name,
      start: String(c.getFirstPropertyValue('dtstart')),
      from: String(c.getFirstPropertyValue('tzoffsetfrom')),
      to: String(c.getFirstPropertyValue('tzoffsetto')),
      name: c.getFirstPropertyValue('tzname'),
    }));
    expect(observances).toEqual(
      expect.arrayContaining([
        { kind: 'standard', start: '2024-11-03T02:00:00', from: '-04:00', to: '-05:00', name: 'EST' },
        { kind: 'daylight', start: '2025-03-09T02:00:00', from: '-05:00', to: '-04:00', name: 'EDT' },
        { kind: 'standard', start: '2025-11-02T02:00:00', from: '-04:00', to: '-05:00', name: 'EST' },
        { kind: 'daylight', start: '2026-03-08T02:00:00', from: '-05:00', to: '-04:00', name: 'EDT' },
      ]),
    );
    // The observances reach a year either side of the event, no further.
    expect(observances.every((o) => o.start >= '2024-03-12' && o.start <= '2026-03-13')).toBe(true);
  });

  describe('keeps the exact instant across a DST change in New York', () => {
    it.each<[string, string, string]>([
      // early November: clocks go back at 02:00 EDT on 2025-11-02
      ['the Friday before (EDT)', '2025-10-31T13:30:00Z', '2025-10-31T15:30:00Z'],
      ['the Monday after (EST)', '2025-11-03T14:30:00Z', '2025-11-03T16:30:00Z'],
      ['starting in EDT, ending in EST (3 h, 2 h on the wall)', '2025-11-02T04:30:00Z', '2025-11-02T07:30:00Z'],
      // mid March: clocks go forward at 02:00 EST on 2026-03-08
      ['the Friday before (EST)', '2026-03-06T14:30:00Z', '2026-03-06T16:30:00Z'],
      ['the Friday after (EDT)', '2026-03-13T13:30:00Z', '2026-03-13T15:30:00Z'],
      ['starting in EST, ending in EDT (1 h, 2 h on the wall)', '2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z'],
    ])('%s', (_label, start, end) => {
      const startsAt = new Date(start);
      const endsAt = new Date(end);
      const text = buildInvite({ ...base, startsAt, endsAt });
      expectZoned(text, NY, startsAt, endsAt);
      const { event } = parse(text);
      expect(event.duration.toSeconds()).toBe((endsAt.getTime() - startsAt.getTime()) / 1000);
    });

    it('an event booked in summer for after the change reads as 09:30 EST', () => {
      const text = buildInvite({ ...base, startsAt: new Date('2025-11-03T14:30:00Z'), endsAt: new Date('2025-11-03T16:30:00Z'), stamp: new Date('2025-07-01T12:00:00Z') });
      expect(text).toMatch(/^DTSTART;TZID=America\/New_York:20251103T093000\r$/m);
    });
  });

  it.each<[string, string]>([
    ['first', '2025-11-02T05:30:00Z'], // 01:30 EDT
    ['second', '2025-11-02T06:30:00Z'], // 01:30 EST
  ])('writes the %s 01:30 of the repeated hour in UTC (clients differ on which one a wall time means)', (_label, start) => {
    const startsAt = new Date(start);
    const endsAt = new Date(startsAt.getTime() + 20 * 60_000);
    const text = buildInvite({ ...base, startsAt, endsAt });
    expect(text).toContain(`DTSTART:${start.replace(/[-:]/g, '')}`);
    const { event } = parse(text);
    expect(event.startDate.zone?.tzid).toBe('UTC');
    expect(instant(event.startDate)).toBe(startsAt.toISOString());
    expect(instant(event.endDate)).toBe(endsAt.toISOString());
  });

  describe('validates in other zones, through their own VTIMEZONE, for every few days of a year', () => {
    const zones = [
      'Europe/London',
      'Europe/Dublin', // "negative DST" in tzdata: winter is the odd one
      'Australia/Sydney', // southern hemisphere
      'Australia/Lord_Howe', // 30-minute DST
      'Asia/Kolkata', // +05:30, no DST
      'America/Phoenix', // no DST, unlike its neighbours
      'Pacific/Chatham', // +12:45 / +13:45
      'America/Santiago',
      'America/Sao_Paulo', // DST abolished in 2019
      'America/Los_Angeles',
    ];
    it.each(zones.map((zone) => [zone]))('%s', (zone) => {
      for (let day = 0; day < 400; day += 5) {
        const startsAt = new Date(Date.UTC(2025, 0, 1, 7 + (day % 11), (day % 4) * 15) + day * 86_400_000);
        const endsAt = new Date(startsAt.getTime() + 90 * 60_000);
        const text = buildInvite({ ...base, timezone: zone, startsAt, endsAt });
        const { event, vtimezones } = parse(text);
        expect(instant(event.startDate)).toBe(startsAt.toISOString());
        expect(instant(event.endDate)).toBe(endsAt.toISOString());
        if (event.startDate.zone?.tzid !== 'UTC') {
          expect(event.startDate.zone?.tzid).toBe(zone);
          expect(vtimezones).toHaveLength(1);
        }
      }
    });
  });

  it('writes a CANCEL with the same UID, the given SEQUENCE and STATUS:CANCELLED', () => {
    const text = buildInvite({ ...base, method: 'CANCEL', sequence: 2 });
    const { calendar, vevent, event } = parse(text);

    expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(event.uid).toBe(base.uid);
    expect(event.sequence).toBe(2);
    expect(vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
    expectZoned(text, NY, base.startsAt, base.endsAt);
  });

  it('writes a reschedule as a REQUEST with the same UID and a higher SEQUENCE', () => {
    const startsAt = new Date('2025-03-14T18:00:00Z');
    const endsAt = new Date('2025-03-14T20:00:00Z');
    const moved = buildInvite({ ...base, sequence: 1, startsAt, endsAt });
    const { calendar, event } = parse(moved);
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(event.uid).toBe(base.uid);
    expect(event.sequence).toBe(1);
    expectZoned(moved, NY, startsAt, endsAt);
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
    expect(attendee.getParameter('partstat')).toBe('NEEDS-ACTION');
    expect(attendee.getParameter('role')).toBe('REQ-PARTICIPANT');
  });

  it('keeps a double quote in a name from breaking the CN parameter', () => {
    const { event } = parse(buildInvite({ ...base, attendeeName: 'Ana "Anita" García' }));
    expect(event.attendees[0].getParameter('cn')).toBe('Ana Anita García');
  });

  it('leaves out ATTENDEE and DESCRIPTION when not given', () => {
    const { attendeeEmail: _e, attendeeName: _n, description: _d, ...rest } = base;
    const { vevent, event } = parse(buildInvite(rest));
    expect(event.attendees).toHaveLength(0);
    expect(vevent.getFirstPropertyValue('description')).toBeNull();
  });

  it('uses CRLF line endings and folds long lines at 75 octets', () => {
    const text = buildInvite({ ...base, description: 'x'.repeat(300) + ' ñ'.repeat(60) });
    expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(parse(text).event.description).toBe('x'.repeat(300) + ' ñ'.repeat(60));
  });

  it('is the same text for the same input (no hidden clock)', () => {
    expect(buildInvite(base)).toBe(buildInvite({ ...base }));
  });

  describe('refuses bad input', () => {
    it.each<[string, Partial<InviteInput>, RegExp]>([
      ['an end before the start', { endsAt: new Date('2025-03-12T13:00:00Z') }, /endsAt/],
      ['an end equal to the start', { endsAt: new Date('2025-03-12T13:30:00Z') }, /endsAt/],
      ['an invalid start', { startsAt: new Date('nope') }, /startsAt/],
      ['an invalid stamp', { stamp: new Date('nope') }, /stamp/],
      ['a negative sequence', { sequence: -1 }, /sequence/],
      ['a fractional sequence', { sequence: 1.5 }, /sequence/],
      ['an empty uid', { uid: ' ' }, /uid/],
      ['an unknown zone', { timezone: 'Mars/Olympus_Mons' }, /Mars\/Olympus_Mons/],
      ['a bad organizer e-mail', { organizerEmail: 'not-an-email' }, /organizer\.email/],
      ['a bad attendee e-mail', { attendeeEmail: 'ana@' }, /attendee\.email/],
    ])('%s', (_label, change, message) => {
      expect(() => buildInvite({ ...base, ...change })).toThrow(message);
    });
  });
});
