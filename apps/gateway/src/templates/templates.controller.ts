import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  PATTERNS,
  type ListTemplatesData,
  type MessageTemplateResource,
  type PutTemplateData,
  type RequestContext,
  type TemplatePreviewData,
  type TemplatePreviewResource,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ListTemplatesQueryDto, PreviewTemplateDto, PutTemplateDto, TemplateKeyParamDto } from './templates.dto.js';

const P = PATTERNS.notifications;

/**
 * The clinic's message templates: one per message kind and language, each the built-in default
 * or the admin's override. Configuration, so admins only (the texts hold no patient data).
 */
@Controller('api/templates')
@Roles(...ADMIN_ONLY)
export class TemplatesController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  list(@Ctx() ctx: RequestContext, @Query() query: ListTemplatesQueryDto): Promise<MessageTemplateResource[]> {
    const data: ListTemplatesData = defined({ kind: query.kind, language: query.language });
    return this.services.send(P.templatesList, ctx, data);
  }

  /** Renders a text (the clinic's, or the one given) with sample or given values. */
  @Post('preview')
  @HttpCode(200)
  preview(@Ctx() ctx: RequestContext, @Body() body: PreviewTemplateDto): Promise<TemplatePreviewResource> {
    const data: TemplatePreviewData = defined({
      kind: body.kind,
      language: body.language,
      smsBody: body.smsBody,
      emailSubject: body.emailSubject,
      emailBody: body.emailBody,
      values: body.values,
    });
    return this.services.send(P.templatesPreview, ctx, data);
  }

  @Put(':kind/:language')
  put(@Ctx() ctx: RequestContext, @Param() params: TemplateKeyParamDto, @Body() body: PutTemplateDto): Promise<MessageTemplateResource> {
    const data: PutTemplateData = { kind: params.kind, language: params.language, smsBody: body.smsBody ?? null, emailSubject: body.emailSubject ?? null, emailBody: body.emailBody ?? null };
    return this.services.send(P.templatesPut, ctx, data);
  }

  /** Back to the default texts. */
  @Delete(':kind/:language')
  reset(@Ctx() ctx: RequestContext, @Param() params: TemplateKeyParamDto): Promise<MessageTemplateResource> {
    return this.services.send(P.templatesReset, ctx, { kind: params.kind, language: params.language });
  }
}
