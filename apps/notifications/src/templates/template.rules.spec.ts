import { describe, expect, it } from '@jest/globals';
import {
  MAX_SMS_SEGMENTS,
  MESSAGE_KINDS,
  SMS_KINDS_WITHOUT_OPT_OUT_LINE,
  SUPPORTED_LANGUAGES,
  defaultTemplate,
  foldToGsm7,
  hasEmailTemplate,
  renderEmail,
  renderSms,
  smsSegments,
  type Language,
  type MessageKind,
  type MessageTemplate,
} from './message.templates.js';
import { checkTemplateInput, checkValuesInput, longestValues, previewTemplate, TemplateInputError, templateProblems, type TemplateRule } from './template.rules.js';

/**
 * Independent of the rules module: what a lock screen must never show. Kept here on purpose
 * (not imported) so that a rule loosened by mistake is caught.
 */
const FORBIDDEN = /\b(bmac|marrow|injections?|inyecci[oó]n|aspirat\w*|stem cells?|prp|platelets?|plaquetas|needles?|agujas?|ultrasound|ecograf[ií]a|osteoarthritis|arthritis|fractur\w*|cartilag\w*|tendons?|ligaments?|knee|rodilla|hip|cadera|shoulder|ankle|elbow|wrist|spine|neck|cuello|espalda|diagnos\w*|pain score)\b/i;

/** Overrides a clinic might write: shorter, warmer, different order. Each must pass the rules. */
const EXAMPLE_OVERRIDES: { kind: MessageKind; lang: Language; template: Partial<MessageTemplate> }[] = [
  { kind: 'reminder', lang: 'en', template: { sms: '{{clinicName}}: {{firstName}}, see you {{appointmentTime}}{{#clinicianName}} with {{clinicianName}}{{/clinicianName}}. Reply C to confirm, R to reschedule. STOP to opt out.' } },
  { kind: 'reminder', lang: 'es', template: { sms: '{{clinicName}}: {{firstName}}, le esperamos el {{appointmentTime}}. Responda C para confirmar o R para cambiar. STOP para darse de baja.' } },
  {
    kind: 'booking_confirmation',
    lang: 'en',
    template: {
      sms: 'Hello {{firstName}}! {{clinicName}} has you down for {{appointmentTime}}. Reply C to confirm or R to reschedule, or call {{clinicPhone}}. Reply STOP to opt out.',
      emailSubject: '{{clinicName}}: see you {{appointmentTime}}',
      emailBody: 'Dear {{firstName}},\n\nWe look forward to seeing you at {{clinicName}} on {{appointmentTime}}.\n\nQuestions? Call {{clinicPhone}}.\n',
    },
  },
  { kind: 'checkin', lang: 'en', template: { sms: '{{clinicName}} here, {{firstName}}. How are you today? Reply with a number from 0 (no pain) to 10 (worst). Worried? Call {{clinicPhone}}. Reply STOP to opt out.' } },
  { kind: 'checkin', lang: 'es', template: { sms: '{{clinicName}}: {{firstName}}, ¿como se encuentra? Responda del 0 (nada) al 10 (lo peor). ¿Dudas? {{clinicPhone}}. Responda STOP para darse de baja.' } },
  { kind: 'aftercare', lang: 'en', template: { sms: '{{firstName}}, from {{clinicName}}: rest for a few days, ice and keep the area raised if swollen. Call {{clinicPhone}} with any worry. Reply STOP to opt out.' } },
  { kind: 'help', lang: 'en', template: { sms: '{{clinicName}} appointment texts. Help: {{clinicPhone}}. Reply STOP to opt out. Msg & data rates may apply.' } },
  { kind: 'waitlist_offer', lang: 'en', template: { sms: '{{clinicName}}: {{firstName}}, {{appointmentTime}} just opened. Reply YES by {{expiryTime}} to take it. Reply STOP to opt out.' } },
  { kind: 'opted_out', lang: 'es', template: { sms: '{{clinicName}}: ya no le enviaremos mensajes. Responda START para volver.' } },
];

const effective = (kind: MessageKind, lang: Language, override: Partial<MessageTemplate> = {}): MessageTemplate => ({ ...defaultTemplate(kind, lang), ...override });

const every: { label: string; kind: MessageKind; lang: Language; template: MessageTemplate }[] = [
  ...SUPPORTED_LANGUAGES.flatMap((lang) => MESSAGE_KINDS.map((kind) => ({ label: `default ${lang} ${kind}`, kind, lang, template: defaultTemplate(kind, lang) }))),
  ...EXAMPLE_OVERRIDES.map(({ kind, lang, template }, i) => ({ label: `example override ${i + 1} (${lang} ${kind})`, kind, lang, template: effective(kind, lang, template) })),
];

describe('every template, default and example overrides, with the longest allowed values', () => {
  describe.each(every.map((t) => [t.label, t] as const))('%s', (_label, { kind, lang, template }) => {
    const values = longestValues(lang);
    const sms = renderSms(kind, values, lang, template.sms);

    it('is a template of its kind and breaks no rule', () => {
      expect(() => checkTemplateInput(kind, 'smsBody', template.sms)).not.toThrow();
      if (template.emailSubject) expect(() => checkTemplateInput(kind, 'emailSubject', template.emailSubject!)).not.toThrow();
      if (template.emailBody) expect(() => checkTemplateInput(kind, 'emailBody', template.emailBody!)).not.toThrow();
      expect(templateProblems(kind, lang, template)).toEqual([]);
    });

    it(`fits in ${MAX_SMS_SEGMENTS} GSM-7 segments`, () => {
      expect(smsSegments(sms).encoding).toBe('GSM-7');
      expect(smsSegments(sms).segments).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
    });

    it('names the clinic, and says how to opt out unless it answers STOP / START / HELP', () => {
      expect(sms).toContain(foldToGsm7(values.clinicName));
      if (!SMS_KINDS_WITHOUT_OPT_OUT_LINE.has(kind)) expect(sms).toMatch(/\bSTOP\b/);
    });

    it('names no diagnosis, procedure, site or pain history', () => {
      expect(sms).not.toMatch(FORBIDDEN);
      if (hasEmailTemplate(kind)) {
        const email = renderEmail(kind, values, lang, { subject: template.emailSubject, body: template.emailBody });
        expect(email.subject).not.toMatch(FORBIDDEN);
        expect(email.text).not.toMatch(FORBIDDEN);
        expect(email.subject).not.toMatch(/[\r\n]/);
      }
    });
  });
});

describe('rules on an edited template', () => {
  const problemsOf = (kind: MessageKind, override: Partial<MessageTemplate>, lang: Language = 'en') =>
    templateProblems(kind, lang, effective(kind, lang, override)).map((p) => [p.field, p.rule]);

  it.each<[string, MessageKind, Partial<MessageTemplate>, [string, TemplateRule][]]>([
    ['no clinic name', 'checkin', { sms: 'Hi {{firstName}}, pain 0 to 10? Reply STOP to opt out.' }, [['smsBody', 'names_clinic']]],
    [
      'the clinic name only when there is a first name',
      'checkin',
      { sms: 'Hi {{firstName}}{{#firstName}} from {{clinicName}}{{/firstName}}: pain from 0 to 10? Reply STOP to opt out.' },
      [['smsBody', 'names_clinic']],
    ],
    ['no way to opt out', 'aftercare', { sms: '{{firstName}}, rest well. {{clinicName}}' }, [['smsBody', 'opt_out']]],
    ['"stop" in lower case is no keyword', 'aftercare', { sms: '{{firstName}}, rest well. {{clinicName}}. Text stop to opt out.' }, [['smsBody', 'opt_out']]],
    ['the treated site', 'aftercare', { sms: '{{firstName}}, rest your knee. {{clinicName}}. Reply STOP to opt out.' }, [['smsBody', 'clinical_terms']]],
    ['the procedure', 'reminder', { sms: '{{firstName}}, your BMAC injection at {{clinicName}} is {{appointmentTime}}. Reply C or R. Reply STOP to opt out.' }, [['smsBody', 'clinical_terms']]],
    ['pain history', 'checkin', { sms: '{{firstName}}, your last score was high. {{clinicName}}: pain 0 to 10? Reply STOP to opt out.' }, [['smsBody', 'clinical_terms']]],
    ['a Spanish site, accents left out', 'aftercare', { sms: '{{firstName}}, descanse la rodilla. {{clinicName}}. Responda STOP para darse de baja.' }, [['smsBody', 'clinical_terms']]],
    ['no first name', 'aftercare', { sms: 'Rest well. {{clinicName}}. Reply STOP to opt out.' }, [['smsBody', 'first_name']]],
    ['no time', 'reminder', { sms: '{{firstName}}, see you soon at {{clinicName}}. Reply C or R. Reply STOP to opt out.' }, [['smsBody', 'states_time']]],
    ['no expiry on an offer', 'waitlist_offer', { sms: '{{firstName}}: {{appointmentTime}} at {{clinicName}}. Reply YES. Reply STOP to opt out.' }, [['smsBody', 'states_time']]],
    ['a reminder that does not say C or R', 'reminder', { sms: '{{firstName}}, {{clinicName}} on {{appointmentTime}}. Reply STOP to opt out.' }, [['smsBody', 'what_to_do']]],
    ['a check-in that asks for no score', 'checkin', { sms: '{{firstName}}, how are you? {{clinicName}}. Reply STOP to opt out.' }, [['smsBody', 'what_to_do']]],
    ['a HELP answer without the phone', 'help', { sms: '{{clinicName}}: appointment texts. Reply STOP to opt out.' }, [['smsBody', 'reach_clinic']]],
    [
      'four segments with the longest values',
      'aftercare',
      { sms: `{{firstName}}, {{clinicName}}: ${'rest and take it easy. '.repeat(18)}Reply STOP to opt out.` },
      [['smsBody', 'segments']],
    ],
    ['an emoji that makes it UCS-2 and too long', 'aftercare', { sms: `😀 {{firstName}}, {{clinicName}}: ${'rest well. '.repeat(12)}Reply STOP to opt out.` }, [['smsBody', 'segments']]],
    ['a two-line subject', 'reminder', { emailSubject: 'Reminder\n{{clinicName}} {{appointmentTime}}' }, [['emailSubject', 'one_line']]],
    ['a subject without the clinic', 'reminder', { emailSubject: 'Your appointment on {{appointmentTime}}' }, [['emailSubject', 'names_clinic']]],
    ['an email without the phone', 'reminder', { emailBody: 'Dear {{firstName}}, see you at {{clinicName}} on {{appointmentTime}}.' }, [['emailBody', 'reach_clinic']]],
    ['an email naming the procedure', 'aftercare', { emailBody: 'Dear {{firstName}}, after your bone marrow procedure at {{clinicName}}, call {{clinicPhone}}.' }, [['emailBody', 'clinical_terms']]],
  ])('finds %s', (_label, kind, override, expected) => {
    expect(problemsOf(kind, override)).toEqual(expected);
  });

  describe('a clinical word hidden from the check', () => {
    const aftercare = (middle: string) => ({ sms: `{{firstName}}, rest well${middle}. {{clinicName}}. Reply STOP to opt out.` });
    it.each<[string, string, [string, TemplateRule][]]>([
      ['glued by an empty inverted section', ' after the BM{{^clinicName}}{{/clinicName}}AC', [['smsBody', 'clinical_terms']]],
      ['glued by an empty section', ' after the BM{{#clinicianName}}{{/clinicianName}}AC', [['smsBody', 'clinical_terms']]],
      ['completed inside a section', ' after the {{#clinicName}}injec{{/clinicName}}tion', [['smsBody', 'clinical_terms']]],
      ['split by a value that may be empty', ' after the injec{{firstName}}tion', [['smsBody', 'clinical_terms']]],
      ['split by a zero-width space (folded away in the SMS)', ' after the inj\u200Bection', [['smsBody', 'invisible_characters'], ['smsBody', 'clinical_terms']]],
      ['split by a soft hyphen', ' after the inj\u00ADection', [['smsBody', 'invisible_characters'], ['smsBody', 'clinical_terms']]],
      ['split by a word joiner', ' after the kn\u2060ee visit', [['smsBody', 'invisible_characters'], ['smsBody', 'clinical_terms']]],
      ['in full-width letters', ' after the ｉｎｊｅｃｔｉｏｎ', [['smsBody', 'clinical_terms']]],
      ['in full-width capitals', ', ＫＮＥＥ up', [['smsBody', 'clinical_terms']]],
      ['with a dotless i that the SMS folds to i', ' after the ınjection', [['smsBody', 'clinical_terms']]],
    ])('finds it %s', (_label, middle, expected) => {
      expect(problemsOf('aftercare', aftercare(middle))).toEqual(expected);
    });

    it('refuses an invisible character on its own, naming it and where it is', () => {
      const [problem] = templateProblems('aftercare', 'en', effective('aftercare', 'en', aftercare('\u200D')));
      expect(problem).toEqual({
        field: 'smsBody',
        rule: 'invisible_characters',
        message: 'smsBody has an invisible character (U+200D) at character 25: remove it; it can hide a word from the reader of these rules',
      });
    });

    it('checks the email parts the same way', () => {
      expect(problemsOf('aftercare', { emailBody: 'Dear {{firstName}}, after your PR{{^clinicName}}{{/clinicName}}P at {{clinicName}}, call {{clinicPhone}}.' })).toEqual([['emailBody', 'clinical_terms']]);
      expect(problemsOf('reminder', { emailSubject: '{{clinicName}}: your ｎｅｅｄｌｅ visit on {{appointmentTime}}' })).toEqual([['emailSubject', 'clinical_terms']]);
      expect(problemsOf('reminder', { emailSubject: '{{clinicName}}:\u00A0{{appointmentTime}}\u200E' })).toEqual([['emailSubject', 'invisible_characters']]);
    });
  });

  describe('the words it knows', () => {
    it.each([
      'PRP', 'platelets', 'platelet-rich plasma', 'needle', 'ultrasound', 'bone marrow', 'marrow', 'aspirate', 'aspiration', 'knee', 'hip', 'shoulder', 'ankle',
      'elbow', 'wrist', 'spine', 'lower back', 'back pain', 'neck', 'foot', 'knees',
    ])('%j (en)', (word) => {
      expect(problemsOf('aftercare', { sms: `{{firstName}}, rest your ${word} well. {{clinicName}}. Reply STOP to opt out.` })).toEqual([['smsBody', 'clinical_terms']]);
    });

    it.each(['plaquetas', 'la aguja', 'la ecografía', 'el cuello', 'la espalda', 'la rodilla', 'el hombro', 'la médula'])('%j (es)', (word) => {
      expect(problemsOf('aftercare', { sms: `{{firstName}}, cuide ${word}. {{clinicName}}. Responda STOP para darse de baja.` }, 'es')).toEqual([['smsBody', 'clinical_terms']]);
    });

    it.each([
      'Questions? We will call you back.',
      'We will get back to you soon.',
      'Welcome back!',
      'Stay off your feet for a day.',
      'Mind your relationship with sleep.',
      'Our legal notice is online.',
      'Please bring a photo ID.',
      'Keep the area clean and dry.',
    ])('not %j: ordinary wording', (words) => {
      expect(problemsOf('aftercare', { sms: `{{firstName}}, rest well. ${words} {{clinicName}}. Reply STOP to opt out.` })).toEqual([]);
    });
  });

  it('names the word it found and says why', () => {
    const [problem] = templateProblems('aftercare', 'en', effective('aftercare', 'en', { sms: '{{firstName}}, rest your Knee. {{clinicName}}. Reply STOP.' }));
    expect(problem!.message).toBe('smsBody says "Knee": messages never name a diagnosis, procedure, treated site or pain history');
  });

  it('does not count a clinic called "Knee & Hip Center" against the template: only the template’s own words', () => {
    const template = defaultTemplate('reminder', 'en');
    expect(templateProblems('reminder', 'en', template)).toEqual([]);
    expect(renderSms('reminder', { firstName: 'Ana', clinicName: 'Knee & Hip Center', clinicPhone: '+12125550100', appointmentTime: 'Mon' }, 'en', template.sms)).toContain('Knee & Hip Center');
  });
});

describe('template input', () => {
  it('refuses unknown variables, naming them and the ones the kind has', () => {
    let thrown: unknown;
    try {
      checkTemplateInput('reminder', 'smsBody', 'Hi {{firstName}} {{lastName}} {{diagnosis}} {{lastName}}');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateInputError);
    const error = thrown as TemplateInputError;
    expect([error.code, error.field, error.unknown]).toEqual(['TEMPLATE.UNKNOWN_VARIABLE', 'smsBody', ['lastName', 'diagnosis']]);
    expect(error.message).toBe(
      'smsBody uses unknown variables {{lastName}}, {{diagnosis}}; reminder messages know {{firstName}}, {{clinicName}}, {{clinicPhone}}, {{appointmentTime}}, {{clinicianName}}',
    );
  });

  it('refuses a variable of another kind', () => {
    expect(() => checkTemplateInput('checkin', 'smsBody', '{{appointmentTime}}')).toThrow(/unknown variable \{\{appointmentTime\}\}; checkin messages know/);
    expect(() => checkTemplateInput('unknown_sender_help', 'smsBody', '{{firstName}}')).toThrow(/unknown variable \{\{firstName\}\}/);
    expect(() => checkTemplateInput('reminder', 'emailBody', '{{#expiryTime}}x{{/expiryTime}}')).toThrow(/emailBody uses unknown variable \{\{expiryTime\}\}/);
  });

  it('refuses a broken placeholder as a syntax error of the part', () => {
    expect(() => checkTemplateInput('reminder', 'emailSubject', 'Hi {{first name}}')).toThrow(expect.objectContaining({ code: 'TEMPLATE.SYNTAX', field: 'emailSubject' }));
  });

  it('refuses preview values that are no variable of the kind', () => {
    expect(() => checkValuesInput('checkin', { firstName: 'Ana', appointmentTime: 'x' })).toThrow(expect.objectContaining({ code: 'TEMPLATE.UNKNOWN_VARIABLE', field: 'values.appointmentTime' }));
    expect(() => checkValuesInput('reminder', { firstName: 'Ana', appointmentTime: 'x' })).not.toThrow();
  });
});

describe('preview', () => {
  const samples = { firstName: 'Ana', clinicName: 'Aftercare Demo Clinic', clinicPhone: '+12125550100', clinicianName: 'Dr. Rivera', appointmentTime: 'Wed, Mar 12 at 9:30 AM EDT', expiryTime: 'Tue, Mar 11 at 6:00 PM EDT' };

  it('renders with sample values, counts GSM-7 segments and finds no problem in a default', () => {
    const preview = previewTemplate('reminder', 'en', defaultTemplate('reminder', 'en'), samples);
    expect(preview.sms.text).toBe(
      'Hi Ana, a reminder of your appointment at Aftercare Demo Clinic with Dr. Rivera on Wed, Mar 12 at 9:30 AM EDT. Reply C to confirm or R to reschedule. Questions? Call +12125550100. Reply STOP to opt out.',
    );
    expect(preview.sms).toMatchObject({ encoding: 'GSM-7', segments: 2, characters: preview.sms.text.length });
    expect(preview.email!.subject).toBe('Reminder: your appointment at Aftercare Demo Clinic on Wed, Mar 12 at 9:30 AM EDT');
    expect(preview.problems).toEqual([]);
    const { expiryTime: _notAReminderVariable, ...reminderValues } = samples;
    expect(preview.values).toEqual(reminderValues);
  });

  it('uses the given values over the samples, and leaves out what the kind does not have', () => {
    const preview = previewTemplate('checkin', 'es', defaultTemplate('checkin', 'es'), samples, { firstName: 'José' });
    expect(preview.sms.text.startsWith('Hola, José: le escribe Aftercare Demo Clinic.')).toBe(true);
    expect(preview.values).toEqual({ firstName: 'José', clinicName: 'Aftercare Demo Clinic', clinicPhone: '+12125550100' });
    expect(preview.email).not.toBeNull();
  });

  it('shows UCS-2 and its segment count for a text with an emoji, and lists the problems', () => {
    const template = effective('aftercare', 'en', { sms: 'Hi {{firstName}} 😀 rest well. {{clinicName}}' });
    const preview = previewTemplate('aftercare', 'en', template, samples);
    expect(preview.sms).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(preview.problems.map((p) => p.rule)).toEqual(['opt_out']);
  });

  it('has no email for an SMS-only kind', () => {
    expect(previewTemplate('help', 'en', defaultTemplate('help', 'en'), samples).email).toBeNull();
  });
});
