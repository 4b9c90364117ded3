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
 * Requests to stop in the patient's own words, English and Spanish. Twilio acts only on a
 * keyword that is the whole message ("STOP"), so everything longer - "please stop", "STOP STOP",
 * "unsubscribe please" - reaches us as free text, and Twilio has NOT opted the number out. Such
 * a text is no opt-out here either (staff confirm it), but automated SMS are held at once.
 *
 * Three ways a text asks to stop (matched on the text in lower case with accents, apostrophes
 * and punctuation left out: "Don't text me!" reads "dont text me"):
 *
 * 1. A clause made only of STOP words and courtesy ("please stop", "stop it", "STOP STOP",
 *    "unsubscribe please", "Stop, wrong number", "basta ya"). "stop" within a longer clause is
 *    not enough on its own: "when can I stop the ice packs?" and "the pain will not stop" are
 *    not requests. CANCEL, END and QUIT are left out of this rule: in a longer text they are
 *    ordinary words ("cancel please" answers a reminder; "I quit smoking"). As the whole message
 *    they are keywords and opt out, as at Twilio.
 * 2. Words that only ever mean opting out, anywhere: "unsubscribe", "opt out", "stopall",
 *    "revoke", "remove me", "take me off", "no more texts", "wrong number", "darme de baja".
 * 3. A phrase that names what is to stop: texts, messages, contact ("stop texting me", "don't
 *    message me", "no me envíen mensajes").
 *
 * Calls and e-mail are other channels: "please don't call me, just text", "stop calling me",
 * "no me llamen", "unsubscribe me from the emails" do not ask to stop SMS, so a text that names
 * only calls or e-mail is not a stop request (it still reaches staff as free text). A false
 * alarm costs a phone call; a missed request costs a patient's trust, so the net is fairly wide.
 */

/** Words that, alone in a clause with courtesy around them, ask to stop ("stop please"). */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'stop', 'stopall', 'unsubscribe', 'optout', 'revoke',
  // Spanish: "para", "pare", "basta". Not "alto" or "baja": alone, they answer "how is the pain?" (high, low).
  'para', 'pare', 'paren', 'parar', 'basta',
]);

/** Courtesy and filler around a STOP word that leave it a request ("stop it now please"). */
const COURTESY: ReadonlySet<string> = new Set([
  'please', 'pls', 'plz', 'plse', 'now', 'it', 'this', 'that', 'these', 'them', 'all', 'already', 'asap', 'immediately', 'right', 'away',
  'thanks', 'thank', 'you', 'thx', 'ty', 'ok', 'okay', 'just', 'me', 'again', 'seriously', 'really', 'sir', 'maam',
  'por', 'favor', 'porfa', 'porfavor', 'ya', 'ahora', 'gracias', 'mismo',
]);

/** Opting-out words and phrases that mean nothing else, anywhere in the text. */
const OPT_OUT_ANYWHERE = [
  /\b(?:unsubscribe\w*|unsuscribe\w*|optout|opt (?:me )?out|stopall|stop all (?:the )?(?:texts?|messages?)|revoke)\b/,
  /\b(?:remove (?:me|my (?:number|phone|cell))|take (?:me|my number) off|delete my number|lose my number|leave me alone|wrong (?:number|person))\b/,
  /\bno (?:more|further) (?:text messages|texts?|txts?|messages?|msgs?|sms|reminders?|notifications?)\b/,
  // Spanish: "darme de baja", "borren mi número", "sáquenme de la lista", "número equivocado"
  /\b(?:dar|darme|darnos|denme|den) de baja\b|\b(?:cancelar|anular) (?:la |mi )?suscripcion\b|\bdesuscrib\w*/,
  /\b(?:borren|eliminen|quiten) mi (?:numero|telefono)\b|\b(?:saquenme|quitenme|borrenme|eliminenme) de\b|\bnumero equivocado\b/,
];

/** What a patient may ask to stop by SMS: texts, messages, contact. Not calls or e-mail. */
const TEXTING = String.raw`(?:texting|txting|text messages|texts?|txts?|messaging|messages?|msgs?|sending|contacting|writing|reminders?|notifications?|sms)`;
const STOP_PHRASES = [
  // "stop texting me", "please stop sending these", "stop calling and texting me", "stop getting these texts"
  new RegExp(String.raw`\bstop (?:\w+ (?:and|or) )?(?:all )?(?:the |these |your |those )?${TEXTING}\b`),
  new RegExp(String.raw`\bstop (?:getting|receiving) (?:any |all |the |these |your |those )?${TEXTING}\b`),
  // "don't text me", "do not message me anymore", "pls dont send me texts", "don't call or text me"
  /\b(?:dont|do not|never|please dont|pls dont) (?:ever )?(?:\w+ (?:or|and) )?(?:text|txt|message|msg|sms|send|contact|write|bother)(?: me| us| this number)?\b/,
  // "I don't want any more texts", "i do not want these messages"
  new RegExp(String.raw`\b(?:dont|do not) (?:want|need|wish to get|wish to receive) (?:to (?:get|receive) )?(?:any |these |your |the )?(?:more )?${TEXTING}\b`),
  // "dejen de enviarme mensajes", "deje de escribirme" (not "dejen de llamarme": calls)
  /\b(?:deje|dejen|deja|dejar|dejes) de (?:enviar|mandar|escribir|textear|contactar)\w*/,
  // "no me envíen más mensajes", "no me escriban", "no me manden nada" (not "no me llamen": calls)
  /\bno (?:me|nos) (?:envien|manden|escriban|envies|mandes|escribas|contacten|textees|texteen)\b/,
  // "no quiero recibir más mensajes", "ya no quiero mensajes", "no deseo mensajes"
  /\bno (?:quiero|deseo) (?:recibir )?(?:mas )?(?:mensajes|textos|sms|recordatorios)\b/,
  // "no más mensajes", "basta de mensajes"
  /\b(?:no mas|basta de|ya no (?:quiero|mas)) (?:mensajes|textos|sms)\b/,
];

/** A text that names calls or e-mail and no texting asks about another channel. */
const OTHER_CHANNEL = /\b(?:calls?|calling|called|ring|ringing|voicemails?|phone calls?|e ?mails?|emailing|mail|correos?|llam\w*)\b/;
const TEXT_CHANNEL = /\b(?:text\w*|txt\w*|sms|messag\w*|msgs?|mensaj\w*|textos?|whatsapp)\b/;

/** Lower case, accents folded, apostrophes dropped, everything but letters and digits a space. */
function wordsOf(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’‘`´]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether free text asks, in words, to stop messages (see above). */
export function asksToStop(text: string): boolean {
  const source = text ?? '';
  const clauses = source.split(/[.!?¡¿;,:\n\r]+|\s[-–—]\s/u).map(wordsOf).filter(Boolean);
  const onlyStopWords = (clause: string) => {
    const words = clause.replace(/\bopt out\b/g, 'optout').replace(/\bstop all\b/g, 'stopall').split(' ');
    return words.some((w) => STOP_WORDS.has(w)) && words.every((w) => STOP_WORDS.has(w) || COURTESY.has(w));
  };
  if (clauses.some(onlyStopWords)) return true;
  const words = wordsOf(source);
  if (OTHER_CHANNEL.test(words) && !TEXT_CHANNEL.test(words)) return false;
  return OPT_OUT_ANYWHERE.some((pattern) => pattern.test(words)) || STOP_PHRASES.some((pattern) => pattern.test(words));
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
