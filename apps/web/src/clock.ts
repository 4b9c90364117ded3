import { api, type SessionUser } from './api';
import { dateTimeFormat } from './format';

/**
 * The system's "now" as the server's Clock has it. Outside production the virtual clock may be
 * weeks ahead of the browser's: "today" on a page (the day sheet, the due list) is the clinic's
 * today, so every page counts from here, never from `new Date()` alone.
 */
let offsetMs = 0;

/** Asks the server for its time (GET /api/me) and keeps the difference to this browser's clock. */
export async function syncServerClock(): Promise<void> {
  const sentAt = Date.now();
  const me = await api<SessionUser & { now: string }>('/api/me');
  const receivedAt = Date.now();
  offsetMs = new Date(me.now).getTime() - (sentAt + receivedAt) / 2;
}

export function serverNow(): Date {
  return new Date(Date.now() + offsetMs);
}

/** The calendar day (yyyy-mm-dd) it is now in `timeZone`, by the server's clock. */
export function todayIn(timeZone: string | undefined, at: Date = serverNow()): string {
  const parts = dateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
