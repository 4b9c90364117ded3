/**
 * Classifies the body of an inbound SMS from a patient.
 *
 * Pure function: no Nest, no I/O. The inbound webhook handler decides what to
 * do with each kind (opt-out bookkeeping, confirming an appointment, storing a
 * pain score, ...); this file only decides what the patient *said*.
 *
 * Matching is deliberately strict: a keyword or a pain score is recognised
 * only when it is (almost) the whole message. Anything longer or ambiguous is
 * returned as free text so that a person reads it instead of the system
 * guessing - a wrongly parsed pain score is worse than an unparsed one.
 */

export type SmsReply =
  | { kind: 'stop' }
  | { kind: 'start' }
  | { kind: 'help' }
  | { kind: 'confirm' }
  | { kind: 'reschedule' }
  | { kind: 'yes' }
  | { kind: 'pain'; score: number }
  /**
   * Anything else, for a person to read. `asksToStop`: it reads like a request to stop messages
   * in the patient's own words ("please stop texting me", "no me envíen más mensajes"). That is
   * no opt-out by itself - staff confirm it - but it must not be overlooked.
   */
  | { kind: 'free_text'; text: string; asksToStop: boolean };

export const PAIN_SCORE_MIN = 0;
export const PAIN_SCORE_MAX = 10;

/**
 * Keywords, written without spaces or hyphens: "STOP ALL", "opt-out" and
 * "Opt Out" all compact to the same key (see `compactKeyword`).
 *
 * The STOP and START families mirror Twilio's default opt-out / opt-in
 * keywords. Twilio acts on them itself (it blocks or unblocks the number at
 * the carrier level), so we must recognise the same words to keep our
 * `smsOptedOut` flag in step with what Twilio will actually deliver. Note that
 * CANCEL is an opt-out keyword there: a patient who texts "cancel" meaning the
 * appointment is opted out by Twilio all the same.
 *
 * YES is an opt-in keyword for Twilio too, but here it is its own kind because
 * it also answers questions ("do you want to book?"). The handler should treat
 * a YES from an opted-out patient as an opt-in, since Twilio will have
 * re-subscribed the number.
 */
type KeywordKind = Exclude<SmsReply['kind'], 'pain' | 'free_text'>;
const KEYWORD_TABLE: Readonly<Record<string, KeywordKind>> = {
  // Opt out
  stop: 'stop',
  stopall: 'stop',
  unsubscribe: 'stop',
  cancel: 'stop',
  end: 'stop',
  quit: 'stop',
  optout: 'stop',
  revoke: 'stop',
  // Opt back in
  start: 'start',
  unstop: 'start',
  subscribe: 'start',
  // Contact details
  help: 'help',
  info: 'help',
  ayuda: 'help', // Spanish-speaking patients (templates exist in 'es')
  // Answers to a reminder / proposed follow-up
  c: 'confirm',
  confirm: 'confirm',
  r: 'reschedule',
  reschedule: 'reschedule',
  // Generic yes
  yes: 'yes',
  y: 'yes',
  si: 'yes', // "sí" after accents are folded
};
// A Map, not the object: a patient texting "constructor" or "toString" must
// not find Object.prototype's members.
const KEYWORDS: ReadonlyMap<string, KeywordKind> = new Map(Object.entries(KEYWORD_TABLE));

/** Characters ignored at either end: ". ! ? , ; :", quotes, brackets. */
const EDGE_PUNCTUATION = /^[\s.!?¡¿,;:'"`´‘’“”()[\]]+|[\s.!?¡¿,;:'"`´‘’“”()[\]]+$/gu;

/** A score 0-10 written as a whole number, optionally with "/10" or "out of 10". */
const SCORE = String.raw`(\d{1,2})`;
const OUT_OF_TEN = String.raw`(?:\s*/\s*10|\s+(?:out\s+)?of\s+10|\s+de\s+10)?`;

/**
 * Accepted shapes of a pain answer, after normalisation (lower case, single
 * spaces, accents folded, edge punctuation removed). Each has exactly one
 * score capture group and is anchored, so a message with a second number
 * ("it was 3 yesterday but 9 today") never matches.
 */
const PAIN_PATTERNS: readonly RegExp[] = [
  // "7", "7/10", "7 / 10", "7 out of 10", "7 of 10", "7 de 10"
  new RegExp(`^${SCORE}${OUT_OF_TEN}$`),
  // "pain 7", "pain: 7", "pain is 7", "pain score 7", "pain level: 7/10", "dolor 7".
  // No "-" separator: "pain -1" must not read as 1.
  new RegExp(`^(?:my\\s+)?(?:pain|dolor)(?:\\s+(?:score|level))?(?:\\s*[:=]\\s*|\\s+is\\s+|\\s+es\\s+|\\s+)(?:a\\s+)?${SCORE}${OUT_OF_TEN}$`),
  // "my pain is 7", "mi dolor es 7"
  new RegExp(`^mi\\s+dolor\\s+es\\s+(?:un\\s+)?${SCORE}${OUT_OF_TEN}$`),
];

export function parseSmsReply(body: string): SmsReply {
  const original = (body ?? '').trim();
  const normalized = normalize(original);

  const keyword = KEYWORDS.get(compactKeyword(normalized));
  if (keyword) return { kind: keyword };

  const score = matchPainScore(normalized);
  if (score !== undefined) return { kind: 'pain', score };

  // Everything else - including out-of-range numbers ("11", "-1") and
  // decimals ("7.5") - goes to a person unchanged.
  //
  // Why "7.5" is free text rather than rounded: the scale we ask for is whole
  // numbers, and the escalation threshold (8 or more) sits right where
  // rounding matters - rounding 7.5 up raises an alert the patient may not
  // have meant, rounding down hides one they may have meant. The patient's
  // own words, read by a clinician, are the safer record.
  return { kind: 'free_text', text: original, asksToStop: asksToStop(original) };
}

/**
 * Requests to stop in the patient's own words, English and Spanish, matched on the text in
 * lower case with accents, apostrophes and punctuation left out ("Don't text me!" reads "dont
 * text me"). Each names what is to stop - texting, messages, contact - so that "when can I stop
 * the ice packs?" or "the pain won't stop" are not taken for one. A false alarm costs a phone
 * call; a missed request costs a patient's trust, so the net is fairly wide.
 */
const STOP_REQUESTS: readonly RegExp[] = [
  // "stop texting me", "please stop sending these", "stop calling me at work"
  /\bstop (?:all )?(?:the |these |your |those )?(?:texting|txting|texts?|txts?|messaging|messages?|msgs?|sending|contacting|calling|emailing|writing|reminders?|sms)\b/,
  // "don't text me", "do not message me anymore", "pls dont send me texts"
  /\b(?:dont|do not|never|please dont|pls dont) (?:ever )?(?:text|txt|message|msg|sms|send|contact|call|write|email|bother)(?: me| us| this number)?\b/,
  // "no more texts", "no further messages"
  /\bno (?:more|further) (?:texts?|txts?|messages?|msgs?|sms|reminders?|notifications?)\b/,
  // "unsubscribe me", "opt me out", "take me off your list", "remove my number"
  /\b(?:unsubscribe me|opt me out|take me off|remove me from|remove my number|delete my number|lose my number|leave me alone)\b/,
  // "I don't want any more texts", "i do not want these messages"
  /\b(?:dont|do not) (?:want|need|wish to get|wish to receive) (?:any |these |your |the )?(?:more )?(?:texts?|txts?|messages?|msgs?|sms|reminders?)\b/,
  // "dejen de enviarme mensajes", "deje de escribirme"
  /\b(?:deje|dejen|deja|dejar|dejes) de (?:enviar|mandar|escribir|textear|llamar|contactar)\w*/,
  // "no me envíen más mensajes", "no me escriban", "no me manden nada"
  /\bno (?:me|nos) (?:envien|manden|escriban|envies|mandes|escribas|contacten|llamen|textees|texteen)\b/,
  // "no quiero recibir más mensajes", "no deseo mensajes"
  /\bno (?:quiero|deseo) (?:recibir )?(?:mas )?(?:mensajes|textos|sms|recordatorios)\b/,
  // "quiero darme de baja", "denme de baja"
  /\b(?:dar|darme|darnos|denme|den) de baja\b/,
  // "no más mensajes", "basta de mensajes"
  /\b(?:no mas|basta de|ya no (?:quiero|mas)) (?:mensajes|textos|sms)\b/,
  // "borren mi número", "sáquenme de la lista"
  /\b(?:borren|eliminen|quiten) mi (?:numero|telefono)\b|\bsaquenme de\b/,
];

/** Whether free text asks, in words, to stop messages (see STOP_REQUESTS). */
export function asksToStop(text: string): boolean {
  const words = (text ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’‘`´]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return STOP_REQUESTS.some((pattern) => pattern.test(words));
}

/** Lower case, accents folded, inner whitespace collapsed, edge punctuation removed. */
function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // "Sí" -> "si", full-width digits -> ASCII (NFKD)
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(EDGE_PUNCTUATION, '');
}

/**
 * Keywords may be written as one or two words ("STOP ALL", "opt out",
 * "opt-out"). Longer messages are never keywords: "please stop calling me
 * at work" is for a person to read, not an opt-out.
 */
function compactKeyword(normalized: string): string {
  if (normalized.split(' ').length > 2) return '';
  return normalized.replace(/[\s_-]+/g, '');
}

function matchPainScore(normalized: string): number | undefined {
  for (const pattern of PAIN_PATTERNS) {
    const match = pattern.exec(normalized);
    if (!match) continue;
    const score = Number(match[1]);
    // "11" or "15/10" is not on the scale: let a person read it.
    if (Number.isInteger(score) && score >= PAIN_SCORE_MIN && score <= PAIN_SCORE_MAX) return score;
    return undefined;
  }
  return undefined;
}
