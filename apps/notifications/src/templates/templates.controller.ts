import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PATTERNS, type ListTemplatesData, type PutTemplateData, type RpcRequest, type TemplateKeyData, type TemplatePreviewData } from '@aftercare/contracts';
import { TemplatesService } from './templates.service.js';

const P = PATTERNS.notifications;

/** The admin's message templates, from the gateway. */
@Controller()
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @MessagePattern(P.templatesList)
  list(@Payload() { ctx, data }: RpcRequest<ListTemplatesData>) {
    return this.templates.list(ctx, data ?? {});
  }

  @MessagePattern(P.templatesPut)
  put(@Payload() { ctx, data }: RpcRequest<PutTemplateData>) {
    return this.templates.put(ctx, data);
  }

  @MessagePattern(P.templatesReset)
  reset(@Payload() { ctx, data }: RpcRequest<TemplateKeyData>) {
    return this.templates.reset(ctx, data);
  }

  @MessagePattern(P.templatesPreview)
  preview(@Payload() { ctx, data }: RpcRequest<TemplatePreviewData>) {
    return this.templates.preview(ctx, data);
  }
}
