/**
 * Patient-facing message texts (SMS and email) and the helpers that size them.
 *
 * Pure functions: no Nest, no I/O.
 *
 * Privacy rules every template follows (and the spec checks):
 * - a message carries the first name, the clinic, the time and what to do -
 *   never a diagnosis, the procedure's name, the treated site or pain history.
 *   A text message is read on lock screens and shared phones.
 * - every automated SMS names the clinic and says how to opt out; the direct
 *   answers to STOP / START / HELP name the clinic (they *are* the opt-out
 *   bookkeeping, so repeating "Reply STOP" there is noise).
 *
 * Texts live in a catalogue: language -> kind -> template. Adding a language
 * means adding one more catalogue; the `Record` types make the compiler
 * insist that it covers every kind.
 */
import { DateTime } from 'luxon';

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
// Catalogues
// ---------------------------------------------------------------------------

/** Variables after clean-up; `time` is '' for kinds that do not state a time. */
interface Ctx {
  name: string;
  clinic: string;
  phone: string;
  time: string;
  clinician: string;
  /** '' for kinds that do not state an expiry. */
  expiry: string;
}

interface EmailTemplate {
  subject: (c: Ctx) => string;
  text: (c: Ctx) => string;
}

interface KindTemplate {
  sms: (c: Ctx) => string;
  /** Absent for kinds that only exist as an answer to an inbound SMS. */
  email?: EmailTemplate;
}

type Catalogue = Record<MessageKind, KindTemplate>;

// --- English ---------------------------------------------------------------

const EN_OPT_OUT = 'Reply STOP to opt out.';
const EN_CONFIRM_OR_RESCHEDULE = 'Reply C to confirm or R to reschedule.';
const enHi = (c: Ctx): string => (c.name ? `Hi ${c.name}` : 'Hi');
const enThanks = (c: Ctx): string => (c.name ? `Thank you, ${c.name}.` : 'Thank you.');
const enWith = (c: Ctx): string => (c.clinician ? ` with ${c.clinician}` : '');
const enEmail = (c: Ctx, paragraphs: string[]): string =>
  [
    `${enHi(c)},`,
    ...paragraphs,
    `${c.clinic}\n${c.phone}`,
    `You are receiving this email because you are a patient of ${c.clinic}. To change how we contact you, call ${c.phone}.`,
  ].join('\n\n') + '\n';
const EN_EMAIL_CONFIRM = (c: Ctx): string =>
  `If you get our text messages, reply C to confirm or R to reschedule. You can also call us at ${c.phone}.`;

const EN: Catalogue = {
  booking_confirmation: {
    sms: (c) =>
      `${enHi(c)}, your appointment at ${c.clinic}${enWith(c)} is booked for ${c.time}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `Your appointment at ${c.clinic}: ${c.time}`,
      text: (c) =>
        enEmail(c, [
          `Your appointment at ${c.clinic}${enWith(c)} is booked for ${c.time}. A calendar invitation is attached.`,
          EN_EMAIL_CONFIRM(c),
        ]),
    },
  },
  reminder: {
    sms: (c) =>
      `${enHi(c)}, a reminder of your appointment at ${c.clinic}${enWith(c)} on ${c.time}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `Reminder: your appointment at ${c.clinic} on ${c.time}`,
      text: (c) =>
        enEmail(c, [`This is a reminder of your appointment at ${c.clinic}${enWith(c)} on ${c.time}.`, EN_EMAIL_CONFIRM(c)]),
    },
  },
  rescheduled: {
    sms: (c) =>
      `${enHi(c)}, your appointment at ${c.clinic}${enWith(c)} has moved to ${c.time}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `New time for your appointment at ${c.clinic}: ${c.time}`,
      text: (c) =>
        enEmail(c, [
          `Your appointment at ${c.clinic}${enWith(c)} has moved to ${c.time}. An updated calendar invitation is attached.`,
          EN_EMAIL_CONFIRM(c),
        ]),
    },
  },
  cancellation: {
    sms: (c) =>
      `${enHi(c)}, your appointment at ${c.clinic} on ${c.time} has been cancelled. To book a new time, call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `Cancelled: your appointment at ${c.clinic} on ${c.time}`,
      text: (c) =>
        enEmail(c, [
          `Your appointment at ${c.clinic} on ${c.time} has been cancelled. The attached calendar update removes it from your calendar.`,
          `To book a new time, call us at ${c.phone}.`,
        ]),
    },
  },
  aftercare: {
    // From the procedure article: rest, no physical activity for a few days,
    // ice packs and elevation against swelling, discomfort as the anaesthetic
    // wears off. "The treated area", never the site: the site is clinical data.
    sms: (c) =>
      `${enHi(c)}, care tips from ${c.clinic} after your visit: rest and avoid physical activity for a few days. Ice packs and keeping the treated area raised help with swelling. Some discomfort when the anesthetic wears off is expected. Questions or worries? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `Looking after yourself after your visit to ${c.clinic}`,
      text: (c) =>
        enEmail(c, [
          'Here is how to look after yourself over the next few days:',
          [
            '- Rest, and avoid physical activity for a few days.',
            '- If the treated area is sore or swollen, use ice packs and keep it raised.',
            '- Some discomfort when the local anesthetic wears off is expected.',
            '- Improvement is gradual: many patients notice it over two to six weeks.',
          ].join('\n'),
          'We will check in with you over the coming weeks and arrange a follow-up visit.',
          `If you have questions or are worried about how you feel, call ${c.clinic} at ${c.phone}.`,
        ]),
    },
  },
  checkin: {
    sms: (c) =>
      `${enHi(c)}, this is ${c.clinic} checking in. How is the treated area? Please reply with your pain from 0 (none) to 10 (worst). If you are worried, call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `How are you feeling? A check-in from ${c.clinic}`,
      text: (c) =>
        enEmail(c, [
          `We are checking in to see how the treated area is feeling.`,
          `If you get our text messages, please reply to our check-in text with your pain from 0 (none) to 10 (worst). Otherwise, or if you would rather talk to someone, call us at ${c.phone}.`,
        ]),
    },
  },
  follow_up_booked: {
    sms: (c) =>
      `${enHi(c)}, we have booked your follow-up visit at ${c.clinic}${enWith(c)} for ${c.time}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `Your follow-up visit at ${c.clinic}: ${c.time}`,
      text: (c) =>
        enEmail(c, [
          `We have booked your follow-up visit at ${c.clinic}${enWith(c)} for ${c.time}, so we can see how you are doing. A calendar invitation is attached.`,
          EN_EMAIL_CONFIRM(c),
        ]),
    },
  },
  appointment_confirmed: {
    sms: (c) => `${enThanks(c)} Your appointment at ${c.clinic} on ${c.time} is confirmed. ${EN_OPT_OUT}`,
  },
  reschedule_requested: {
    sms: (c) =>
      `${enThanks(c)} ${c.clinic} will contact you to find a new time; your appointment stays booked until then. You can also call ${c.phone}. ${EN_OPT_OUT}`,
  },
  checkin_thanks: {
    sms: (c) => `${enThanks(c)} ${c.clinic} has received your answer. If you are worried, call ${c.phone}. ${EN_OPT_OUT}`,
  },
  attention_ack: {
    sms: (c) =>
      `${enThanks(c)} We have let your care team at ${c.clinic} know and they will be in touch. If it gets worse or you are worried, call ${c.phone}. In an emergency, call your local emergency number. ${EN_OPT_OUT}`,
  },
  message_received: {
    sms: (c) =>
      `${enThanks(c)} ${c.clinic} has received your message. This number is not watched at all times: for anything urgent, call ${c.phone}. ${EN_OPT_OUT}`,
  },
  opted_out: {
    sms: (c) =>
      `${c.clinic}: you are opted out and will get no more texts from us. Reply START to opt back in. Questions? Call ${c.phone}.`,
  },
  opted_in: {
    sms: (c) =>
      `${c.clinic}: you are opted back in to appointment and care texts. Reply STOP to opt out or HELP for help.`,
  },
  help: {
    // Carrier (CTIA) HELP answer: programme, contact, how to opt out, rates.
    sms: (c) =>
      `${c.clinic}: appointment and care texts. For help, call ${c.phone}. Reply STOP to opt out, START to opt back in. Msg & data rates may apply.`,
  },
  unknown_sender_help: {
    // We do not know who this is, so no name and nothing about any patient.
    sms: (c) =>
      `This is the automated text line of ${c.clinic}. We could not match your number to a patient. Please call ${c.phone}. ${EN_OPT_OUT}`,
  },
  waitlist_offer: {
    sms: (c) =>
      `${enHi(c)}, a time has opened up at ${c.clinic}${enWith(c)}: ${c.time}. Reply YES by ${c.expiry} to take it. If not, you stay on our waitlist. Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `A time has opened up at ${c.clinic}: ${c.time}`,
      text: (c) =>
        enEmail(c, [
          `A time has opened up at ${c.clinic}${enWith(c)}: ${c.time}. You are on our waitlist, so we are offering it to you.`,
          `To take it, reply YES to our text message by ${c.expiry}, or call us at ${c.phone} before then. If it does not suit you, there is nothing to do: you stay on the waitlist.`,
        ]),
    },
  },
  waitlist_taken: {
    sms: (c) =>
      `${enHi(c)}, sorry: the time at ${c.clinic} on ${c.time} has been taken. You stay on our waitlist and we will let you know when another time opens up. Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `That time at ${c.clinic} has been taken`,
      text: (c) =>
        enEmail(c, [
          `Sorry: the time at ${c.clinic} on ${c.time} that we offered you has been taken.`,
          'You stay on our waitlist, and we will let you know when another time opens up.',
        ]),
    },
  },
  waitlist_expired: {
    sms: (c) =>
      `${enHi(c)}, the offer of a time at ${c.clinic} on ${c.time} has expired. You stay on our waitlist and we will let you know when another time opens up. Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
    email: {
      subject: (c) => `The offer of a time at ${c.clinic} has expired`,
      text: (c) =>
        enEmail(c, [
          `The offer of a time at ${c.clinic} on ${c.time} has expired.`,
          'You stay on our waitlist, and we will let you know when another time opens up.',
        ]),
    },
  },
  waitlist_accept_received: {
    sms: (c) =>
      `${enThanks(c)} We are booking ${c.time} at ${c.clinic} for you; you will get a confirmation shortly. Questions? Call ${c.phone}. ${EN_OPT_OUT}`,
  },
};

// --- Spanish ---------------------------------------------------------------
// Formal "usted". STOP / START / HELP stay in English: they are the keywords
// the SMS provider itself acts on. SMS lose the accents GSM-7 lacks (á í ó ú;
// é ñ ¿ ¡ survive, see `foldToGsm7`), so where a choice of words exists the
// SMS texts use words that read unambiguously without them ("queda
// reservada", not "quedó reservada" which would become "quedo").

const ES_OPT_OUT = 'Responda STOP para darse de baja.';
const ES_CONFIRM_OR_RESCHEDULE = 'Responda C para confirmar o R para cambiar la cita.';
const esHi = (c: Ctx): string => (c.name ? `Hola, ${c.name}:` : 'Hola:');
const esThanks = (c: Ctx): string => (c.name ? `Gracias, ${c.name}.` : 'Gracias.');
const esWith = (c: Ctx): string => (c.clinician ? ` con ${c.clinician}` : '');
const esEmail = (c: Ctx, paragraphs: string[]): string =>
  [
    esHi(c),
    ...paragraphs,
    `${c.clinic}\n${c.phone}`,
    `Recibe este correo porque es paciente de ${c.clinic}. Para cambiar cómo nos comunicamos con usted, llame al ${c.phone}.`,
  ].join('\n\n') + '\n';
const ES_EMAIL_CONFIRM = (c: Ctx): string =>
  `Si recibe nuestros mensajes de texto, responda C para confirmar o R para cambiar la cita. También puede llamarnos al ${c.phone}.`;

const ES: Catalogue = {
  booking_confirmation: {
    sms: (c) =>
      `${esHi(c)} su cita en ${c.clinic}${esWith(c)} queda reservada para el ${c.time}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Su cita en ${c.clinic}: ${c.time}`,
      text: (c) =>
        esEmail(c, [
          `Su cita en ${c.clinic}${esWith(c)} queda reservada para el ${c.time}. Adjuntamos una invitación de calendario.`,
          ES_EMAIL_CONFIRM(c),
        ]),
    },
  },
  reminder: {
    sms: (c) =>
      `${esHi(c)} le recordamos su cita en ${c.clinic}${esWith(c)} el ${c.time}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Recordatorio: su cita en ${c.clinic} el ${c.time}`,
      text: (c) =>
        esEmail(c, [`Le recordamos su cita en ${c.clinic}${esWith(c)} el ${c.time}.`, ES_EMAIL_CONFIRM(c)]),
    },
  },
  rescheduled: {
    sms: (c) =>
      `${esHi(c)} su cita en ${c.clinic}${esWith(c)} tiene una nueva hora: el ${c.time}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Nueva hora para su cita en ${c.clinic}: ${c.time}`,
      text: (c) =>
        esEmail(c, [
          `Su cita en ${c.clinic}${esWith(c)} tiene una nueva hora: el ${c.time}. Adjuntamos la invitación de calendario actualizada.`,
          ES_EMAIL_CONFIRM(c),
        ]),
    },
  },
  cancellation: {
    sms: (c) =>
      `${esHi(c)} su cita en ${c.clinic} del ${c.time} fue cancelada. Para reservar otra hora, llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Cancelada: su cita en ${c.clinic} del ${c.time}`,
      text: (c) =>
        esEmail(c, [
          `Su cita en ${c.clinic} del ${c.time} fue cancelada. La actualización de calendario adjunta la quita de su calendario.`,
          `Para reservar otra hora, llámenos al ${c.phone}.`,
        ]),
    },
  },
  aftercare: {
    sms: (c) =>
      `${esHi(c)} consejos de ${c.clinic} tras su visita: descanse y evite la actividad física durante unos días. Las bolsas de hielo y mantener elevada la zona tratada ayudan con la hinchazón. Es normal sentir algo de molestia cuando pase el efecto de la anestesia. ¿Dudas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Cómo cuidarse después de su visita a ${c.clinic}`,
      text: (c) =>
        esEmail(c, [
          'Así puede cuidarse durante los próximos días:',
          [
            '- Descanse y evite la actividad física durante unos días.',
            '- Si la zona tratada le duele o está hinchada, póngase bolsas de hielo y manténgala elevada.',
            '- Es normal sentir algo de molestia cuando pase el efecto de la anestesia local.',
            '- La mejoría es gradual: muchos pacientes la notan en un plazo de dos a seis semanas.',
          ].join('\n'),
          'En las próximas semanas le preguntaremos cómo se encuentra y organizaremos una visita de seguimiento.',
          `Si tiene dudas o le preocupa cómo se siente, llame a ${c.clinic} al ${c.phone}.`,
        ]),
    },
  },
  checkin: {
    sms: (c) =>
      `${esHi(c)} le escribe ${c.clinic}. ¿Qué tal la zona tratada? Responda con su dolor del 0 (nada) al 10 (el peor). Si le preocupa algo, llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `¿Cómo se encuentra? Seguimiento de ${c.clinic}`,
      text: (c) =>
        esEmail(c, [
          'Queremos saber cómo está la zona tratada.',
          `Si recibe nuestros mensajes de texto, responda a nuestro mensaje de seguimiento con su dolor del 0 (nada) al 10 (el peor). Si no, o si prefiere hablar con alguien, llámenos al ${c.phone}.`,
        ]),
    },
  },
  follow_up_booked: {
    sms: (c) =>
      `${esHi(c)} reservamos su visita de seguimiento en ${c.clinic}${esWith(c)} para el ${c.time}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Su visita de seguimiento en ${c.clinic}: ${c.time}`,
      text: (c) =>
        esEmail(c, [
          `Reservamos su visita de seguimiento en ${c.clinic}${esWith(c)} para el ${c.time}, para ver cómo evoluciona. Adjuntamos una invitación de calendario.`,
          ES_EMAIL_CONFIRM(c),
        ]),
    },
  },
  appointment_confirmed: {
    sms: (c) => `${esThanks(c)} Su cita en ${c.clinic} del ${c.time} queda confirmada. ${ES_OPT_OUT}`,
  },
  reschedule_requested: {
    sms: (c) =>
      `${esThanks(c)} ${c.clinic} va a comunicarse con usted para buscar otra hora; su cita actual sigue reservada hasta entonces. También puede llamar al ${c.phone}. ${ES_OPT_OUT}`,
  },
  checkin_thanks: {
    sms: (c) => `${esThanks(c)} En ${c.clinic} hemos recibido su respuesta. Si le preocupa algo, llame al ${c.phone}. ${ES_OPT_OUT}`,
  },
  attention_ack: {
    sms: (c) =>
      `${esThanks(c)} Hemos avisado a su equipo en ${c.clinic}, que va a comunicarse con usted. Si empeora o le preocupa algo, llame al ${c.phone}. En una emergencia, llame al número de emergencias local. ${ES_OPT_OUT}`,
  },
  message_received: {
    sms: (c) =>
      `${esThanks(c)} En ${c.clinic} hemos recibido su mensaje. Estos mensajes no se leen en todo momento: si es urgente, llame al ${c.phone}. ${ES_OPT_OUT}`,
  },
  opted_out: {
    sms: (c) =>
      `${c.clinic}: se ha dado de baja y ya no le enviaremos mensajes de texto. Responda START para volver a suscribirse. ¿Preguntas? Llame al ${c.phone}.`,
  },
  opted_in: {
    sms: (c) =>
      `${c.clinic}: se ha suscrito de nuevo a los mensajes sobre sus citas y su cuidado. Responda STOP para darse de baja o HELP para obtener ayuda.`,
  },
  help: {
    sms: (c) =>
      `${c.clinic}: mensajes sobre sus citas y su cuidado. Para ayuda, llame al ${c.phone}. Responda STOP para darse de baja o START para volver a suscribirse. Pueden aplicarse tarifas de mensajes y datos.`,
  },
  unknown_sender_help: {
    sms: (c) =>
      `Este es el servicio de mensajes de ${c.clinic}. No tenemos este teléfono en nuestros registros de pacientes. Llame al ${c.phone}. ${ES_OPT_OUT}`,
  },
  waitlist_offer: {
    sms: (c) =>
      `${esHi(c)} hay una hora libre en ${c.clinic}${esWith(c)}: el ${c.time}. Responda SI antes del ${c.expiry} para reservarla. Si no, sigue en nuestra lista de espera. ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Hay una hora libre en ${c.clinic}: ${c.time}`,
      text: (c) =>
        esEmail(c, [
          `Hay una hora libre en ${c.clinic}${esWith(c)}: el ${c.time}. Como está en nuestra lista de espera, se la ofrecemos a usted.`,
          `Para reservarla, responda SI a nuestro mensaje de texto antes del ${c.expiry}, o llámenos al ${c.phone} antes de esa hora. Si no le conviene, no tiene que hacer nada: sigue en la lista de espera.`,
        ]),
    },
  },
  waitlist_taken: {
    sms: (c) =>
      `${esHi(c)} lo sentimos: la hora del ${c.time} en ${c.clinic} ya no está libre. Sigue en nuestra lista de espera y le avisaremos cuando haya otra hora libre. ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `Esa hora en ${c.clinic} ya no está libre`,
      text: (c) =>
        esEmail(c, [
          `Lo sentimos: la hora del ${c.time} en ${c.clinic} que le ofrecimos ya no está libre.`,
          'Sigue en nuestra lista de espera, y le avisaremos cuando haya otra hora libre.',
        ]),
    },
  },
  waitlist_expired: {
    sms: (c) =>
      `${esHi(c)} la oferta de una hora en ${c.clinic} el ${c.time} ha caducado. Sigue en nuestra lista de espera y le avisaremos cuando haya otra hora libre. ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
    email: {
      subject: (c) => `La oferta de una hora en ${c.clinic} ha caducado`,
      text: (c) =>
        esEmail(c, [
          `La oferta de una hora en ${c.clinic} el ${c.time} ha caducado.`,
          'Sigue en nuestra lista de espera, y le avisaremos cuando haya otra hora libre.',
        ]),
    },
  },
  waitlist_accept_received: {
    sms: (c) =>
      `${esThanks(c)} Estamos reservando para usted la hora del ${c.time} en ${c.clinic}; recibirá una confirmación en breve. ¿Preguntas? Llame al ${c.phone}. ${ES_OPT_OUT}`,
  },
};

const CATALOGUES: Record<Language, Catalogue> = { en: EN, es: ES };

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/**
 * Renders an SMS. The result is folded to the GSM-7 alphabet where it can be
 * (see `foldToGsm7`): one character outside GSM-7 - an "ó", a curly quote -
 * switches the whole message to UCS-2, which more than halves the characters
 * per segment, so a Spanish aftercare text would cost 6+ segments instead of 3.
 */
export function renderSms(kind: MessageKind, vars: TemplateVars, lang: Language = DEFAULT_LANGUAGE): string {
  return foldToGsm7(templateFor(kind, lang).sms(context(kind, vars)));
}

/** Renders an email. Email is Unicode, so the text keeps its accents. */
export function renderEmail(
  kind: MessageKind,
  vars: TemplateVars,
  lang: Language = DEFAULT_LANGUAGE,
): { subject: string; text: string } {
  const email = templateFor(kind, lang).email;
  if (!email) throw new Error(`Message kind "${kind}" is SMS only (an answer to an inbound text); it has no email template`);
  const ctx = context(kind, vars);
  return { subject: email.subject(ctx), text: email.text(ctx) };
}

/** Whether `renderEmail` supports this kind. */
export function hasEmailTemplate(kind: MessageKind): boolean {
  return CATALOGUES[DEFAULT_LANGUAGE][kind].email !== undefined;
}

function templateFor(kind: MessageKind, lang: Language): KindTemplate {
  const catalogue = CATALOGUES[lang];
  if (!catalogue) throw new Error(`Unsupported message language "${String(lang)}"`);
  const template = catalogue[kind];
  if (!template) throw new Error(`Unknown message kind "${String(kind)}"`);
  return template;
}

function context(kind: MessageKind, vars: TemplateVars): Ctx {
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
  return {
    name: singleLine(vars.firstName),
    clinic: singleLine(vars.clinicName),
    phone: singleLine(vars.clinicPhone),
    time: KINDS_NEEDING_TIME.has(kind) ? time : '',
    clinician: singleLine(vars.clinicianName),
    expiry: KINDS_NEEDING_EXPIRY.has(kind) ? expiry : '',
  };
}

function singleLine(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
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
