import { describe, expect, it } from '@jest/globals';
import { formatDayHours, hoursToText, parseDayHours, parseWeeklyHours, WEEKDAYS_NINE_TO_FIVE } from './weekly-hours';

describe('parseDayHours', () => {
  it('reads one or more ranges, in any order, as the API wants them', () => {
    expect(parseDayHours('13:00-17:00, 9-12:30')).toEqual({
      ok: true,
      value: [
        { start: '09:00', end: '12:30' },
        { start: '13:00', end: '17:00' },
      ],
    });
    expect(parseDayHours('8.30 – 16:00')).toEqual({ ok: true, value: [{ start: '08:30', end: '16:00' }] });
    expect(parseDayHours('9 to 17')).toEqual({ ok: true, value: [{ start: '09:00', end: '17:00' }] });
    expect(parseDayHours('18:00-24:00')).toEqual({ ok: true, value: [{ start: '18:00', end: '24:00' }] });
  });

  it('reads an empty day, "closed" or "off" as a day off', () => {
    for (const text of ['', '  ', 'closed', 'Off']) expect(parseDayHours(text)).toEqual({ ok: true, value: [] });
  });

  it('says what is wrong with a bad range', () => {
    expect(parseDayHours('9:00')).toEqual({ ok: false, error: '"9:00" is not a time range such as 09:00-17:00' });
    expect(parseDayHours('25:00-26:00').ok).toBe(false);
    expect(parseDayHours('24:00-24:00').ok).toBe(false);
    expect(parseDayHours('17:00-09:00')).toEqual({ ok: false, error: '17:00-09:00: the end must be after the start' });
    expect(parseDayHours('09:00-13:00, 12:00-17:00')).toEqual({ ok: false, error: '09:00-13:00 and 12:00-17:00 overlap' });
  });

  it('accepts back-to-back ranges', () => {
    expect(parseDayHours('09:00-12:00, 12:00-17:00').ok).toBe(true);
  });
});

describe('weekly hours', () => {
  it('round-trips the API shape through the fields, leaving days off out', () => {
    const hours = { '1': [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }], '3': [{ start: '10:00', end: '14:00' }] };
    const text = hoursToText(hours);
    expect(text['1']).toBe('09:00-12:00, 13:00-17:00');
    expect(text['2']).toBe('');
    expect(parseWeeklyHours(text)).toEqual({ ok: true, value: hours });
  });

  it('names each bad day', () => {
    const result = parseWeeklyHours({ ...WEEKDAYS_NINE_TO_FIVE, '2': 'nine to five', '6': '17-9' });
    expect(result).toEqual({
      ok: false,
      errors: { '2': 'Tuesday: "nine to five" is not a time range such as 09:00-17:00', '6': 'Saturday: 17-9: the end must be after the start' },
    });
  });

  it('formats a day off as empty', () => {
    expect(formatDayHours(undefined)).toBe('');
    expect(formatDayHours([])).toBe('');
  });
});
