import { describe, expect, it } from '@jest/globals';
import {
  MAX_SMS_SEGMENTS,
  MESSAGE_KINDS,
  SMS_KINDS_WITHOUT_OPT_OUT_LINE,
  SUPPORTED_LANGUAGES,
  defaultTemplate,
  fitToLength,
  foldToGsm7,
  formatAppointmentTime,
  variablesFor,
  hasEmailTemplate,
  renderEmail,
  renderSms,
  smsSegments,
  type Language,
  type MessageKind,
  type TemplateVars,
} from './message.templates.js';

// The longest realistic values: 40-character names, a phone with an
// extension, and the longest weekday and month names in a zone whose
// abbreviation is long ("GMT+13:45").
const LONG_FIRST_NAME = 'Maria-Guadalupe Esperanza de los Ángeles';
const LONG_CLINIC = 'Northside Orthopaedic & Sports Medicine.';
const LONG_CLINICIAN = 'Dr. Maximiliano Fernández-Castellanos Jr';
const LONG_PHONE = '+1 (212) 555-0100 ext. 1234';
const LONGEST_TIME_AT = new Date('2025-09-24T10:30:00Z'); // a Wednesday in September
const LONGEST_ZONE = 'Pacific/Chatham';

const longVars = (lang: Language): TemplateVars => ({
  firstName: LONG_FIRST_NAME,
  clinicName: LONG_CLINIC,
  clinicPhone: LONG_PHONE,
  clinicianName: LONG_CLINICIAN,
  appointmentTime: formatAppointmentTime(LONGEST_TIME_AT, LONGEST_ZONE, lang),
  expiryTime: formatAppointmentTime(LONGEST_TIME_AT, LONGEST_ZONE, lang),
});

const demoVars: TemplateVars = {
  firstName: 'Ana',
  clinicName: 'Aftercare Demo Clinic',
  clinicPhone: '+1 212-555-0100',
  appointmentTime: 'Wed, Mar 12 at 9:30 AM EDT',
  expiryTime: 'Tue, Mar 11 at 6:00 PM EDT',
};

/** Direct answers that do not address the patient by name (no name known, or none needed). */
const KINDS_WITHOUT_NAME: ReadonlySet<MessageKind> = new Set<MessageKind>(['opted_out', 'opted_in', 'help', 'unknown_sender_help']);
const KINDS_WITH_TIME: readonly MessageKind[] = [
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
];

/**
 * Words that would tell a reader of the lock screen what the patient is
 * treated for, where, or how: diagnosis, procedure, site. Whole words, so
 * "hip" does not hit "relationship".
 */
const FORBIDDEN_IN_PATIENT_MESSAGES =
  /\b(bmac|bone marrow|marrow|m[eé]dula|aspirat\w*|aspirad\w*|injections?|inyecci[oó]n\w*|stem cells?|c[eé]lulas madre|centrifug\w*|osteoarthritis|arthritis|artrosis|artritis|osteonecrosis|necrosis|fractur\w*|cartilag\w*|cart[ií]lago|tendons?|tend[oó]n|ligaments?|ligamentos?|iliac|il[ií]aco|hip|cadera|knee|rodilla|ankle|tobillo|shoulder|hombro|elbow|codo|leg|pierna|spine|columna|orthopedic|ortopedia|diagnos\w*|pain score|puntuaci[oó]n)\b/i;

const OPT_OUT_LINE: Record<Language, string> = { en: 'Reply STOP to opt out.', es: 'Responda STOP para darse de baja.' };
/** The answer to a written stop request says what STOP does in its own words. */
const OPT_OUT_INSTRUCTION: Record<Language, RegExp> = { en: /Reply STOP to (opt out\.|stop all texts)/, es: /Responda STOP para (darse de baja|no recibir mas mensajes)/ };

describe('message templates', () => {
  it('uses 40-character values for the length checks', () => {
    expect(LONG_FIRST_NAME).toHaveLength(40);
    expect(LONG_CLINIC).toHaveLength(40);
    expect(LONG_CLINICIAN).toHaveLength(40);
  });

  describe.each(SUPPORTED_LANGUAGES.map((lang) => [lang]))('SMS in %s', (lang) => {
    describe.each(MESSAGE_KINDS.map((kind) => [kind]))('%s', (kind) => {
      const longest = renderSms(kind, longVars(lang), lang);
      const demo = renderSms(kind, demoVars, lang);

      it(`fits in ${MAX_SMS_SEGMENTS} GSM-7 segments with the longest realistic values`, () => {
        expect(smsSegments(longest)).toEqual({ encoding: 'GSM-7', segments: expect.any(Number) });
        expect(smsSegments(longest).segments).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
      });

      it('names the clinic', () => {
        expect(demo).toContain('Aftercare Demo Clinic');
        expect(longest).toContain(foldToGsm7(LONG_CLINIC));
      });

      it('never names a diagnosis, procedure or site', () => {
        expect(longest).not.toMatch(FORBIDDEN_IN_PATIENT_MESSAGES);
        expect(demo).not.toMatch(FORBIDDEN_IN_PATIENT_MESSAGES);
      });

      if (SMS_KINDS_WITHOUT_OPT_OUT_LINE.has(kind)) {
        it('is a direct answer: names the clinic first, no opt-out line needed', () => {
          expect(demo.startsWith('Aftercare Demo Clinic:')).toBe(true);
        });
      } else {
        it('says how to opt out', () => {
          expect(demo).toMatch(OPT_OUT_INSTRUCTION[lang]);
          expect(longest).toMatch(OPT_OUT_INSTRUCTION[lang]);
          if (kind !== 'stop_request_received') expect(demo).toContain(OPT_OUT_LINE[lang]);
        });
      }

      if (!KINDS_WITHOUT_NAME.has(kind)) {
        it('addresses the patient by first name', () => {
          expect(demo).toContain('Ana');
          expect(longest).toContain(foldToGsm7(LONG_FIRST_NAME));
        });
      }

      if (KINDS_WITH_TIME.includes(kind)) {
        it('states the appointment time', () => {
          expect(demo).toContain(demoVars.appointmentTime);
        });

        it('refuses to render without the appointment time', () => {
          expect(() => renderSms(kind, { ...demoVars, appointmentTime: undefined }, lang)).toThrow(/appointmentTime/);
          expect(() => renderSms(kind, { ...demoVars, appointmentTime: '  ' }, lang)).toThrow(/appointmentTime/);
        });
      }
    });
  });

  describe('English wording', () => {
    it.each<MessageKind>(['booking_confirmation', 'reminder', 'rescheduled', 'follow_up_booked'])(
      '%s asks for C or R',
      (kind) => {
        expect(renderSms(kind, demoVars)).toContain('Reply C to confirm or R to reschedule.');
      },
    );

    it('reads the booking confirmation naturally', () => {
      expect(renderSms('booking_confirmation', { ...demoVars, clinicianName: 'Dr. Rivera' })).toBe(
        'Hi Ana, your appointment at Aftercare Demo Clinic with Dr. Rivera is booked for Wed, Mar 12 at 9:30 AM EDT. ' +
          'Reply C to confirm or R to reschedule. Questions? Call +1 212-555-0100. Reply STOP to opt out.',
      );
    });

    it('leaves the clinician out when not given', () => {
      expect(renderSms('reminder', demoVars)).toContain('your appointment at Aftercare Demo Clinic on Wed, Mar 12');
    });

    it('asks for a pain score from 0 to 10 in the check-in', () => {
      expect(renderSms('checkin', demoVars)).toContain('reply with your pain from 0 (none) to 10 (worst)');
    });

    it('gives the aftercare advice from the procedure article and how to reach the clinic', () => {
      const sms = renderSms('aftercare', demoVars);
      expect(sms).toMatch(/\brest\b/);
      expect(sms).toContain('avoid physical activity for a few days');
      expect(sms).toContain('Ice packs');
      expect(sms).toMatch(/raised.*swelling/);
      expect(sms).toContain('Some discomfort when the anesthetic wears off is expected');
      expect(sms).toContain('+1 212-555-0100');
    });

    it('falls back to a plain greeting when the first name is empty', () => {
      expect(renderSms('checkin', { ...demoVars, firstName: ' ' })).toMatch(/^Hi, this is Aftercare Demo Clinic/);
      expect(renderSms('checkin_thanks', { ...demoVars, firstName: '' })).toMatch(/^Thank you\. Aftercare/);
    });

    it('collapses newlines and runs of spaces in the values', () => {
      const sms = renderSms('reminder', { ...demoVars, firstName: 'Ana\nMaria', clinicName: 'Aftercare   Demo\r\nClinic' });
      expect(sms).toContain('Hi Ana Maria, a reminder of your appointment at Aftercare Demo Clinic');
      expect(sms).not.toMatch(/[\r\n]/);
    });
  });

  describe('waitlist', () => {
    it('offers the time with the clinician, and asks for YES by the expiry', () => {
      expect(renderSms('waitlist_offer', { ...demoVars, clinicianName: 'Dr. Rivera' })).toBe(
        'Hi Ana, a time has opened up at Aftercare Demo Clinic with Dr. Rivera: Wed, Mar 12 at 9:30 AM EDT. ' +
          'Reply YES by Tue, Mar 11 at 6:00 PM EDT to take it. If not, you stay on our waitlist. ' +
          'Questions? Call +1 212-555-0100. Reply STOP to opt out.',
      );
    });

    it('asks for SI in Spanish, a keyword the reply parser reads as yes', () => {
      const sms = renderSms('waitlist_offer', demoVars, 'es');
      expect(sms).toContain('Responda SI antes del Tue, Mar 11 at 6:00 PM EDT para reservarla.');
      expect(sms).toContain('Si no, sigue en nuestra lista de espera.');
    });

    it('refuses to render an offer without its expiry', () => {
      for (const lang of SUPPORTED_LANGUAGES) {
        expect(() => renderSms('waitlist_offer', { ...demoVars, expiryTime: undefined }, lang)).toThrow(/expiryTime/);
        expect(() => renderEmail('waitlist_offer', { ...demoVars, expiryTime: ' ' }, lang)).toThrow(/expiryTime/);
      }
    });

    it('tells the patient by email how to take an offer without texting', () => {
      const { text } = renderEmail('waitlist_offer', demoVars);
      expect(text).toContain('reply YES to our text message by Tue, Mar 11 at 6:00 PM EDT, or call us at +1 212-555-0100');
    });

    it.each<[MessageKind, RegExp, RegExp]>([
      ['waitlist_taken', /has been taken\. You stay on our waitlist/, /ya no esta libre\. Sigue en nuestra lista de espera/],
      ['waitlist_expired', /has expired\. You stay on our waitlist/, /ha caducado\. Sigue en nuestra lista de espera/],
      ['waitlist_accept_received', /We are booking Wed, Mar 12 at 9:30 AM EDT at Aftercare Demo Clinic for you; you will get a confirmation shortly/, /recibira una confirmacion en breve/],
    ])('%s says what happens next', (kind, en, es) => {
      expect(renderSms(kind, demoVars)).toMatch(en);
      expect(renderSms(kind, demoVars, 'es')).toMatch(es);
    });

    it('never states the expiry where it is not asked for', () => {
      expect(renderSms('waitlist_taken', demoVars)).not.toContain('6:00 PM');
    });
  });

  describe('Spanish', () => {
    it('keeps STOP, C and R as the keywords to reply with', () => {
      const sms = renderSms('reminder', demoVars, 'es');
      expect(sms).toContain('Responda C para confirmar o R para cambiar la cita.');
      expect(sms).toContain('Responda STOP para darse de baja.');
    });

    it('asks for a pain score from 0 to 10 in the check-in', () => {
      expect(renderSms('checkin', demoVars, 'es')).toContain('Responda con su dolor del 0 (nada) al 10 (el peor)');
    });

    it('folds accents GSM-7 lacks in SMS, but keeps é, ñ and ¿', () => {
      const sms = renderSms('aftercare', demoVars, 'es');
      expect(sms).not.toMatch(/[áíóúÁÍÓÚ]/);
      expect(sms).toContain('actividad fisica');
      expect(sms).toContain('¿Dudas?');
      expect(smsSegments(renderSms('cancellation', { ...demoVars, firstName: 'Begoña José' }, 'es')).encoding).toBe('GSM-7');
    });

    it('keeps the accents in email, which is Unicode', () => {
      expect(renderEmail('aftercare', demoVars, 'es').text).toContain('actividad física');
    });
  });

  describe('email', () => {
    const emailKinds = MESSAGE_KINDS.filter(hasEmailTemplate);

    it('exists for the scheduled messages, not for the answers to inbound texts', () => {
      expect(emailKinds).toEqual([
        'booking_confirmation',
        'reminder',
        'rescheduled',
        'cancellation',
        'aftercare',
        'checkin',
        'follow_up_booked',
        'waitlist_offer',
        'waitlist_taken',
        'waitlist_expired',
      ]);
      expect(() => renderEmail('opted_out', demoVars)).toThrow(/SMS only/);
    });

    describe.each(SUPPORTED_LANGUAGES.flatMap((lang) => emailKinds.map((kind) => [lang, kind] as const)))(
      '%s %s',
      (lang, kind) => {
        const email = renderEmail(kind, longVars(lang), lang);

        it('has a one-line subject naming the clinic', () => {
          expect(email.subject).toContain(LONG_CLINIC);
          expect(email.subject).not.toMatch(/[\r\n]/);
        });

        it('greets the patient and says how to reach the clinic', () => {
          expect(email.text).toContain(LONG_FIRST_NAME);
          expect(email.text).toContain(LONG_PHONE);
        });

        it('never names a diagnosis, procedure or site', () => {
          expect(email.subject).not.toMatch(FORBIDDEN_IN_PATIENT_MESSAGES);
          expect(email.text).not.toMatch(FORBIDDEN_IN_PATIENT_MESSAGES);
        });
      },
    );

    it('carries the time in the subject of appointment emails', () => {
      expect(renderEmail('reminder', demoVars).subject).toBe(
        'Reminder: your appointment at Aftercare Demo Clinic on Wed, Mar 12 at 9:30 AM EDT',
      );
    });

    it('gives the full aftercare advice', () => {
      const { text } = renderEmail('aftercare', demoVars);
      expect(text).toContain('Rest, and avoid physical activity for a few days.');
      expect(text).toContain('use ice packs and keep it raised');
      expect(text).toContain('Some discomfort when the local anesthetic wears off is expected.');
      expect(text).toContain('two to six weeks');
    });
  });

  it('refuses an unknown language', () => {
    expect(() => renderSms('help', demoVars, 'fr' as Language)).toThrow(/language/);
  });
});

describe('formatAppointmentTime', () => {
  it('formats in the patient zone with its abbreviation', () => {
    expect(formatAppointmentTime(new Date('2025-03-12T13:30:00Z'), 'America/New_York')).toBe('Wed, Mar 12 at 9:30 AM EDT');
    expect(formatAppointmentTime(new Date('2025-03-07T14:30:00Z'), 'America/New_York')).toBe('Fri, Mar 7 at 9:30 AM EST');
    expect(formatAppointmentTime(new Date('2025-03-12T13:30:00Z'), 'America/Los_Angeles')).toBe('Wed, Mar 12 at 6:30 AM PDT');
  });

  it('formats in Spanish, with "a la" for one o\'clock', () => {
    expect(formatAppointmentTime(new Date('2025-03-12T13:30:00Z'), 'America/New_York', 'es')).toBe(
      'miércoles 12 de marzo a las 9:30 a.m. EDT',
    );
    expect(formatAppointmentTime(new Date('2025-03-12T17:05:00Z'), 'America/New_York', 'es')).toBe(
      'miércoles 12 de marzo a la 1:05 p.m. EDT',
    );
  });

  it('uses plain spaces only, so SMS stay GSM-7', () => {
    for (const lang of SUPPORTED_LANGUAGES) {
      const text = formatAppointmentTime(new Date('2025-03-12T13:30:00Z'), 'America/New_York', lang);
      expect(text).not.toMatch(/[\u00a0\u202f]/);
    }
  });

  it('refuses an unknown zone', () => {
    expect(() => formatAppointmentTime(new Date(), 'Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
  });
});

describe('smsSegments', () => {
  it.each<[string, string, 'GSM-7' | 'UCS-2', number]>([
    ['empty', '', 'GSM-7', 1],
    ['160 GSM-7 characters', 'a'.repeat(160), 'GSM-7', 1],
    ['161 GSM-7 characters', 'a'.repeat(161), 'GSM-7', 2],
    ['306 GSM-7 characters', 'a'.repeat(306), 'GSM-7', 2],
    ['307 GSM-7 characters', 'a'.repeat(307), 'GSM-7', 3],
    ['459 GSM-7 characters', 'a'.repeat(459), 'GSM-7', 3],
    ['80 extension characters (2 septets each)', '€'.repeat(80), 'GSM-7', 1],
    ['81 extension characters', '€'.repeat(81), 'GSM-7', 2],
    // 306 septets, but the escape sequence may not straddle the segment boundary.
    ['an escape at a segment boundary', 'a'.repeat(152) + '€' + 'a'.repeat(152), 'GSM-7', 3],
    ['GSM-7 accented letters', 'é ñ ü à ¿ ¡ Ç Ø'.repeat(10), 'GSM-7', 1],
    ['70 UCS-2 characters', 'Ж'.repeat(70), 'UCS-2', 1],
    ['71 UCS-2 characters', 'Ж'.repeat(71), 'UCS-2', 2],
    ['one á makes the whole text UCS-2', 'a'.repeat(100) + 'á', 'UCS-2', 2],
    ['35 emoji (surrogate pairs) fill one segment', '😀'.repeat(35), 'UCS-2', 1],
    ['a surrogate pair at a segment boundary', 'Ж'.repeat(66) + '😀' + 'Ж'.repeat(66), 'UCS-2', 3],
  ])('%s', (_label, body, encoding, segments) => {
    expect(smsSegments(body)).toEqual({ encoding, segments });
  });
});

describe('foldToGsm7', () => {
  it.each<[string, string]>([
    ['¿Cómo está?', '¿Como esta?'],
    ['José Begoña Müller', 'José Begoña Müller'], // all GSM-7 already
    ['Zoë Łukasz Ðorđe', 'Zoe Lukasz Dorde'],
    ['“quoted” ‘text’ – dash…', '"quoted" \'text\' - dash...'],
    ['9:30\u202fa.\u00a0m.', '9:30 a. m.'],
  ])('%j -> %j', (input, expected) => {
    expect(foldToGsm7(input)).toBe(expected);
  });

  it('keeps characters it cannot fold rather than mangling a name', () => {
    expect(foldToGsm7('Hi 王芳')).toBe('Hi 王芳');
    expect(smsSegments(foldToGsm7('Hi 王芳')).encoding).toBe('UCS-2');
  });
});

describe('overrides and values', () => {
  it('renders a clinic override instead of the default, with the same variables', () => {
    const sms = renderSms('reminder', { ...demoVars, clinicianName: 'Dr. Rivera' }, 'en', '{{clinicName}}: {{firstName}}, {{appointmentTime}}{{#clinicianName}} with {{clinicianName}}{{/clinicianName}}. C/R. STOP to opt out.');
    expect(sms).toBe('Aftercare Demo Clinic: Ana, Wed, Mar 12 at 9:30 AM EDT with Dr. Rivera. C/R. STOP to opt out.');
    const email = renderEmail('reminder', demoVars, 'en', { subject: '{{clinicName}} on {{appointmentTime}}' });
    expect(email.subject).toBe('Aftercare Demo Clinic on Wed, Mar 12 at 9:30 AM EDT');
    expect(email.text).toBe(renderEmail('reminder', demoVars, 'en').text); // the body left at its default
  });

  it('tidies the spaces an empty optional part leaves, and folds an override to GSM-7 as well', () => {
    expect(renderSms('checkin', { ...demoVars, firstName: '' }, 'en', 'Hi {{firstName}} , from {{clinicName}} – 0 to 10?  STOP')).toBe('Hi , from Aftercare Demo Clinic - 0 to 10? STOP');
  });

  it('fits long values into an SMS at a word boundary, never in an email', () => {
    const longName = 'Bartholomew-Maximilian Alexander Christopher Montgomery';
    const longClinic = 'The Greater Metropolitan Regional Center for Musculoskeletal Recovery and Sports';
    const sms = renderSms('checkin', { ...demoVars, firstName: longName, clinicName: longClinic }, 'en');
    expect(sms).toContain('Hi Bartholomew-Maximilian Alexander,');
    expect(sms).toContain('this is The Greater Metropolitan Regional Center checking in');
    expect(renderEmail('checkin', { ...demoVars, firstName: longName, clinicName: longClinic }).text).toContain(longName);
  });

  it.each<[string, number, string]>([
    ['short', 10, 'short'],
    ['Ana Maria Lopez', 10, 'Ana Maria'],
    ['Supercalifragilistic', 10, 'Supercalif'],
    ['North Side, Clinic', 11, 'North Side'],
    ['Zoë Ångström-Ü', 14, 'Zoë Ångström-Ü'],
  ])('fitToLength(%j, %d) is %j', (value, max, expected) => {
    expect(fitToLength(value, max)).toBe(expected);
  });

  it('knows which variables each kind has', () => {
    expect(variablesFor('checkin')).toEqual(['firstName', 'clinicName', 'clinicPhone']);
    expect(variablesFor('reminder')).toEqual(['firstName', 'clinicName', 'clinicPhone', 'appointmentTime', 'clinicianName']);
    expect(variablesFor('waitlist_offer')).toContain('expiryTime');
    expect(variablesFor('unknown_sender_help')).toEqual(['clinicName', 'clinicPhone']);
  });

  it('gives every kind a default in every language, with an email exactly where the kind has one', () => {
    for (const lang of SUPPORTED_LANGUAGES) {
      for (const kind of MESSAGE_KINDS) {
        const template = defaultTemplate(kind, lang);
        expect(template.sms.length).toBeGreaterThan(0);
        expect(template.emailBody !== null).toBe(hasEmailTemplate(kind));
        expect(template.emailSubject !== null).toBe(hasEmailTemplate(kind));
      }
    }
    expect(() => defaultTemplate('constructor' as MessageKind, 'en')).toThrow(/Unknown message kind/);
  });
});
