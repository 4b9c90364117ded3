import { describe, expect, it } from '@jest/globals';
import { isDirty, previewBody, putBody } from './template-edit';

const DEFAULTS = { smsBody: 'Hi {{firstName}}, see you at {{clinicName}}. Reply STOP to opt out.', emailSubject: 'Your visit', emailBody: 'Dear {{firstName}}' };

describe('putBody', () => {
  it('sends only the parts that differ from the default; the others follow the default', () => {
    expect(putBody({ ...DEFAULTS, smsBody: 'New text' }, DEFAULTS)).toEqual({ smsBody: 'New text', emailSubject: null, emailBody: null });
    expect(putBody(DEFAULTS, DEFAULTS)).toEqual({ smsBody: null, emailSubject: null, emailBody: null });
  });

  it('sends an empty part as the default, and an SMS-only kind without e-mail parts', () => {
    expect(putBody({ ...DEFAULTS, emailSubject: '  ' }, DEFAULTS).emailSubject).toBeNull();
    expect(putBody({ smsBody: 'Ok', emailSubject: null, emailBody: null }, { smsBody: 'Default', emailSubject: null, emailBody: null })).toEqual({
      smsBody: 'Ok',
      emailSubject: null,
      emailBody: null,
    });
  });
});

describe('previewBody', () => {
  it('previews what is in the fields, and reports the empty parts instead of sending them', () => {
    expect(previewBody('reminder', 'en', { ...DEFAULTS, emailBody: '' })).toEqual({
      body: { kind: 'reminder', language: 'en', smsBody: DEFAULTS.smsBody, emailSubject: 'Your visit' },
      empty: ['emailBody'],
    });
    expect(previewBody('help_reply', 'es', { smsBody: 'Hola', emailSubject: null, emailBody: null })).toEqual({
      body: { kind: 'help_reply', language: 'es', smsBody: 'Hola' },
      empty: [],
    });
  });
});

describe('isDirty', () => {
  it('is true only when a part changed', () => {
    expect(isDirty(DEFAULTS, { ...DEFAULTS })).toBe(false);
    expect(isDirty({ ...DEFAULTS, emailBody: 'x' }, DEFAULTS)).toBe(true);
  });
});
