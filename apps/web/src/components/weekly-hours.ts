/**
 * Weekly hours (the clinic's opening hours, a clinician's working hours) as an admin types them:
 * one text per weekday, "09:00-12:00, 13:00-17:00", empty for a day off. The API's shape is
 * { "1": [{ start, end }], … } with 1 = Monday (WeeklyHoursData in libs/contracts); the
 * scheduling service checks the rules again and names the field the same way.
 */
export type Weekday = '1' | '2' | '3' | '4' | '5' | '6' | '7';
export interface Interval {
  start: string;
  end: string;
}
export type WeeklyHours = Partial<Record<Weekday, Interval[]>>;
export type WeeklyHoursText = Record<Weekday, string>;

export const WEEKDAYS: readonly { day: Weekday; name: string; short: string }[] = [
  { day: '1', name: 'Monday', short: 'Mon' },
  { day: '2', name: 'Tuesday', short: 'Tue' },
  { day: '3', name: 'Wednesday', short: 'Wed' },
  { day: '4', name: 'Thursday', short: 'Thu' },
  { day: '5', name: 'Friday', short: 'Fri' },
  { day: '6', name: 'Saturday', short: 'Sat' },
  { day: '7', name: 'Sunday', short: 'Sun' },
];

/** The API allows at most this many intervals a day. */
const MAX_INTERVALS = 8;

/** "09:00-12:00, 13:00-17:00" (what the field shows), or "" for a day off. */
export function formatDayHours(list: readonly Interval[] | undefined): string {
  return (list ?? []).map((i) => `${i.start}-${i.end}`).join(', ');
}

export function hoursToText(hours: WeeklyHours | undefined): WeeklyHoursText {
  const text = {} as WeeklyHoursText;
  for (const { day } of WEEKDAYS) text[day] = formatDayHours(hours?.[day]);
  return text;
}

/** Monday to Friday 09:00–17:00: where a new clinician starts. */
export const WEEKDAYS_NINE_TO_FIVE: WeeklyHoursText = { '1': '09:00-17:00', '2': '09:00-17:00', '3': '09:00-17:00', '4': '09:00-17:00', '5': '09:00-17:00', '6': '', '7': '' };

/** "9", "9:30", "09:30", "24:00" → minutes after midnight and the 'HH:mm' the API wants; null when not a time. */
function parseClock(text: string, allowMidnightEnd: boolean): { minutes: number; hhmm: string } | null {
  const match = /^(\d{1,2})(?:[:.](\d{2}))?$/.exec(text.trim());
  if (!match) return null;
  const h = Number(match[1]);
  const m = Number(match[2] ?? '0');
  if (m > 59) return null;
  if (h > 24 || (h === 24 && (m !== 0 || !allowMidnightEnd))) return null;
  return { minutes: h * 60 + m, hhmm: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}` };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** One day's text → intervals in time order; "" (or "closed", "off") → a day off. */
export function parseDayHours(text: string): Parsed<Interval[]> {
  const trimmed = text.trim();
  if (trimmed === '' || /^(closed|off|-)$/i.test(trimmed)) return { ok: true, value: [] };
  const parts = trimmed.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
  if (parts.length > MAX_INTERVALS) return { ok: false, error: `at most ${MAX_INTERVALS} intervals a day` };
  const intervals: { from: number; to: number; value: Interval }[] = [];
  for (const part of parts) {
    const [a, b, extra] = part.split(/\s*[-–—]\s*|\s+to\s+/i);
    const start = a === undefined ? null : parseClock(a, false);
    const end = b === undefined ? null : parseClock(b, true);
    if (!start || !end || extra !== undefined) return { ok: false, error: `"${part}" is not a time range such as 09:00-17:00` };
    if (end.minutes <= start.minutes) return { ok: false, error: `${part}: the end must be after the start` };
    intervals.push({ from: start.minutes, to: end.minutes, value: { start: start.hhmm, end: end.hhmm } });
  }
  intervals.sort((x, y) => x.from - y.from);
  for (let i = 1; i < intervals.length; i++) {
    if (intervals[i]!.from < intervals[i - 1]!.to) {
      return { ok: false, error: `${formatDayHours([intervals[i - 1]!.value])} and ${formatDayHours([intervals[i]!.value])} overlap` };
    }
  }
  return { ok: true, value: intervals.map((i) => i.value) };
}

/** Every day's text → the API's shape (days off left out), or each bad day's problem. */
export function parseWeeklyHours(text: WeeklyHoursText): { ok: true; value: WeeklyHours } | { ok: false; errors: Partial<Record<Weekday, string>> } {
  const value: WeeklyHours = {};
  const errors: Partial<Record<Weekday, string>> = {};
  for (const { day, name } of WEEKDAYS) {
    const parsed = parseDayHours(text[day] ?? '');
    if (!parsed.ok) errors[day] = `${name}: ${parsed.error}`;
    else if (parsed.value.length) value[day] = parsed.value;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value };
}
