import { Matches, ValidateBy } from 'class-validator';
import type { Language } from '@aftercare/contracts';
import { LANGUAGES } from '../patients/patients.dto.js';
import { IsOneOf, IsOptional, IsText, Required } from '../common/validation/validators.js';

/**
 * Input of the template routes. Only the shape is checked here; which kinds exist, which
 * variables a kind has and the rules a text must keep are the notifications service's (it
 * answers 404, 400 naming the unknown variables, or 422 naming the broken rule).
 */
const IsMessageKind = () => Matches(/^[a-z][a-z_]{0,63}$/, { message: '$property must be a message kind such as reminder' });

/** The longest texts we accept: an SMS of 10 segments, a one-line subject, a long letter. */
const MAX_SMS = 1600;
const MAX_SUBJECT = 300;
const MAX_EMAIL_BODY = 20_000;

const VALUE_MAX = 200;
/** `{ "firstName": "Ana", … }`: at most 10 variable names, each with a short text. */
export function previewValuesProblem(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be an object of variable names and texts, such as { "firstName": "Ana" }';
  const entries = Object.entries(value);
  if (entries.length > 10) return 'may name at most 10 variables';
  for (const [key, text] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key)) return `has a bad variable name "${key.slice(0, 64)}"`;
    if (typeof text !== 'string' || text.length > VALUE_MAX) return `.${key} must be a text of at most ${VALUE_MAX} characters`;
  }
  return null;
}
const IsPreviewValues = () =>
  ValidateBy({
    name: 'isPreviewValues',
    validator: {
      validate: (value) => previewValuesProblem(value) === null,
      defaultMessage: (args) => `${args?.property ?? 'values'} ${previewValuesProblem(args?.value) ?? 'is invalid'}`,
    },
  });

export class TemplateKeyParamDto {
  @Required()
  @IsMessageKind()
  kind!: string;

  @Required()
  @IsOneOf(LANGUAGES)
  language!: Language;
}

export class ListTemplatesQueryDto {
  @IsOptional()
  @IsMessageKind()
  kind?: string;

  @IsOptional()
  @IsOneOf(LANGUAGES)
  language?: Language;
}

/** The clinic's override; a part left out (or null) uses the default. */
export class PutTemplateDto {
  @IsOptional()
  @IsText(MAX_SMS, 1)
  smsBody?: string | null;

  @IsOptional()
  @IsText(MAX_SUBJECT, 1)
  emailSubject?: string | null;

  @IsOptional()
  @IsText(MAX_EMAIL_BODY, 1)
  emailBody?: string | null;
}

export class PreviewTemplateDto {
  @Required()
  @IsMessageKind()
  kind!: string;

  @Required()
  @IsOneOf(LANGUAGES)
  language!: Language;

  @IsOptional()
  @IsText(MAX_SMS, 1)
  smsBody?: string;

  @IsOptional()
  @IsText(MAX_SUBJECT, 1)
  emailSubject?: string;

  @IsOptional()
  @IsText(MAX_EMAIL_BODY, 1)
  emailBody?: string;

  @IsOptional()
  @IsPreviewValues()
  values?: Record<string, string>;
}
