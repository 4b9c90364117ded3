/**
 * Patient-facing message texts (SMS and email): the kinds, their variables, rendering from a
 * template (the built-in one of default-templates.ts, or a clinic's override), and the helpers
 * that size an SMS.
 *
 * Pure functions: no Nest, no I/O.
 *
 * Privacy rules every template follows (template.rules.ts enforces them on admin edits; the
 * spec checks the defaults):
 * - a message carries the first name, the clinic, the time and what to do -
 *   never a diagnosis, the procedure's name, the treated site or pain history.
 *   A text message is read on lock screens and shared phones.
 * - every automated SMS names the clinic and says how to opt out; the direct
 *   answers to STOP / START / HELP name the clinic (they *are* the opt-out
 *   bookkeeping, so repeating "Reply STOP" there is noise).
 */
import { DateTime } from 'luxon';
import { DEFAULT_TEMPLATES } from './default-templates.js';
import { renderTemplate } from './template.syntax.js';

export type Language = 'en' | 'es';
export const SUPPORTED_LANGUAGES: readonly Language[] = ['en', 'es'];
export const DEFAULT_LANGUAGE: Language = 'en';

export const MESSAGE_KINDS = [
  /** Sent at once when the front desk books an appointment (email carries the .ics). */
  'booking_confirmation',
  /** Before an appointment (default 48 h and 2 h). */
  'reminder',
  /** The appointment moved to a new time (email carries the updated .ics). */
  'rescheduled',
  /** The appointment was cancelled (email carries the CANCEL .ics). */
  'cancellation',
  /** Care plan step: how to look after yourself after the procedure. */
  'aftercare',
  /** Care plan step: asks for a pain score 0-10. */
  'checkin',
  /** The follow-up service booked the follow-up visit on its own; the patient answers C / R. */
  'follow_up_booked',
  /** Answer to "C". */
  'appointment_confirmed',
  /** Answer to "R": the front desk has a task to find a new time. */
  'reschedule_requested',
  /** Answer to a pain score. */
  'checkin_thanks',
  /** Answer to a pain score that put an attention item on the clinician's due list. */
  'attention_ack',
  /** Answer to free text from a known patient. */
  'message_received',
  /** Answer to free text that asks to stop ("please stop texting me"): automated texts are held. */
  'stop_request_received',
  /** Answer to STOP. */
  'opted_out',
  /** Answer to START. */
  'opted_in',
  /** Answer to HELP. */
  'help',
  /** Answer to any text from a number that matches no patient. */
  'unknown_sender_help',
  /** A freed time offered to a waitlisted patient: reply YES before it expires to take it. */
  'waitlist_offer',
  /** The offered time went to someone else (or went away); the patient stays on the waitlist. */
  'waitlist_taken',
  /** The offer ran out unanswered; the patient stays on the waitlist. */
  'waitlist_expired',
  /** Answer to YES while an offer is open: the booking is on its way. */
  'waitlist_accept_received',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface TemplateVars {
  firstName: string;
  clinicName: string;
  clinicPhone: string;
  /** Already formatted in the patient's zone, e.g. by `formatAppointmentTime`. */
  appointmentTime?: string;
  clinicianName?: string;
  /** When a waitlist offer runs out, formatted like `appointmentTime`. */
  expiryTime?: string;
}

/** Kinds whose text states an appointment time: rendering one without it is a bug upstream. */
const KINDS_NEEDING_TIME: ReadonlySet<MessageKind> = new Set<MessageKind>([
  'booking_confirmation',
  'reminder',
  'rescheduled',
  'cancellation',
  'follow_up_booked',
  'appointment_confirmed',
  'waitlist_offer',
  'waitlist_taken',
  'waitlist_expired',
  'waitlist_accept_received',
]);

/** Kinds that say until when the patient can answer. */
const KINDS_NEEDING_EXPIRY: ReadonlySet<MessageKind> = new Set<MessageKind>(['waitlist_offer']);

/**
 * Direct answers to STOP / START / HELP. They name the clinic but need no
 * "Reply STOP to opt out" line. Every other SMS must carry it.
 */
export const SMS_KINDS_WITHOUT_OPT_OUT_LINE: ReadonlySet<MessageKind> = new Set<MessageKind>([
  'opted_out',
  'opted_in',
  'help',
]);

/** The most segments any SMS kind may take (cost, and long texts get split badly on old phones). */
export const MAX_SMS_SEGMENTS = 3;

// ---------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------

/** Every variable a template may use (as `{{name}}`); which ones a kind has: `variablesFor`. */
export const TEMPLATE_VARIABLES = ['firstName', 'clinicName', 'clinicPhone', 'appointmentTime', 'clinicianName', 'expiryTime'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * The longest value of each variable an SMS carries. Longer values are cut at a word boundary
 * (`fitToLength`) so that the segment budget the rules promise holds for any patient and
 * clinic: a 100-character first name or a 200-character clinic name fits an email, not a text.
 * Times are our own formatting; their longest form is far below the limit.
 */
export const SMS_VALUE_LIMITS: Readonly<Record<TemplateVariable, number>> = {
  firstName: 40,
  clinicName: 40,
  clinicPhone: 30,
  appointmentTime: 60,
  clinicianName: 40,
  expiryTime: 60,
};

/** The variables a kind's templates may use. */
export function variablesFor(kind: MessageKind): readonly TemplateVariable[] {
  // We do not know who wrote from an unknown number: nothing about any patient.
  if (kind === 'unknown_sender_help') return ['clinicName', 'clinicPhone'];
  const vars: TemplateVariable[] = ['firstName', 'clinicName', 'clinicPhone'];
  if (KINDS_NEEDING_TIME.has(kind)) vars.push('appointmentTime', 'clinicianName');
  if (KINDS_NEEDING_EXPIRY.has(kind)) vars.push('expiryTime');
  return vars;
}

/** Kinds whose text must state the appointment time (and, for an offer, the expiry). */
export const kindNeedsTime = (kind: MessageKind): boolean => KINDS_NEEDING_TIME.has(kind);
export const kindNeedsExpiry = (kind: MessageKind): boolean => KINDS_NEEDING_EXPIRY.has(kind);

// ---------------------------------------------------------------------------
// Templates and rendering
// ---------------------------------------------------------------------------

/** One kind's texts in one language, in the syntax of template.syntax.ts. */
export interface MessageTemplate {
  sms: string;
  /** Null for SMS-only kinds (answers to an inbound text). */
  emailSubject: string | null;
  emailBody: string | null;
}

/** The built-in texts of a kind in a language. */
export function defaultTemplate(kind: MessageKind, lang: Language = DEFAULT_LANGUAGE): MessageTemplate {
  const catalogue = DEFAULT_TEMPLATES[lang];
  if (!catalogue) throw new Error(`Unsupported message language "${String(lang)}"`);
  const template = Object.hasOwn(catalogue, kind) ? catalogue[kind] : undefined;
  if (!template) throw new Error(`Unknown message kind "${String(kind)}"`);
  return { sms: template.sms, emailSubject: template.email?.subject ?? null, emailBody: template.email?.body ?? null };
}

export const isMessageKind = (value: unknown): value is MessageKind => typeof value === 'string' && (MESSAGE_KINDS as readonly string[]).includes(value);
export const isLanguage = (value: unknown): value is Language => typeof value === 'string' && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);

/**
 * Renders an SMS, from the kind's default text or from `template` (a clinic's override). The
 * result is folded to the GSM-7 alphabet where it can be (see `foldToGsm7`): one character
 * outside GSM-7 - an "ó", a curly quote - switches the whole message to UCS-2, which more than
 * halves the characters per segment, so a Spanish aftercare text would cost 6+ segments
 * instead of 3.
 */
export function renderSms(kind: MessageKind, vars: TemplateVars, lang: Language = DEFAULT_LANGUAGE, template?: string | null): string {
  const source = template ?? defaultTemplate(kind, lang).sms;
  const text = renderTemplate(source, valuesFor(kind, vars, SMS_VALUE_LIMITS));
  // An empty optional part must not leave "Hi  ," behind.
  return foldToGsm7(text.replace(/[ \t]{2,}/g, ' ').trim());
}

/** Renders an email, from the defaults or a clinic's override. Email is Unicode: accents stay. */
export function renderEmail(
  kind: MessageKind,
  vars: TemplateVars,
  lang: Language = DEFAULT_LANGUAGE,
  template?: { subject?: string | null; body?: string | null },
): { subject: string; text: string } {
  const fallback = defaultTemplate(kind, lang);
  if (fallback.emailSubject === null || fallback.emailBody === null) {
    throw new Error(`Message kind "${kind}" is SMS only (an answer to an inbound text); it has no email template`);
  }
  const values = valuesFor(kind, vars, null);
  return {
    subject: singleLine(renderTemplate(template?.subject ?? fallback.emailSubject, values)),
    text: renderTemplate(template?.body ?? fallback.emailBody, values),
  };
}

/** Whether `renderEmail` supports this kind. */
export function hasEmailTemplate(kind: MessageKind): boolean {
  return defaultTemplate(kind, DEFAULT_LANGUAGE).emailBody !== null;
}

/** The kind's variables, cleaned up (and for SMS, fitted to their limits). */
function valuesFor(kind: MessageKind, vars: TemplateVars, limits: Readonly<Record<TemplateVariable, number>> | null): Record<string, string> {
  const time = singleLine(vars.appointmentTime);
  if (KINDS_NEEDING_TIME.has(kind) && !time) {
    throw new Error(`Message kind "${kind}" needs appointmentTime`);
  }
  const expiry = singleLine(vars.expiryTime);
  if (KINDS_NEEDING_EXPIRY.has(kind) && !expiry) {
    throw new Error(`Message kind "${kind}" needs expiryTime`);
  }
  // Names come from patient records and admin input: a stray newline must not
  // break the layout of an SMS or - worse - an email subject line.
  const all: Record<TemplateVariable, string> = {
    firstName: singleLine(vars.firstName),
    clinicName: singleLine(vars.clinicName),
    clinicPhone: singleLine(vars.clinicPhone),
    appointmentTime: time,
    clinicianName: singleLine(vars.clinicianName),
    expiryTime: expiry,
  };
  const values: Record<string, string> = {};
  for (const name of variablesFor(kind)) values[name] = limits ? fitToLength(all[name], limits[name]) : all[name];
  return values;
}

function singleLine(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** `value` if it fits, else cut at the last word boundary within `max` (or hard at `max`). */
export function fitToLength(value: string, max: number): string {
  const chars = [...value];
  if (chars.length <= max) return value;
  const cut = chars.slice(0, max + 1).join('');
  const space = cut.lastIndexOf(' ');
  return (space >= max / 2 ? cut.slice(0, space) : chars.slice(0, max).join('')).replace(/[\s,.;:-]+$/, '');
}

// ---------------------------------------------------------------------------
// Appointment time
// ---------------------------------------------------------------------------

/**
 * "Wed, Mar 12 at 9:30 AM EDT" / "miércoles 12 de marzo a las 9:30 a.m. EDT",
 * in the patient's zone. The zone abbreviation is always shown: the patient
 * may be in another zone than the clinic, and a bare "9:30" would be ambiguous.
 */
export function formatAppointmentTime(at: Date, timezone: string, lang: Language = DEFAULT_LANGUAGE): string {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  if (!local.isValid) throw new RangeError(`Cannot format appointment time in zone "${timezone}": ${local.invalidReason}`);
  const text =
    lang === 'es'
      ? // es-US gives "a.m." / "p.m." and US zone abbreviations ("EDT") like English does.
        // "a la 1:05", but "a las 2:05": the article agrees with the hour.
        local.setLocale('es-US').toFormat(`EEEE d 'de' MMMM '${local.hour % 12 === 1 ? 'a la' : 'a las'}' h:mm a ZZZZ`)
      : local.setLocale('en-US').toFormat("ccc, LLL d 'at' h:mm a ZZZZ");
  // Intl puts no-break spaces inside "a. m." in some ICU versions; they are
  // not GSM-7 and would turn an SMS into UCS-2.
  return text.replace(/[\u00a0\u202f]/g, ' ');
}

// ---------------------------------------------------------------------------
// SMS encoding and segments
// ---------------------------------------------------------------------------

/** GSM 03.38 default alphabet (one septet each); ESC (0x1B) left out on purpose. */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** GSM 03.38 extension table: each costs two septets (ESC + char). */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const isGsm7 = (ch: string): boolean => GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch);

/** Look-alikes phones and word processors put in text, mapped to GSM-7. */
const GSM7_SUBSTITUTES: Readonly<Record<string, string>> = {
  '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u2032': "'", '\u00b4': "'", '`': "'",
  '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u00ab': '"', '\u00bb': '"', '\u2033': '"',
  '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u2010': '-', '\u2011': '-',
  '\u2026': '...', '\u00a0': ' ', '\u202f': ' ', '\u2009': ' ', '\u200b': '', '\t': ' ',
  '\u2022': '-', '\u00b7': '.',
  // Latin letters that have no Unicode decomposition, so NFD cannot strip them.
  'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Ħ': 'H', 'ħ': 'h', 'ı': 'i', 'Œ': 'OE', 'œ': 'oe',
  'Ð': 'D', 'ð': 'd', 'Þ': 'Th', 'þ': 'th', 'ŀ': 'l', 'Ŀ': 'L',
};

/**
 * Replaces characters outside GSM-7 by their nearest GSM-7 equivalent:
 * typographic quotes and dashes by ASCII, and accented letters GSM-7 lacks by
 * the bare letter ("ó" -> "o", "Zoë" -> "Zoe"; "é", "ñ", "ü", "¿" are GSM-7
 * and stay). Characters with no equivalent (other scripts, emoji) are kept:
 * a name must not be mangled into "?", so such a message goes out as UCS-2.
 */
export function foldToGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (isGsm7(ch)) {
      out += ch;
      continue;
    }
    const substitute = GSM7_SUBSTITUTES[ch];
    if (substitute !== undefined) {
      out += substitute;
      continue;
    }
    const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
    out += bare.length > 0 && [...bare].every(isGsm7) ? bare : ch;
  }
  return out;
}

/**
 * How many SMS segments a body takes. Single messages hold 160 GSM-7 septets
 * or 70 UCS-2 code units; concatenated ones lose room to the UDH and hold 153
 * / 67 per segment. An extension character (2 septets) or a surrogate pair
 * is never split between segments, as real encoders do.
 */
export function smsSegments(body: string): { encoding: 'GSM-7' | 'UCS-2'; segments: number } {
  const chars = [...body];
  const gsm = chars.every(isGsm7);
  const unitsOf = gsm
    ? (ch: string): number => (GSM7_EXTENSION.has(ch) ? 2 : 1)
    : (ch: string): number => ch.length; // UTF-16 code units: 2 for astral characters
  const [single, perPart] = gsm ? [160, 153] : [70, 67];
  const encoding = gsm ? 'GSM-7' : 'UCS-2';

  const total = chars.reduce((sum, ch) => sum + unitsOf(ch), 0);
  if (total <= single) return { encoding, segments: 1 };

  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    const units = unitsOf(ch);
    if (used + units > perPart) {
      segments += 1;
      used = 0;
    }
    used += units;
  }
  return { encoding, segments };
}
