/**
 * A message template as the admin edits it: the texts in the fields, the request that previews
 * them and the one that saves them. PUT replaces the clinic's whole override, and a part sent as
 * null follows the default: a part left equal to its default is sent as null, so that it keeps
 * following the default when the default improves.
 */
import type { TemplatePart } from '@aftercare/contracts';

export type { TemplatePart };

export interface TemplateTexts {
  smsBody: string;
  emailSubject: string | null;
  emailBody: string | null;
}

export const PART_NAMES: Record<TemplatePart, string> = { smsBody: 'SMS text', emailSubject: 'E-mail subject', emailBody: 'E-mail text' };

/** The body of PUT /api/templates/:kind/:language. */
export function putBody(draft: TemplateTexts, defaults: TemplateTexts): Record<TemplatePart, string | null> {
  const part = (text: string | null, fallback: string | null) => (text === null || text.trim() === '' || text === fallback ? null : text);
  return {
    smsBody: part(draft.smsBody, defaults.smsBody),
    emailSubject: part(draft.emailSubject, defaults.emailSubject),
    emailBody: part(draft.emailBody, defaults.emailBody),
  };
}

/**
 * The body of POST /api/templates/preview for what is in the fields. An empty part cannot be
 * previewed (the API refuses it): it is left out and reported as a problem of its own.
 */
export function previewBody(kind: string, language: string, draft: TemplateTexts): { body: Record<string, string>; empty: TemplatePart[] } {
  const body: Record<string, string> = { kind, language };
  const empty: TemplatePart[] = [];
  for (const part of ['smsBody', 'emailSubject', 'emailBody'] as const) {
    const text = draft[part];
    if (text === null) continue;
    if (text.trim() === '') empty.push(part);
    else body[part] = text;
  }
  return { body, empty };
}

/** True when the fields differ from what is saved. */
export function isDirty(draft: TemplateTexts, saved: TemplateTexts): boolean {
  return draft.smsBody !== saved.smsBody || draft.emailSubject !== saved.emailSubject || draft.emailBody !== saved.emailBody;
}

export const LANGUAGE_NAMES: Record<string, string> = { en: 'English', es: 'Spanish' };
