/**
 * ISO 8601 durations as the virtual clock takes them (POST /api/dev/clock/advance { by }):
 * checked here only to say what a text means before it is sent ("P1DT2H" → "1 day 2 hours");
 * the gateway decides (a positive duration of at most 400 days, months counted as 30 days).
 */

/** The quick buttons of the clock page. */
export const QUICK_ADVANCES: readonly { label: string; by: string }[] = [
  { label: '+1 hour', by: 'PT1H' },
  { label: '+1 day', by: 'P1D' },
  { label: '+1 week', by: 'P7D' },
];

export const MAX_ADVANCE_DAYS = 400;

const UNITS = [
  ['years', 365 * 86_400_000],
  ['months', 30 * 86_400_000],
  ['weeks', 7 * 86_400_000],
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1_000],
] as const;
type Unit = (typeof UNITS)[number][0];

const ISO = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export interface ParsedDuration {
  /** The text as it will be sent (upper case, trimmed). */
  iso: string;
  parts: Partial<Record<Unit, number>>;
  ms: number;
}

/** A duration such as P1D, PT2H, P2W, P1DT12H (case and spaces forgiven); null when it is not one. */
export function parseDuration(text: string): ParsedDuration | null {
  const iso = text.trim().toUpperCase();
  const match = ISO.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) return null;
  const parts: Partial<Record<Unit, number>> = {};
  let ms = 0;
  UNITS.forEach(([unit, size], i) => {
    const value = match[i + 1];
    if (value === undefined) return;
    parts[unit] = Number(value);
    ms += Number(value) * size;
  });
  return { iso, parts, ms };
}

/** Why a text cannot move the clock, or null when it can (as far as the browser can tell). */
export function advanceProblem(text: string): string | null {
  if (!text.trim()) return 'Enter a duration such as P1D (one day) or PT2H (two hours).';
  const parsed = parseDuration(text);
  if (!parsed) return `"${text.trim()}" is not an ISO 8601 duration; write P1D for one day, PT2H for two hours, P2W for two weeks.`;
  if (parsed.ms <= 0) return 'The clock only moves forward: enter a duration longer than zero.';
  if (parsed.ms > MAX_ADVANCE_DAYS * 86_400_000) return `At most ${MAX_ADVANCE_DAYS} days at a time.`;
  return null;
}

/** "1 day 2 hours", "2 weeks": a duration in words. */
export function describeDuration(parsed: ParsedDuration): string {
  const words = UNITS.filter(([unit]) => parsed.parts[unit]).map(([unit]) => {
    const n = parsed.parts[unit]!;
    return `${n} ${n === 1 ? unit.slice(0, -1) : unit}`;
  });
  return words.length ? words.join(' ') : 'no time';
}

/** "3 days 4 hours" for a span of milliseconds (the virtual clock's lead on real time). */
export function describeSpan(ms: number): string {
  let left = Math.max(0, Math.round(ms / 60_000)) * 60_000;
  const words: string[] = [];
  for (const [unit, size] of UNITS.slice(3, 6)) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n) words.push(`${n} ${n === 1 ? unit.slice(0, -1) : unit}`);
  }
  return words.length ? words.join(' ') : 'less than a minute';
}
