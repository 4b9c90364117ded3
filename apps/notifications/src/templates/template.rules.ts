/**
 * The rules every message template keeps, checked when an admin edits one (and, in the spec, on
 * every default): what a patient's message must carry and must never carry. Pure functions: no
 * Nest, no I/O.
 *
 * Two kinds of refusal, as the API answers them:
 * - `TemplateInputError` (400): the text is not a template we can render - a broken `{{`, or a
 *   variable the kind does not have (named, with the ones it has).
 * - `TemplateProblem`s (422 on save; listed by the preview): it renders, but breaks a rule -
 *   no clinic name, no way to opt out, a clinical word, too many SMS segments, ...
 *
 * Rules are checked on renders with the longest allowed values (SMS_VALUE_LIMITS) and with the
 * optional values empty, so a section that hides the clinic name when a first name is missing
 * is caught as well.
 */
import {
  MAX_SMS_SEGMENTS,
  SMS_KINDS_WITHOUT_OPT_OUT_LINE,
  SMS_VALUE_LIMITS,
  fitToLength,
  foldToGsm7,
  formatAppointmentTime,
  kindNeedsExpiry,
  kindNeedsTime,
  renderEmail,
  renderSms,
  smsSegments,
  variablesFor,
  type Language,
  type MessageKind,
  type MessageTemplate,
  type TemplateVariable,
  type TemplateVars,
} from './message.templates.js';
import { parseTemplate, renderNodes, staticTextOf, TemplateSyntaxError, variablesOf } from './template.syntax.js';

/** The parts of a template an admin edits, named as in the API. */
export type TemplatePart = 'smsBody' | 'emailSubject' | 'emailBody';

export type TemplateRule =
  | 'names_clinic'
  | 'opt_out'
  | 'clinical_terms'
  | 'invisible_characters'
  | 'first_name'
  | 'states_time'
  | 'what_to_do'
  | 'reach_clinic'
  | 'segments'
  | 'one_line';

export interface TemplateProblem {
  field: TemplatePart;
  rule: TemplateRule;
  message: string;
}

/** The text cannot be rendered for this kind: bad syntax, or variables the kind does not have. */
export class TemplateInputError extends Error {
  override readonly name = 'TemplateInputError';
  constructor(
    readonly code: 'TEMPLATE.SYNTAX' | 'TEMPLATE.UNKNOWN_VARIABLE',
    readonly field: string,
    message: string,
    /** For TEMPLATE.UNKNOWN_VARIABLE: the names that are not allowed. */
    readonly unknown: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * Words that would tell a reader of the lock screen what the patient is treated for, where, or
 * how: diagnosis, procedure (and its tools: needle, ultrasound, platelets), site, pain history.
 * Whole words, so "hip" does not hit "relationship" nor "leg" "legal". Checked on the template's
 * own words and on its renderings with every value masked (see `clinicalTermsIn`), not on the
 * values: a clinic may be called "Knee & Hip Center", and that is its name, not the patient's
 * diagnosis.
 *
 * Left out on purpose, as too common in ordinary wording: "back" alone ("call us back", "get
 * back to you"; "lower back", "back pain" are in), "feet" ("stay off your feet" is ordinary
 * advice; "foot" is in), Spanish "pie" ("de pie", standing).
 */
export const CLINICAL_TERMS =
  /\b(bmac|bone marrow|marrow|m[eé]dula|aspirat\w*|aspirad\w*|injections?|inyecci[oó]n\w*|inyectad\w*|stem cells?|c[eé]lulas madre|centrifug\w*|prp|platelets?|plaquetas?|plasma|needles?|agujas?|ultrasounds?|ecograf[ií]\w*|ultrasonid\w*|osteoarthritis|arthritis|artrosis|artritis|osteonecrosis|necrosis|fractur\w*|cartilag\w*|cart[ií]lago|tendons?|tend[oó]n|tendinitis|ligaments?|ligamentos?|menisc\w*|rotator cuff|iliac|il[ií]aco|hips?|cadera|knees?|rodillas?|ankles?|tobillos?|shoulders?|hombros?|elbows?|codos?|wrists?|mu[nñ]ecas?|legs?|piernas?|spines?|spinal|columna|necks?|cuello|foot|(?:lower|upper|mid) back|back (?:pain|injury|surgery)|espalda|orthopa?edic|ortopedia|diagnos\w*|diagn[oó]stico|pain (?:score|level|history|trend)|(?:last|previous) (?:pain|score)|puntuaci[oó]n|nivel de dolor)\b/i;

/** Kinds whose message asks for an answer: the words that tell the patient what to do. */
const WHAT_TO_DO: Partial<Record<MessageKind, { test: (text: string) => boolean; says: string }>> = (() => {
  const confirmOrReschedule = { test: (t: string) => /\bC\b/.test(t) && /\bR\b/.test(t), says: 'how to answer: C to confirm, R to reschedule' };
  return {
    booking_confirmation: confirmOrReschedule,
    reminder: confirmOrReschedule,
    rescheduled: confirmOrReschedule,
    follow_up_booked: confirmOrReschedule,
    checkin: { test: (t) => /\b0\b/.test(t) && /\b10\b/.test(t), says: 'how to answer: a pain score from 0 to 10' },
    waitlist_offer: { test: (t) => /\b(YES|SI|SÍ)\b/.test(t), says: 'how to take the offer: reply YES' },
  };
})();

/** Direct answers that need not address the patient by name (none is known, or none needed). */
const KINDS_WITHOUT_NAME: ReadonlySet<MessageKind> = new Set<MessageKind>(['opted_out', 'opted_in', 'help', 'unknown_sender_help']);

/** Answers whose whole point is how to reach the clinic: they must give its phone. */
const KINDS_GIVING_PHONE: ReadonlySet<MessageKind> = new Set<MessageKind>(['help', 'unknown_sender_help']);

/** The longest values the rules render with: every limit of SMS_VALUE_LIMITS reached. */
export function longestValues(lang: Language): Required<TemplateVars> {
  // A Wednesday in September (the longest weekday and month names in Spanish), 22:30 in a zone
  // with the longest abbreviation ("GMT+12:45").
  const time = formatAppointmentTime(new Date('2025-09-10T09:45:00Z'), 'Pacific/Chatham', lang);
  return {
    firstName: 'Maria-Guadalupe Esperanza de los Ángeles',
    clinicName: 'Northside Orthopaedic & Sports Medicine.',
    clinicPhone: '+1 (212) 555-0100 ext. 1234',
    clinicianName: 'Dr. Maximiliano Fernández-Castellanos Jr',
    appointmentTime: time,
    expiryTime: time,
  };
}

/** Short values with every optional one empty (no first name, no clinician). */
function minimalValues(): TemplateVars {
  return { firstName: '', clinicName: 'Aftercare Clinic', clinicPhone: '+12125550100', clinicianName: '', appointmentTime: 'Mon, Mar 2 at 9:00 AM EST', expiryTime: 'Sun, Mar 1 at 6:00 PM EST' };
}

/**
 * Parses one part of a template and checks it uses only the kind's variables. Throws
 * TemplateInputError naming the part, and the unknown variables with the ones the kind has.
 */
export function checkTemplateInput(kind: MessageKind, field: TemplatePart, source: string): void {
  let names: string[];
  try {
    names = variablesOf(parseTemplate(source));
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new TemplateInputError('TEMPLATE.SYNTAX', field, `${field}: ${error.message}`);
    throw error;
  }
  const allowed = variablesFor(kind) as readonly string[];
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    throw new TemplateInputError(
      'TEMPLATE.UNKNOWN_VARIABLE',
      field,
      `${field} uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `{{${n}}}`).join(', ')}; ${kind} messages know ${allowed.map((n) => `{{${n}}}`).join(', ')}`,
      unknown,
    );
  }
}

/** Given preview values must be the kind's variables. */
export function checkValuesInput(kind: MessageKind, values: Readonly<Record<string, unknown>>): void {
  const allowed = variablesFor(kind) as readonly string[];
  const unknown = Object.keys(values).filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    throw new TemplateInputError(
      'TEMPLATE.UNKNOWN_VARIABLE',
      `values.${unknown[0]}`,
      `values has unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; ${kind} messages know ${allowed.join(', ')}`,
      unknown,
    );
  }
}

/**
 * Every rule the template breaks. The parts must have passed `checkTemplateInput` (the
 * defaults always do).
 */
export function templateProblems(kind: MessageKind, lang: Language, template: MessageTemplate): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const add = (field: TemplatePart, rule: TemplateRule, message: string) => problems.push({ field, rule, message });
  const longest = longestValues(lang);
  const minimal = minimalValues();
  const sms = { long: renderSms(kind, longest, lang, template.sms), short: renderSms(kind, minimal, lang, template.sms) };
  const fitted = (name: TemplateVariable) => asInSms(longest[name], SMS_VALUE_LIMITS[name]);

  // --- SMS ---
  if (!sms.long.includes(fitted('clinicName')) || !sms.short.includes(minimal.clinicName)) {
    add('smsBody', 'names_clinic', 'smsBody must name the clinic ({{clinicName}}) in every case');
  }
  if (!SMS_KINDS_WITHOUT_OPT_OUT_LINE.has(kind) && !(/\bSTOP\b/.test(sms.long) && /\bSTOP\b/.test(sms.short))) {
    add('smsBody', 'opt_out', `smsBody must say how to opt out, e.g. "${lang === 'es' ? 'Responda STOP para darse de baja.' : 'Reply STOP to opt out.'}"`);
  }
  invisibleCharacters('smsBody', template.sms, add);
  clinicalTerms('smsBody', template.sms, add);
  if (!KINDS_WITHOUT_NAME.has(kind) && !sms.long.includes(fitted('firstName'))) {
    add('smsBody', 'first_name', "smsBody must address the patient by first name ({{firstName}})");
  }
  if (kindNeedsTime(kind) && !(sms.long.includes(fitted('appointmentTime')) && sms.short.includes(minimal.appointmentTime!))) {
    add('smsBody', 'states_time', 'smsBody must state the time of the appointment ({{appointmentTime}})');
  }
  if (kindNeedsExpiry(kind) && !(sms.long.includes(fitted('expiryTime')) && sms.short.includes(minimal.expiryTime!))) {
    add('smsBody', 'states_time', 'smsBody must say until when the patient can answer ({{expiryTime}})');
  }
  const whatToDo = WHAT_TO_DO[kind];
  if (whatToDo && !(whatToDo.test(sms.long) && whatToDo.test(sms.short))) add('smsBody', 'what_to_do', `smsBody must tell the patient ${whatToDo.says}`);
  if (KINDS_GIVING_PHONE.has(kind) && !(sms.long.includes(fitted('clinicPhone')) && sms.short.includes(minimal.clinicPhone))) {
    add('smsBody', 'reach_clinic', "smsBody must give the clinic's phone number ({{clinicPhone}})");
  }
  const size = smsSegments(sms.long);
  if (size.segments > MAX_SMS_SEGMENTS) {
    add('smsBody', 'segments', `smsBody takes ${size.segments} ${size.encoding} segments with the longest allowed values; at most ${MAX_SMS_SEGMENTS} are allowed`);
  }

  // --- email ---
  if (template.emailSubject !== null && template.emailBody !== null) {
    const long = renderEmail(kind, longest, lang, { subject: template.emailSubject, body: template.emailBody });
    const short = renderEmail(kind, minimal, lang, { subject: template.emailSubject, body: template.emailBody });
    if (/[\r\n]/.test(template.emailSubject)) add('emailSubject', 'one_line', 'emailSubject must be one line');
    if (!long.subject.includes(longest.clinicName) || !short.subject.includes(minimal.clinicName)) {
      add('emailSubject', 'names_clinic', 'emailSubject must name the clinic ({{clinicName}})');
    }
    invisibleCharacters('emailSubject', template.emailSubject, add);
    clinicalTerms('emailSubject', template.emailSubject, add);
    if (!long.text.includes(longest.clinicName) || !short.text.includes(minimal.clinicName)) {
      add('emailBody', 'names_clinic', 'emailBody must name the clinic ({{clinicName}})');
    }
    if (!long.text.includes(longest.clinicPhone) || !short.text.includes(minimal.clinicPhone)) {
      add('emailBody', 'reach_clinic', "emailBody must say how to reach the clinic ({{clinicPhone}})");
    }
    invisibleCharacters('emailBody', template.emailBody, add);
    clinicalTerms('emailBody', template.emailBody, add);
    if (!KINDS_WITHOUT_NAME.has(kind) && !long.text.includes(longest.firstName)) {
      add('emailBody', 'first_name', 'emailBody must address the patient by first name ({{firstName}})');
    }
    const statesTime = (e: { subject: string; text: string }, time: string) => e.subject.includes(time) || e.text.includes(time);
    if (kindNeedsTime(kind) && !(statesTime(long, longest.appointmentTime) && statesTime(short, minimal.appointmentTime!))) {
      add('emailBody', 'states_time', 'the email must state the time of the appointment ({{appointmentTime}}) in its subject or body');
    }
    if (kindNeedsExpiry(kind) && !(statesTime(long, longest.expiryTime) && statesTime(short, minimal.expiryTime!))) {
      add('emailBody', 'states_time', 'the email must say until when the patient can answer ({{expiryTime}})');
    }
  }
  return problems;
}

type AddProblem = (field: TemplatePart, rule: TemplateRule, message: string) => void;

/**
 * Format characters (Unicode Cf: zero-width spaces and joiners, soft hyphens, direction marks,
 * the BOM) show nothing, yet split a word for a check: "inj\u200Bection" reads "injection" on
 * the phone (and the SMS folding drops the zero-width space altogether). A template has no use
 * for them, so they are refused, wherever they are.
 */
function invisibleCharacters(field: TemplatePart, source: string, add: AddProblem): void {
  const found = /\p{Cf}/u.exec(source);
  if (found) {
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    add(field, 'invisible_characters', `${field} has an invisible character (U+${code}) at character ${found.index + 1}: remove it; it can hide a word from the reader of these rules`);
  }
}

function clinicalTerms(field: TemplatePart, source: string, add: AddProblem): void {
  const found = clinicalTermsIn(source);
  if (found) add(field, 'clinical_terms', `${field} says "${found}": messages never name a diagnosis, procedure, treated site or pain history`);
}

/** A neutral stand-in for every value: no letter, so it can neither make nor hide a word. */
const MASKED = '#';

/**
 * The first clinical word a reader could see in the template, or null. Looked for in the
 * template's own words, and in the text it renders with each value masked or empty in every
 * combination - so that sections and placeholders cannot glue a word together
 * ("BM{{^clinicName}}{{/clinicName}}AC", "{{#clinicName}}injec{{/clinicName}}tion") - each as a
 * reader sees it (`asRead`: full-width letters, invisible characters, look-alikes folded).
 */
export function clinicalTermsIn(source: string): string | null {
  const nodes = parseTemplate(source);
  const names = variablesOf(nodes).slice(0, 10); // a kind has 6 variables at most
  const texts = new Set<string>([staticTextOf(nodes)]);
  for (let present = 0; present < 1 << names.length; present++) {
    texts.add(renderNodes(nodes, Object.fromEntries(names.map((name, i) => [name, present & (1 << i) ? MASKED : '']))));
  }
  for (const text of texts) {
    const read = asRead(text);
    const found = CLINICAL_TERMS.exec(read) ?? CLINICAL_TERMS.exec(read.normalize('NFD').replace(/\p{M}/gu, ''));
    if (found) return found[0];
  }
  return null;
}

/**
 * Text as a phone shows it, for the word check: compatibility forms folded (NFKC: full-width
 * "ｉｎｊｅｃｔｉｏｎ", ligatures), format characters dropped (soft hyphen, zero-width space), and
 * the SMS folding applied (dotless "ı" reads "i"). Look-alikes from other scripts (a Cyrillic
 * "і") are not folded.
 */
function asRead(text: string): string {
  return foldToGsm7(text.normalize('NFKC').replace(/\p{Cf}/gu, ''));
}

/** A value as an SMS carries it: one line, fitted to its limit, folded to GSM-7. */
const asInSms = (value: string | undefined, max: number): string => foldToGsm7(fitToLength((value ?? '').replace(/\s+/g, ' ').trim(), max));

// ---------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------

export interface TemplatePreview {
  sms: { text: string; segments: number; encoding: 'GSM-7' | 'UCS-2'; characters: number };
  email: { subject: string; body: string } | null;
  /** The values the preview was rendered with (the given ones over samples). */
  values: Partial<Record<TemplateVariable, string>>;
  problems: TemplateProblem[];
}

/**
 * Renders a template with sample values (or the given ones over them) and lists the rules it
 * breaks. The parts must have passed `checkTemplateInput`, the values `checkValuesInput`.
 */
export function previewTemplate(
  kind: MessageKind,
  lang: Language,
  template: MessageTemplate,
  samples: TemplateVars,
  given: Partial<Record<TemplateVariable, string>> = {},
): TemplatePreview {
  const values: Partial<Record<TemplateVariable, string>> = {};
  for (const name of variablesFor(kind)) {
    const value = given[name] !== undefined && given[name] !== '' ? given[name] : samples[name];
    if (value !== undefined) values[name] = value;
  }
  const text = renderSms(kind, values as TemplateVars, lang, template.sms);
  const size = smsSegments(text);
  const email =
    template.emailSubject !== null && template.emailBody !== null
      ? renderEmail(kind, values as TemplateVars, lang, { subject: template.emailSubject, body: template.emailBody })
      : null;
  return {
    sms: { text, segments: size.segments, encoding: size.encoding, characters: [...text].length },
    email: email ? { subject: email.subject, body: email.text } : null,
    values,
    problems: templateProblems(kind, lang, template),
  };
}
