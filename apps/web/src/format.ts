/** Times shown in a given IANA zone (the clinic's or the patient's), in the browser's language. */

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * One Intl.DateTimeFormat per locale and options, kept: building one costs far more than using
 * it (it loads the locale's and the zone's data), and a list of 50 rows formats a few hundred times.
 */
export function dateTimeFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([locale ?? null, options]);
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/**
 * Builds the formats the lists use for a zone ahead of time. The first format of a zone costs tens
 * of milliseconds (the locale's and the zone's data load); done while the first page's requests are
 * on the wire, the page renders its rows without that wait.
 */
export function warmDateFormats(timeZone?: string): void {
  for (const options of [{ dateStyle: 'medium', timeStyle: 'short' }, { dateStyle: 'medium' }, { timeStyle: 'short' }] as const) {
    dateTimeFormat(undefined, { ...options, timeZone }).format(0);
  }
}

export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  return dateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}

export function formatDate(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  return dateTimeFormat(undefined, { dateStyle: 'medium', timeZone }).format(new Date(iso));
}

export function formatTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  return dateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** "bmac_injection" → "Bmac injection"; for codes the server gives no name for. */
export function humanize(code: string): string {
  const text = code.replace(/[_-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
