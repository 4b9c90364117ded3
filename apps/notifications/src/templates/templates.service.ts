import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type {
  ListTemplatesData,
  MessageTemplateResource,
  PutTemplateData,
  RequestContext,
  TemplateKeyData,
  TemplatePreviewData,
  TemplatePreviewResource,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { templateOverrides, type TemplateOverrideRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import {
  MESSAGE_KINDS,
  SUPPORTED_LANGUAGES,
  defaultTemplate,
  formatAppointmentTime,
  isLanguage,
  isMessageKind,
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
import { checkTemplateInput, checkValuesInput, longestValues, previewTemplate, TemplateInputError, templateProblems, type TemplatePart } from './template.rules.js';

/** A kind's templates in one language, the clinic's override applied. */
export interface KindTemplates {
  sms(vars: TemplateVars): string;
  email(vars: TemplateVars): { subject: string; text: string };
}

/** A clinic's override of one kind and language: read for every message composed (PreparedQuery). */
const OVERRIDE = new PreparedQuery('notifications.templates.override', (db) =>
  db
    .select()
    .from(templateOverrides)
    .where(and(eq(templateOverrides.clinicId, sql.placeholder('clinicId')), eq(templateOverrides.kind, sql.placeholder('kind')), eq(templateOverrides.language, sql.placeholder('lang')))),
);

/**
 * The texts a clinic sends: its admin's overrides (notifications.template_overrides) over the
 * built-in defaults. Edits are checked against template.rules.ts before they are stored; what
 * is stored always renders. Composing a message asks `smsTemplate` / `emailTemplate` here.
 */
@Injectable()
export class TemplatesService {
  private readonly logger = new Logger('Templates');

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly directory: DirectoryService,
  ) {}

  // ---- rendering, for the messages the clinic sends ----

  /**
   * A kind's SMS and e-mail as the clinic has them, in one language: the clinic's override is
   * read once, and each channel rendered from it (a message composed for SMS and e-mail reads it
   * once, not per channel).
   */
  async templatesOf(db: Executor, clinicId: string, kind: MessageKind, lang: Language): Promise<KindTemplates> {
    return this.templatesWith(kind, lang, await this.override(db, clinicId, kind, lang));
  }

  /** As templatesOf, with the clinic's override of the kind and language already read (or null: none). */
  templatesWith(kind: MessageKind, lang: Language, override: Pick<TemplateOverrideRow, 'smsBody' | 'emailSubject' | 'emailBody'> | null): KindTemplates {
    return {
      sms: (vars) => {
        if (override?.smsBody) {
          try {
            return renderSms(kind, vars, lang, override.smsBody);
          } catch (error) {
            // Stored overrides were checked; should one no longer render, the patient still gets the default.
            this.logger.warn(`override of ${kind}/${lang} did not render (${(error as Error).name}); the default was used`);
          }
        }
        return renderSms(kind, vars, lang);
      },
      email: (vars) => {
        if (override?.emailSubject || override?.emailBody) {
          try {
            return renderEmail(kind, vars, lang, { subject: override.emailSubject, body: override.emailBody });
          } catch (error) {
            this.logger.warn(`override of ${kind}/${lang} did not render (${(error as Error).name}); the default was used`);
          }
        }
        return renderEmail(kind, vars, lang);
      },
    };
  }

  /** The SMS of a kind as the clinic has it, rendered. */
  async renderSms(db: Executor, clinicId: string, kind: MessageKind, vars: TemplateVars, lang: Language): Promise<string> {
    return (await this.templatesOf(db, clinicId, kind, lang)).sms(vars);
  }

  /** The email of a kind as the clinic has it, rendered. */
  async renderEmail(db: Executor, clinicId: string, kind: MessageKind, vars: TemplateVars, lang: Language): Promise<{ subject: string; text: string }> {
    return (await this.templatesOf(db, clinicId, kind, lang)).email(vars);
  }

  // ---- the admin's API ----

  async list(ctx: RequestContext, data: ListTemplatesData = {}): Promise<MessageTemplateResource[]> {
    const kinds = data.kind ? [this.kindOf(data.kind)] : MESSAGE_KINDS;
    const languages = data.language ? [this.languageOf(data.language)] : SUPPORTED_LANGUAGES;
    const rows = await this.db.select().from(templateOverrides).where(eq(templateOverrides.clinicId, ctx.clinicId));
    const byKey = new Map(rows.map((r) => [`${r.kind}/${r.language}`, r]));
    return kinds.flatMap((kind) => languages.map((lang) => this.resource(kind, lang, byKey.get(`${kind}/${lang}`) ?? null)));
  }

  /** Replaces the clinic's override of one kind and language; refused when it breaks a rule. */
  async put(ctx: RequestContext, data: PutTemplateData): Promise<MessageTemplateResource> {
    const kind = this.kindOf(data.kind);
    const lang = this.languageOf(data.language);
    const parts = { smsBody: data.smsBody ?? null, emailSubject: data.emailSubject ?? null, emailBody: data.emailBody ?? null };
    if (parts.smsBody === null && parts.emailSubject === null && parts.emailBody === null) {
      throw new DomainError('TEMPLATE.EMPTY', 'Give smsBody, emailSubject or emailBody; DELETE restores the defaults', 400, 'smsBody');
    }
    const template = this.merged(kind, lang, parts);
    this.checkInput(kind, parts);
    const problems = templateProblems(kind, lang, template);
    if (problems.length > 0) {
      throw new DomainError('TEMPLATE.RULE_VIOLATION', problems.map((p) => p.message).join('; '), 422, problems[0]!.field);
    }
    const values = { ...parts, updatedBy: ctx.userId, updatedAt: this.clock.now() };
    const [row] = await this.db
      .insert(templateOverrides)
      .values({ clinicId: ctx.clinicId, kind, language: lang, ...values })
      .onConflictDoUpdate({ target: [templateOverrides.clinicId, templateOverrides.kind, templateOverrides.language], set: values })
      .returning();
    return this.resource(kind, lang, row ?? null);
  }

  /** Back to the defaults (nothing to do when there was no override). */
  async reset(ctx: RequestContext, data: TemplateKeyData): Promise<MessageTemplateResource> {
    const kind = this.kindOf(data.kind);
    const lang = this.languageOf(data.language);
    await this.db
      .delete(templateOverrides)
      .where(and(eq(templateOverrides.clinicId, ctx.clinicId), eq(templateOverrides.kind, kind), eq(templateOverrides.language, lang)));
    return this.resource(kind, lang, null);
  }

  /** Renders the clinic's text, or the given parts, with sample or given values; lists the problems. */
  async preview(ctx: RequestContext, data: TemplatePreviewData): Promise<TemplatePreviewResource> {
    const kind = this.kindOf(data.kind);
    const lang = this.languageOf(data.language);
    const given = { smsBody: data.smsBody ?? null, emailSubject: data.emailSubject ?? null, emailBody: data.emailBody ?? null };
    this.merged(kind, lang, given); // refuses email parts for an SMS-only kind
    this.checkInput(kind, given);
    const values = data.values ?? {};
    try {
      checkValuesInput(kind, values);
    } catch (error) {
      throw this.inputError(error);
    }
    const current = this.effective(kind, lang, await this.override(this.db, ctx.clinicId, kind, lang));
    const template: MessageTemplate = {
      sms: given.smsBody ?? current.sms,
      emailSubject: current.emailSubject === null ? null : (given.emailSubject ?? current.emailSubject),
      emailBody: current.emailBody === null ? null : (given.emailBody ?? current.emailBody),
    };
    const preview = previewTemplate(kind, lang, template, await this.samples(ctx.clinicId, lang), values as Partial<Record<TemplateVariable, string>>);
    return { kind, language: lang, ...preview, values: preview.values as Record<string, string> };
  }

  // ---- internals ----

  private async override(db: Executor, clinicId: string, kind: MessageKind, lang: Language): Promise<TemplateOverrideRow | null> {
    const [row] = await OVERRIDE.execute(db, { clinicId, kind, lang });
    return row ?? null;
  }

  private effective(kind: MessageKind, lang: Language, row: Pick<TemplateOverrideRow, 'smsBody' | 'emailSubject' | 'emailBody'> | null): MessageTemplate {
    return this.merged(kind, lang, { smsBody: row?.smsBody ?? null, emailSubject: row?.emailSubject ?? null, emailBody: row?.emailBody ?? null });
  }

  private merged(kind: MessageKind, lang: Language, parts: Record<TemplatePart, string | null>): MessageTemplate {
    const base = defaultTemplate(kind, lang);
    if (base.emailBody === null && (parts.emailSubject !== null || parts.emailBody !== null)) {
      const field = parts.emailSubject !== null ? 'emailSubject' : 'emailBody';
      throw new DomainError('TEMPLATE.SMS_ONLY', `${kind} messages are SMS only (an answer to the patient's text): they have no ${field}`, 400, field);
    }
    return {
      sms: parts.smsBody ?? base.sms,
      emailSubject: base.emailSubject === null ? null : (parts.emailSubject ?? base.emailSubject),
      emailBody: base.emailBody === null ? null : (parts.emailBody ?? base.emailBody),
    };
  }

  private checkInput(kind: MessageKind, parts: Record<TemplatePart, string | null>): void {
    try {
      for (const field of ['smsBody', 'emailSubject', 'emailBody'] as const) {
        const source = parts[field];
        if (source !== null) checkTemplateInput(kind, field, source);
      }
    } catch (error) {
      throw this.inputError(error);
    }
  }

  private inputError(error: unknown): unknown {
    return error instanceof TemplateInputError ? new DomainError(error.code, error.message, 400, error.field) : error;
  }

  private resource(kind: MessageKind, lang: Language, row: TemplateOverrideRow | null): MessageTemplateResource {
    const template = this.effective(kind, lang, row);
    const defaults = defaultTemplate(kind, lang);
    const size = smsSegments(renderSms(kind, longestValues(lang), lang, template.sms));
    return {
      kind,
      language: lang,
      smsBody: template.sms,
      emailSubject: template.emailSubject,
      emailBody: template.emailBody,
      overridden: { smsBody: !!row?.smsBody, emailSubject: !!row?.emailSubject, emailBody: !!row?.emailBody },
      defaults: { smsBody: defaults.sms, emailSubject: defaults.emailSubject, emailBody: defaults.emailBody },
      variables: [...variablesFor(kind)],
      sms: size,
      updatedAt: row?.updatedAt.toISOString() ?? null,
      updatedBy: row?.updatedBy ?? null,
    };
  }

  /** Sample values: the clinic's own name and phone, a time two days ahead at 10:00 in its zone. */
  private async samples(clinicId: string, lang: Language): Promise<TemplateVars> {
    const clinic = await this.directory.clinic(clinicId);
    const zone = clinic?.timezone ?? 'America/New_York';
    const at = DateTime.fromJSDate(this.clock.now(), { zone }).plus({ days: 2 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const expires = at.minus({ days: 1 }).set({ hour: 18 });
    return {
      firstName: lang === 'es' ? 'Lucía' : 'Ana',
      clinicName: clinic?.name ?? 'Aftercare Clinic',
      clinicPhone: clinic?.phone ?? '+12125550100',
      clinicianName: 'Dr. Rivera',
      appointmentTime: formatAppointmentTime(at.toJSDate(), zone, lang),
      expiryTime: formatAppointmentTime(expires.toJSDate(), zone, lang),
    };
  }

  private kindOf(value: string): MessageKind {
    if (!isMessageKind(value)) {
      throw new DomainError('TEMPLATE.UNKNOWN_KIND', `There is no message kind "${value}"; kinds are ${MESSAGE_KINDS.join(', ')}`, 404, 'kind');
    }
    return value;
  }

  private languageOf(value: string): Language {
    if (!isLanguage(value)) throw new DomainError('TEMPLATE.UNKNOWN_LANGUAGE', `language must be one of ${SUPPORTED_LANGUAGES.join(', ')}`, 400, 'language');
    return value;
  }
}
