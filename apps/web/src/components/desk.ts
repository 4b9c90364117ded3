/**
 * The small helpers the front desk's pages share: the clinic's catalogue (zone, clinicians,
 * procedure types), words for codes, field checks. The shapes the API answers are the
 * contracts' (libs/contracts/src/resources.ts), imported as types.
 * Nothing here touches clinical data: the front desk may not see check-in answers.
 */
import { useCallback, useEffect, useState } from 'react';
import type {
  AppointmentResource,
  AppointmentStatus,
  BookAppointmentData,
  BookingTaskSource,
  ClinicianResource,
  ClinicSettingsResource,
  ProcedureTypeResource,
  WaitlistStatus,
} from '@aftercare/contracts';
import { api, ApiError, onSessionChange } from '../api';
import { serverNow, todayIn } from '../clock';
import { dateTimeFormat, formatTime, humanize } from '../format';
import type { Tone } from './ui';

// ---- the clinic's catalogue, loaded once and shared by every desk page ----

export interface Catalog {
  clinic: ClinicSettingsResource;
  clinicians: ClinicianResource[];
  procedureTypes: ProcedureTypeResource[];
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
  const promise = Promise.all([api<ClinicSettingsResource>('/api/clinic'), api<ClinicianResource[]>('/api/clinicians'), api<ProcedureTypeResource[]>('/api/procedure-types')]).then(
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

/** With APPOINTMENT_STATUS_NAMES (words.ts): a confirmed patient is good news at the desk. */
export const APPOINTMENT_TONES: Record<AppointmentStatus, Tone> = {
  booked: 'info',
  confirmed: 'good',
  checked_in: 'warn',
  completed: 'good',
  cancelled: 'neutral',
  no_show: 'bad',
};

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
  return dateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone }).format(new Date(iso));
}

/** "Mon, Dec 7, 9:00 AM": how a slot is named on its button and in the confirmation. */
export function formatSlot(iso: string, timeZone: string): string {
  return `${formatDay(iso, timeZone)}, ${formatTime(iso, timeZone)}`;
}

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

/**
 * Books a slot, once however often it is sent again with the same Idempotency-Key. Null when
 * another booking took the time first (409): the caller shows the free times as they are now.
 */
export async function bookSlot(body: Omit<BookAppointmentData, 'idempotencyKey'>, idempotencyKey: string): Promise<AppointmentResource | null> {
  try {
    return await api<AppointmentResource>('/api/appointments', { method: 'POST', headers: { 'Idempotency-Key': idempotencyKey }, body });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return null;
    throw error;
  }
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
