/**
 * What the front desk's pages read from the API, typed as the gateway answers it
 * (libs/contracts/src/resources.ts: the web app is bundled on its own and does not import server
 * code, so the fields used here are restated), and the small helpers those pages share: the
 * clinic's catalogue (zone, clinicians, procedure types), words for codes, field checks.
 * Nothing here touches clinical data: the front desk may not see check-in answers.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, onSessionChange } from '../api';
import { serverNow, todayIn } from '../clock';
import { formatTime, humanize } from '../format';

export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';
export type AppointmentStatus = 'booked' | 'confirmed' | 'checked_in' | 'completed' | 'cancelled' | 'no_show';
export type PreferredChannel = 'sms' | 'email' | 'both';

export interface Clinic {
  id: string;
  name: string;
  timezone: string;
  phone: string;
}

export interface Clinician {
  id: string;
  name: string;
}

export interface ProcedureType {
  code: string;
  name: string;
  durationMinutes: number;
}

export interface PossibleDuplicate {
  id: string;
  name: string;
  matchedOn: ('phone' | 'email')[];
}

export interface Patient {
  id: string;
  firstName: string;
  lastName: string;
  phone: string;
  email: string | null;
  timezone: string;
  preferredChannel: PreferredChannel;
  smsConsent: boolean;
  smsOptedOut: boolean;
  dateOfBirth: string | null;
  language: string;
  createdAt: string;
  possibleDuplicates?: PossibleDuplicate[];
}

export interface Appointment {
  id: string;
  patientId: string;
  clinicianId: string;
  procedureType: string;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  notes: string | null;
}

export interface Slot {
  clinicianId: string;
  startsAt: string;
  endsAt: string;
}

export type BookingTaskSource = 'follow_up_visit' | 'repeat_injection' | 'reschedule_request' | 'rebook' | 'call_patient' | 'confirm_opt_out';

export interface BookingTask {
  id: string;
  state: 'open' | 'done';
  source: BookingTaskSource;
  patient: { id: string; name: string };
  clinicianId: string | null;
  procedureType: string | null;
  bookBy: string;
  appointmentId: string | null;
  reason: string;
  createdAt: string;
}

export interface DaySheetAppointment {
  id: string;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  procedureType: string;
  procedureName: string;
  patient: { id: string; name: string; phone: string };
  clinician: { id: string; name: string };
  resources: { id: string; name: string }[];
}

export interface DaySheet {
  date: string;
  timezone: string;
  clinicians: { id: string; name: string; appointments: DaySheetAppointment[] }[];
  resources: { id: string; name: string; kind: 'room' | 'equipment'; appointments: DaySheetAppointment[] }[];
}

export type WaitlistStatus = 'waiting' | 'offered' | 'booked' | 'cancelled' | 'expired';

export interface WaitlistEntry {
  id: string;
  patient: { id: string; name: string };
  procedureType: string;
  clinicianId: string | null;
  earliestDate: string;
  latestDate: string;
  status: WaitlistStatus;
  notes: string | null;
  appointmentId: string | null;
  createdAt: string;
  offers: { id: string; clinicianId: string; startsAt: string; status: 'pending' | 'accepted' | 'taken' | 'expired' | 'withdrawn'; expiresAt: string }[];
}

/** A list answer is an array, or a page `{ items }` (PRODUCT.md, "List endpoints"). */
export function itemsOf<T>(answer: T[] | { items: T[] } | undefined): T[] {
  if (!answer) return [];
  return Array.isArray(answer) ? answer : (answer.items ?? []);
}

// ---- the clinic's catalogue, loaded once and shared by every desk page ----

export interface Catalog {
  clinic: Clinic;
  clinicians: Clinician[];
  procedureTypes: ProcedureType[];
}

/** How long the catalogue is trusted: an admin's new clinician shows up within this. */
const CATALOG_TTL_MS = 5 * 60_000;
let cached: { at: number; promise: Promise<Catalog> } | null = null;
// Another user may sign in at this desk (another clinic, even): start afresh.
onSessionChange(() => {
  cached = null;
});

function loadCatalog(): Promise<Catalog> {
  if (cached && Date.now() - cached.at < CATALOG_TTL_MS) return cached.promise;
  const promise = Promise.all([api<Clinic>('/api/clinic'), api<Clinician[]>('/api/clinicians'), api<ProcedureType[]>('/api/procedure-types')]).then(
    ([clinic, clinicians, procedureTypes]) => ({ clinic, clinicians, procedureTypes }),
  );
  const entry = { at: Date.now(), promise };
  cached = entry;
  // A failure is not kept: the next page (or "Try again") asks again.
  promise.catch(() => {
    if (cached === entry) cached = null;
  });
  return promise;
}

/**
 * The clinic (its zone above all), its clinicians and procedure types. Three requests in
 * parallel on the first desk page, none on the next ones: every page needs them to show names.
 */
export function useCatalog(): { catalog: Catalog | undefined; error: unknown; reload: () => void } {
  const [catalog, setCatalog] = useState<Catalog | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    loadCatalog()
      .then((value) => live && (setCatalog(value), setError(null)))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [tick]);
  const reload = useCallback(() => {
    cached = null;
    setTick((t) => t + 1);
  }, []);
  return { catalog, error, reload };
}

export function clinicianName(catalog: Catalog | undefined, id: string | null | undefined): string {
  if (!id) return 'Any clinician';
  return catalog?.clinicians.find((c) => c.id === id)?.name ?? 'Clinician no longer active';
}

export function procedureName(catalog: Catalog | undefined, code: string | null | undefined): string {
  if (!code) return '—';
  return catalog?.procedureTypes.find((p) => p.code === code)?.name ?? humanize(code);
}

// ---- words for codes ----

export const APPOINTMENT_STATUS: Record<AppointmentStatus, { label: string; tone: Tone }> = {
  booked: { label: 'Booked', tone: 'info' },
  confirmed: { label: 'Confirmed', tone: 'good' },
  checked_in: { label: 'Checked in', tone: 'warn' },
  completed: { label: 'Completed', tone: 'good' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  no_show: { label: 'No-show', tone: 'bad' },
};

export const CHANNEL_NAMES: Record<PreferredChannel, string> = { sms: 'SMS', email: 'E-mail', both: 'Both' };
export const LANGUAGE_NAMES: Record<string, string> = { en: 'English', es: 'Spanish (Español)' };

export const TASK_SOURCE_NAMES: Record<BookingTaskSource, string> = {
  follow_up_visit: 'Follow-up visit to book',
  repeat_injection: 'Repeat injection to book',
  reschedule_request: 'Reschedule request',
  rebook: 'Follow-up visit to book again',
  call_patient: 'Call the patient',
  confirm_opt_out: 'Confirm an opt-out',
};

export const WAITLIST_STATUS: Record<WaitlistStatus, { label: string; tone: Tone }> = {
  waiting: { label: 'Waiting', tone: 'info' },
  offered: { label: 'Offered a time', tone: 'warn' },
  booked: { label: 'Booked', tone: 'good' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  expired: { label: 'Expired', tone: 'neutral' },
};

// ---- what an appointment allows now (the scheduling service's rules, to offer only those) ----

export interface AllowedActions {
  checkIn: boolean;
  noShow: boolean;
  reschedule: boolean;
  cancel: boolean;
}

/**
 * Check in on the appointment's own day (clinic's zone); no-show once it has started; move a
 * booked or confirmed one (a late patient's too); cancel any that still holds its time (a
 * checked-in patient's too).
 */
export function allowedActions(a: { status: AppointmentStatus; startsAt: string }, timeZone: string, now: Date = serverNow()): AllowedActions {
  const open = a.status === 'booked' || a.status === 'confirmed';
  const started = Date.parse(a.startsAt) <= now.getTime();
  const today = todayIn(timeZone, now) === todayIn(timeZone, new Date(a.startsAt));
  return { checkIn: open && today, noShow: open && started, reschedule: open, cancel: open || a.status === 'checked_in' };
}

// ---- times ----

/** "Mon, Dec 7": a slot's day, in the clinic's zone. */
export function formatDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone }).format(new Date(iso));
}

/** "Mon, Dec 7, 9:00 AM": how a slot is named on its button and in the confirmation. */
export function formatSlot(iso: string, timeZone: string): string {
  return `${formatDay(iso, timeZone)}, ${formatTime(iso, timeZone)}`;
}

/** A local date 'YYYY-MM-DD' as words, without moving it through a time zone. */
export function formatLocalDate(date: string | null | undefined): string {
  if (!date) return '—';
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The local date `days` after `date` ('YYYY-MM-DD'). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The offset (ms) of `timeZone` from UTC at an instant: local wall time − UTC. */
function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant local midnight starts `date` ('YYYY-MM-DD') in `timeZone`, DST included. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // A second pass settles a day whose offset differs from the first guess's (a DST change).
  const first = wall - zoneOffset(wall, timeZone);
  return new Date(wall - zoneOffset(first, timeZone));
}

export const isLocalDate = (value: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

// ---- field checks, before anything is sent ----

/** E.164: a plus, the country code and the number, digits only (what the API takes). */
export const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** "+1 (555) 234-0187" → "+15552340187": spaces and punctuation people type are dropped. */
export function normalizePhone(value: string): string {
  return value.trim().replace(/[\s().-]/g, '');
}

export function phoneProblem(value: string): string | null {
  const phone = normalizePhone(value);
  if (!phone) return 'Enter the mobile phone number.';
  if (!E164.test(phone)) return 'Enter the number in international (E.164) form: a plus, the country code and the number, such as +12125550100.';
  return null;
}

export function emailProblem(value: string, required: boolean): string | null {
  const email = value.trim();
  if (!email) return required ? 'Enter an e-mail address: the preferred channel includes e-mail.' : null;
  if (!EMAIL.test(email)) return 'Enter an e-mail address such as name@example.com.';
  return null;
}

/**
 * The field a server error is about. The gateway's messages start with the field's name
 * ("phone must be an E.164 phone number …"), and that is what is matched here, against the
 * fields the form has.
 */
export function fieldOfMessage<F extends string>(message: string, fields: readonly F[]): F | null {
  const first = /^([A-Za-z][A-Za-z0-9]*)\b/.exec(message)?.[1];
  return first && (fields as readonly string[]).includes(first) ? (first as F) : null;
}

/** An Idempotency-Key for one booking: a retry of the same click books once. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** A value that follows `value` once it has stopped changing for `ms` (typing in a search box). */
export function useDebounced<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
