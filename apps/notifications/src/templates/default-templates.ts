/**
 * The built-in texts of every message kind, in every language, as templates in the syntax of
 * template.syntax.ts. A clinic's admin can override any of them (templates.service.ts); these
 * are what "restore the default" goes back to. Every one passes the rules of template.rules.ts
 * (message.templates.spec.ts renders them all with the longest allowed values).
 *
 * Wording: the first name, the clinic, the time and what to do - never a diagnosis, the
 * procedure's name, the treated site or pain history (a text is read on lock screens and shared
 * phones). Every automated SMS names the clinic and says how to opt out; the direct answers to
 * STOP / START / HELP name the clinic and need no "Reply STOP" line.
 */
import type { Language, MessageKind } from './message.templates.js';

export interface DefaultTemplate {
  sms: string;
  /** Absent for kinds that only exist as an answer to an inbound SMS. */
  email?: { subject: string; body: string };
}

type DefaultCatalogue = Record<MessageKind, DefaultTemplate>;

// --- English ---------------------------------------------------------------

const EN_OPT_OUT = 'Reply STOP to opt out.';
const EN_CONFIRM_OR_RESCHEDULE = 'Reply C to confirm or R to reschedule.';
const EN_HI = 'Hi{{#firstName}} {{firstName}}{{/firstName}}';
const EN_THANKS = 'Thank you{{#firstName}}, {{firstName}}{{/firstName}}.';
const EN_WITH = '{{#clinicianName}} with {{clinicianName}}{{/clinicianName}}';
const enEmail = (paragraphs: string[]): string =>
  [
    `${EN_HI},`,
    ...paragraphs,
    `{{clinicName}}\n{{clinicPhone}}`,
    `You are receiving this email because you are a patient of {{clinicName}}. To change how we contact you, call {{clinicPhone}}.`,
  ].join('\n\n') + '\n';
const EN_EMAIL_CONFIRM =
  `If you get our text messages, reply C to confirm or R to reschedule. You can also call us at {{clinicPhone}}.`;

const EN: DefaultCatalogue = {
  booking_confirmation: {
    sms:
      `${EN_HI}, your appointment at {{clinicName}}${EN_WITH} is booked for {{appointmentTime}}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `Your appointment at {{clinicName}}: {{appointmentTime}}`,
      body:
        enEmail([
          `Your appointment at {{clinicName}}${EN_WITH} is booked for {{appointmentTime}}. A calendar invitation is attached.`,
          EN_EMAIL_CONFIRM,
        ]),
    },
  },
  reminder: {
    sms:
      `${EN_HI}, a reminder of your appointment at {{clinicName}}${EN_WITH} on {{appointmentTime}}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `Reminder: your appointment at {{clinicName}} on {{appointmentTime}}`,
      body:
        enEmail([`This is a reminder of your appointment at {{clinicName}}${EN_WITH} on {{appointmentTime}}.`, EN_EMAIL_CONFIRM]),
    },
  },
  rescheduled: {
    sms:
      `${EN_HI}, your appointment at {{clinicName}}${EN_WITH} has moved to {{appointmentTime}}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `New time for your appointment at {{clinicName}}: {{appointmentTime}}`,
      body:
        enEmail([
          `Your appointment at {{clinicName}}${EN_WITH} has moved to {{appointmentTime}}. An updated calendar invitation is attached.`,
          EN_EMAIL_CONFIRM,
        ]),
    },
  },
  cancellation: {
    sms:
      `${EN_HI}, your appointment at {{clinicName}} on {{appointmentTime}} has been cancelled. To book a new time, call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `Cancelled: your appointment at {{clinicName}} on {{appointmentTime}}`,
      body:
        enEmail([
          `Your appointment at {{clinicName}} on {{appointmentTime}} has been cancelled. The attached calendar update removes it from your calendar.`,
          `To book a new time, call us at {{clinicPhone}}.`,
        ]),
    },
  },
  aftercare: {
    // From the procedure article: rest, no physical activity for a few days,
    // ice packs and elevation against swelling, discomfort as the anaesthetic
    // wears off. "The treated area", never the site: the site is clinical data.
    sms:
      `${EN_HI}, care tips from {{clinicName}} after your visit: rest and avoid physical activity for a few days. Ice packs and keeping the treated area raised help with swelling. Some discomfort when the anesthetic wears off is expected. Questions or worries? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `Looking after yourself after your visit to {{clinicName}}`,
      body:
        enEmail([
          'Here is how to look after yourself over the next few days:',
          [
            '- Rest, and avoid physical activity for a few days.',
            '- If the treated area is sore or swollen, use ice packs and keep it raised.',
            '- Some discomfort when the local anesthetic wears off is expected.',
            '- Improvement is gradual: many patients notice it over two to six weeks.',
          ].join('\n'),
          'We will check in with you over the coming weeks and arrange a follow-up visit.',
          `If you have questions or are worried about how you feel, call {{clinicName}} at {{clinicPhone}}.`,
        ]),
    },
  },
  checkin: {
    sms:
      `${EN_HI}, this is {{clinicName}} checking in. How is the treated area? Please reply with your pain from 0 (none) to 10 (worst). If you are worried, call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `How are you feeling? A check-in from {{clinicName}}`,
      body:
        enEmail([
          `We are checking in to see how the treated area is feeling.`,
          `If you get our text messages, please reply to our check-in text with your pain from 0 (none) to 10 (worst). Otherwise, or if you would rather talk to someone, call us at {{clinicPhone}}.`,
        ]),
    },
  },
  follow_up_booked: {
    sms:
      `${EN_HI}, we have booked your follow-up visit at {{clinicName}}${EN_WITH} for {{appointmentTime}}. ${EN_CONFIRM_OR_RESCHEDULE} Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `Your follow-up visit at {{clinicName}}: {{appointmentTime}}`,
      body:
        enEmail([
          `We have booked your follow-up visit at {{clinicName}}${EN_WITH} for {{appointmentTime}}, so we can see how you are doing. A calendar invitation is attached.`,
          EN_EMAIL_CONFIRM,
        ]),
    },
  },
  appointment_confirmed: {
    sms: `${EN_THANKS} Your appointment at {{clinicName}} on {{appointmentTime}} is confirmed. ${EN_OPT_OUT}`,
  },
  reschedule_requested: {
    sms:
      `${EN_THANKS} {{clinicName}} will contact you to find a new time; your appointment stays booked until then. You can also call {{clinicPhone}}. ${EN_OPT_OUT}`,
  },
  checkin_thanks: {
    sms: `${EN_THANKS} {{clinicName}} has received your answer. If you are worried, call {{clinicPhone}}. ${EN_OPT_OUT}`,
  },
  attention_ack: {
    sms:
      `${EN_THANKS} We have let your care team at {{clinicName}} know and they will be in touch. If it gets worse or you are worried, call {{clinicPhone}}. In an emergency, call your local emergency number. ${EN_OPT_OUT}`,
  },
  message_received: {
    sms:
      `${EN_THANKS} {{clinicName}} has received your message. This number is not watched at all times: for anything urgent, call {{clinicPhone}}. ${EN_OPT_OUT}`,
  },
  stop_request_received: {
    // A text that reads like "please stop texting me": automated texts are held until staff
    // confirm with the patient, and the patient can settle it at once with a keyword.
    sms:
      `${EN_THANKS} {{clinicName}} has paused its automated texts to you. Reply STOP to stop all texts, or START to keep getting them. Questions? Call {{clinicPhone}}.`,
  },
  opted_out: {
    sms:
      `{{clinicName}}: you are opted out and will get no more texts from us. Reply START to opt back in. Questions? Call {{clinicPhone}}.`,
  },
  opted_in: {
    sms:
      `{{clinicName}}: you are opted back in to appointment and care texts. Reply STOP to opt out or HELP for help.`,
  },
  help: {
    // Carrier (CTIA) HELP answer: programme, contact, how to opt out, rates.
    sms:
      `{{clinicName}}: appointment and care texts. For help, call {{clinicPhone}}. Reply STOP to opt out, START to opt back in. Msg & data rates may apply.`,
  },
  unknown_sender_help: {
    // We do not know who this is, so no name and nothing about any patient.
    sms:
      `This is the automated text line of {{clinicName}}. We could not match your number to a patient. Please call {{clinicPhone}}. ${EN_OPT_OUT}`,
  },
  waitlist_offer: {
    sms:
      `${EN_HI}, a time has opened up at {{clinicName}}${EN_WITH}: {{appointmentTime}}. Reply YES by {{expiryTime}} to take it. If not, you stay on our waitlist. Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `A time has opened up at {{clinicName}}: {{appointmentTime}}`,
      body:
        enEmail([
          `A time has opened up at {{clinicName}}${EN_WITH}: {{appointmentTime}}. You are on our waitlist, so we are offering it to you.`,
          `To take it, reply YES to our text message by {{expiryTime}}, or call us at {{clinicPhone}} before then. If it does not suit you, there is nothing to do: you stay on the waitlist.`,
        ]),
    },
  },
  waitlist_taken: {
    sms:
      `${EN_HI}, sorry: the time at {{clinicName}} on {{appointmentTime}} has been taken. You stay on our waitlist and we will let you know when another time opens up. Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `That time at {{clinicName}} has been taken`,
      body:
        enEmail([
          `Sorry: the time at {{clinicName}} on {{appointmentTime}} that we offered you has been taken.`,
          'You stay on our waitlist, and we will let you know when another time opens up.',
        ]),
    },
  },
  waitlist_expired: {
    sms:
      `${EN_HI}, the offer of a time at {{clinicName}} on {{appointmentTime}} has expired. You stay on our waitlist and we will let you know when another time opens up. Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
    email: {
      subject: `The offer of a time at {{clinicName}} has expired`,
      body:
        enEmail([
          `The offer of a time at {{clinicName}} on {{appointmentTime}} has expired.`,
          'You stay on our waitlist, and we will let you know when another time opens up.',
        ]),
    },
  },
  waitlist_accept_received: {
    sms:
      `${EN_THANKS} We are booking {{appointmentTime}} at {{clinicName}} for you; you will get a confirmation shortly. Questions? Call {{clinicPhone}}. ${EN_OPT_OUT}`,
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
const ES_HI = 'Hola{{#firstName}}, {{firstName}}{{/firstName}}:';
const ES_THANKS = 'Gracias{{#firstName}}, {{firstName}}{{/firstName}}.';
const ES_WITH = '{{#clinicianName}} con {{clinicianName}}{{/clinicianName}}';
const esEmail = (paragraphs: string[]): string =>
  [
    ES_HI,
    ...paragraphs,
    `{{clinicName}}\n{{clinicPhone}}`,
    `Recibe este correo porque es paciente de {{clinicName}}. Para cambiar cómo nos comunicamos con usted, llame al {{clinicPhone}}.`,
  ].join('\n\n') + '\n';
const ES_EMAIL_CONFIRM =
  `Si recibe nuestros mensajes de texto, responda C para confirmar o R para cambiar la cita. También puede llamarnos al {{clinicPhone}}.`;

const ES: DefaultCatalogue = {
  booking_confirmation: {
    sms:
      `${ES_HI} su cita en {{clinicName}}${ES_WITH} queda reservada para el {{appointmentTime}}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Su cita en {{clinicName}}: {{appointmentTime}}`,
      body:
        esEmail([
          `Su cita en {{clinicName}}${ES_WITH} queda reservada para el {{appointmentTime}}. Adjuntamos una invitación de calendario.`,
          ES_EMAIL_CONFIRM,
        ]),
    },
  },
  reminder: {
    sms:
      `${ES_HI} le recordamos su cita en {{clinicName}}${ES_WITH} el {{appointmentTime}}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Recordatorio: su cita en {{clinicName}} el {{appointmentTime}}`,
      body:
        esEmail([`Le recordamos su cita en {{clinicName}}${ES_WITH} el {{appointmentTime}}.`, ES_EMAIL_CONFIRM]),
    },
  },
  rescheduled: {
    sms:
      `${ES_HI} su cita en {{clinicName}}${ES_WITH} tiene una nueva hora: el {{appointmentTime}}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Nueva hora para su cita en {{clinicName}}: {{appointmentTime}}`,
      body:
        esEmail([
          `Su cita en {{clinicName}}${ES_WITH} tiene una nueva hora: el {{appointmentTime}}. Adjuntamos la invitación de calendario actualizada.`,
          ES_EMAIL_CONFIRM,
        ]),
    },
  },
  cancellation: {
    sms:
      `${ES_HI} su cita en {{clinicName}} del {{appointmentTime}} fue cancelada. Para reservar otra hora, llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Cancelada: su cita en {{clinicName}} del {{appointmentTime}}`,
      body:
        esEmail([
          `Su cita en {{clinicName}} del {{appointmentTime}} fue cancelada. La actualización de calendario adjunta la quita de su calendario.`,
          `Para reservar otra hora, llámenos al {{clinicPhone}}.`,
        ]),
    },
  },
  aftercare: {
    sms:
      `${ES_HI} consejos de {{clinicName}} tras su visita: descanse y evite la actividad física durante unos días. Las bolsas de hielo y mantener elevada la zona tratada ayudan con la hinchazón. Es normal sentir algo de molestia cuando pase el efecto de la anestesia. ¿Dudas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Cómo cuidarse después de su visita a {{clinicName}}`,
      body:
        esEmail([
          'Así puede cuidarse durante los próximos días:',
          [
            '- Descanse y evite la actividad física durante unos días.',
            '- Si la zona tratada le duele o está hinchada, póngase bolsas de hielo y manténgala elevada.',
            '- Es normal sentir algo de molestia cuando pase el efecto de la anestesia local.',
            '- La mejoría es gradual: muchos pacientes la notan en un plazo de dos a seis semanas.',
          ].join('\n'),
          'En las próximas semanas le preguntaremos cómo se encuentra y organizaremos una visita de seguimiento.',
          `Si tiene dudas o le preocupa cómo se siente, llame a {{clinicName}} al {{clinicPhone}}.`,
        ]),
    },
  },
  checkin: {
    sms:
      `${ES_HI} le escribe {{clinicName}}. ¿Qué tal la zona tratada? Responda con su dolor del 0 (nada) al 10 (el peor). Si le preocupa algo, llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `¿Cómo se encuentra? Seguimiento de {{clinicName}}`,
      body:
        esEmail([
          'Queremos saber cómo está la zona tratada.',
          `Si recibe nuestros mensajes de texto, responda a nuestro mensaje de seguimiento con su dolor del 0 (nada) al 10 (el peor). Si no, o si prefiere hablar con alguien, llámenos al {{clinicPhone}}.`,
        ]),
    },
  },
  follow_up_booked: {
    sms:
      `${ES_HI} reservamos su visita de seguimiento en {{clinicName}}${ES_WITH} para el {{appointmentTime}}. ${ES_CONFIRM_OR_RESCHEDULE} ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Su visita de seguimiento en {{clinicName}}: {{appointmentTime}}`,
      body:
        esEmail([
          `Reservamos su visita de seguimiento en {{clinicName}}${ES_WITH} para el {{appointmentTime}}, para ver cómo evoluciona. Adjuntamos una invitación de calendario.`,
          ES_EMAIL_CONFIRM,
        ]),
    },
  },
  appointment_confirmed: {
    sms: `${ES_THANKS} Su cita en {{clinicName}} del {{appointmentTime}} queda confirmada. ${ES_OPT_OUT}`,
  },
  reschedule_requested: {
    sms:
      `${ES_THANKS} {{clinicName}} va a comunicarse con usted para buscar otra hora; su cita actual sigue reservada hasta entonces. También puede llamar al {{clinicPhone}}. ${ES_OPT_OUT}`,
  },
  checkin_thanks: {
    sms: `${ES_THANKS} En {{clinicName}} hemos recibido su respuesta. Si le preocupa algo, llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
  },
  attention_ack: {
    sms:
      `${ES_THANKS} Hemos avisado a su equipo en {{clinicName}}, que va a comunicarse con usted. Si empeora o le preocupa algo, llame al {{clinicPhone}}. En una emergencia, llame al número de emergencias local. ${ES_OPT_OUT}`,
  },
  message_received: {
    sms:
      `${ES_THANKS} En {{clinicName}} hemos recibido su mensaje. Estos mensajes no se leen en todo momento: si es urgente, llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
  },
  stop_request_received: {
    sms:
      `${ES_THANKS} {{clinicName}} ha pausado sus mensajes automaticos. Responda STOP para no recibir mas mensajes, o START para seguir recibiendolos. ¿Preguntas? Llame al {{clinicPhone}}.`,
  },
  opted_out: {
    sms:
      `{{clinicName}}: se ha dado de baja y ya no le enviaremos mensajes de texto. Responda START para volver a suscribirse. ¿Preguntas? Llame al {{clinicPhone}}.`,
  },
  opted_in: {
    sms:
      `{{clinicName}}: se ha suscrito de nuevo a los mensajes sobre sus citas y su cuidado. Responda STOP para darse de baja o HELP para obtener ayuda.`,
  },
  help: {
    sms:
      `{{clinicName}}: mensajes sobre sus citas y su cuidado. Para ayuda, llame al {{clinicPhone}}. Responda STOP para darse de baja o START para volver a suscribirse. Pueden aplicarse tarifas de mensajes y datos.`,
  },
  unknown_sender_help: {
    sms:
      `Este es el servicio de mensajes de {{clinicName}}. No tenemos este teléfono en nuestros registros de pacientes. Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
  },
  waitlist_offer: {
    sms:
      `${ES_HI} hay una hora libre en {{clinicName}}${ES_WITH}: el {{appointmentTime}}. Responda SI antes del {{expiryTime}} para reservarla. Si no, sigue en nuestra lista de espera. ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Hay una hora libre en {{clinicName}}: {{appointmentTime}}`,
      body:
        esEmail([
          `Hay una hora libre en {{clinicName}}${ES_WITH}: el {{appointmentTime}}. Como está en nuestra lista de espera, se la ofrecemos a usted.`,
          `Para reservarla, responda SI a nuestro mensaje de texto antes del {{expiryTime}}, o llámenos al {{clinicPhone}} antes de esa hora. Si no le conviene, no tiene que hacer nada: sigue en la lista de espera.`,
        ]),
    },
  },
  waitlist_taken: {
    sms:
      `${ES_HI} lo sentimos: la hora del {{appointmentTime}} en {{clinicName}} ya no está libre. Sigue en nuestra lista de espera y le avisaremos cuando haya otra hora libre. ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `Esa hora en {{clinicName}} ya no está libre`,
      body:
        esEmail([
          `Lo sentimos: la hora del {{appointmentTime}} en {{clinicName}} que le ofrecimos ya no está libre.`,
          'Sigue en nuestra lista de espera, y le avisaremos cuando haya otra hora libre.',
        ]),
    },
  },
  waitlist_expired: {
    sms:
      `${ES_HI} la oferta de una hora en {{clinicName}} el {{appointmentTime}} ha caducado. Sigue en nuestra lista de espera y le avisaremos cuando haya otra hora libre. ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
    email: {
      subject: `La oferta de una hora en {{clinicName}} ha caducado`,
      body:
        esEmail([
          `La oferta de una hora en {{clinicName}} el {{appointmentTime}} ha caducado.`,
          'Sigue en nuestra lista de espera, y le avisaremos cuando haya otra hora libre.',
        ]),
    },
  },
  waitlist_accept_received: {
    sms:
      `${ES_THANKS} Estamos reservando para usted la hora del {{appointmentTime}} en {{clinicName}}; recibirá una confirmación en breve. ¿Preguntas? Llame al {{clinicPhone}}. ${ES_OPT_OUT}`,
  },
};

export const DEFAULT_TEMPLATES: Readonly<Record<Language, DefaultCatalogue>> = { en: EN, es: ES };
