import { describe, expect, it } from '@jest/globals';
import ICAL from 'ical.js';
import { buildVtimezone, formatOffset, isWallTimeUnambiguous, zoneTransitions } from './vtimezone.js';

const YEAR_2025: [number, number] = [Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1)];

describe('zoneTransitions', () => {
  it("finds New York's two changes of 2025 to the minute", () => {
    expect(zoneTransitions('America/New_York', ...YEAR_2025)).toEqual([
      { at: Date.parse('2025-03-09T07:00:00Z'), offsetFrom: -300, offsetTo: -240 },
      { at: Date.parse('2025-11-02T06:00:00Z'), offsetFrom: -240, offsetTo: -300 },
    ]);
  });

  it('finds the southern-hemisphere and half-hour changes', () => {
    expect(zoneTransitions('Australia/Sydney', ...YEAR_2025)).toEqual([
      { at: Date.parse('2025-04-05T16:00:00Z'), offsetFrom: 660, offsetTo: 600 },
      { at: Date.parse('2025-10-04T16:00:00Z'), offsetFrom: 600, offsetTo: 660 },
    ]);
    expect(zoneTransitions('Australia/Lord_Howe', ...YEAR_2025).map((t) => [t.offsetFrom, t.offsetTo])).toEqual([
      [660, 630],
      [630, 660],
    ]);
  });

  it('finds none in a zone without DST', () => {
    expect(zoneTransitions('Asia/Kolkata', ...YEAR_2025)).toEqual([]);
    expect(zoneTransitions('America/Phoenix', ...YEAR_2025)).toEqual([]);
  });

  it('keeps to the span asked for', () => {
    expect(zoneTransitions('America/New_York', Date.parse('2025-03-09T07:00:00Z'), Date.parse('2025-06-01T00:00:00Z'))).toHaveLength(1);
    expect(zoneTransitions('America/New_York', Date.parse('2025-03-09T07:01:00Z'), Date.parse('2025-06-01T00:00:00Z'))).toHaveLength(0);
  });
});

describe('buildVtimezone', () => {
  const parseZone = (text: string) => new ICAL.Timezone(new ICAL.Component(ICAL.parse(`BEGIN:VCALENDAR\r\n${text}END:VCALENDAR\r\n`)).getFirstSubcomponent('vtimezone')!);
  /** What a client does with DTSTART;TZID=...: a wall time in the zone, read as an instant. */
  const instantOf = (zone: InstanceType<typeof ICAL.Timezone>, wall: string) => {
    const [date, time] = wall.split('T');
    const [year, month, day] = date.split('-').map(Number);
    const [hour, minute] = time.split(':').map(Number);
    return ICAL.Time.fromData({ year, month, day, hour, minute, second: 0 }, zone).toJSDate().toISOString();
  };

  it('lets ical.js read wall times on both sides of each change as luxon would', () => {
    const zone = parseZone(buildVtimezone('America/New_York', new Date('2025-07-01T14:00:00Z'), new Date('2025-07-01T15:00:00Z')));
    expect(zone.tzid).toBe('America/New_York');
    expect(instantOf(zone, '2025-03-09T01:59')).toBe('2025-03-09T06:59:00.000Z');
    expect(instantOf(zone, '2025-03-09T03:00')).toBe('2025-03-09T07:00:00.000Z');
    expect(instantOf(zone, '2025-07-01T10:00')).toBe('2025-07-01T14:00:00.000Z');
    expect(instantOf(zone, '2025-11-02T00:59')).toBe('2025-11-02T04:59:00.000Z');
    expect(instantOf(zone, '2025-11-02T02:00')).toBe('2025-11-02T07:00:00.000Z');
  });

  it('writes the onset as local time before the change, with CRLF line ends', () => {
    const text = buildVtimezone('America/New_York', new Date('2025-07-01T14:00:00Z'), new Date('2025-07-01T15:00:00Z'));
    expect(text).toContain('BEGIN:DAYLIGHT\r\nDTSTART:20250309T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n');
    expect(text).toContain('BEGIN:STANDARD\r\nDTSTART:20251102T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n');
    expect(text.startsWith('BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n')).toBe(true);
    expect(text.endsWith('END:VTIMEZONE\r\n')).toBe(true);
  });

  it('gives a zone without changes one STANDARD observance with its fixed offset', () => {
    const text = buildVtimezone('Asia/Kolkata', new Date('2025-07-01T04:00:00Z'), new Date('2025-07-01T05:00:00Z'));
    expect(text.match(/BEGIN:(STANDARD|DAYLIGHT)/g)).toEqual(['BEGIN:STANDARD']);
    expect(text).toContain('DTSTART:19700101T000000\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\n');
    expect(instantOf(parseZone(text), '2025-07-01T09:30')).toBe('2025-07-01T04:00:00.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => buildVtimezone('Mars/Olympus_Mons', new Date(), new Date())).toThrow(/Mars\/Olympus_Mons/);
  });
});

describe('formatOffset', () => {
  it.each<[number, string]>([
    [0, '+0000'],
    [-300, '-0500'],
    [330, '+0530'],
    [765, '+1245'],
    [-570, '-0930'],
  ])('%d -> %s', (minutes, text) => expect(formatOffset(minutes)).toBe(text));
});

describe('isWallTimeUnambiguous', () => {
  it.each<[string, boolean]>([
    ['2025-11-02T04:59:00Z', true], // 00:59 EDT
    ['2025-11-02T05:00:00Z', false], // 01:00 EDT, again at 06:00Z
    ['2025-11-02T06:59:00Z', false], // 01:59 EST, also at 05:59Z
    ['2025-11-02T07:00:00Z', true], // 02:00 EST
    ['2025-03-09T06:59:00Z', true], // 01:59 EST, then the clocks jump
    ['2025-03-09T07:00:00Z', true], // 03:00 EDT
  ])('%s in New York: %s', (iso, expected) => {
    expect(isWallTimeUnambiguous(new Date(iso), 'America/New_York')).toBe(expected);
  });
});
