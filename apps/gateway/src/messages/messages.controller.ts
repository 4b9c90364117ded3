import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PATTERNS, type ListMessagesData, type MessageResource, type RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY, CLINICAL } from '../auth/roles.js';
import { EmptyBodyDto, IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ListMessagesQueryDto } from './messages.dto.js';

/**
 * The message log: every message with its channel, status history and error, newest first, a
 * page at a time (`?limit=`, `?before=`); `?status=failed` lists what did not go out. Message
 * bodies include check-in answers, so clinical roles only.
 */
@Controller('api/messages')
export class MessagesController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  list(@Ctx() ctx: RequestContext, @Query() query: ListMessagesQueryDto): Promise<MessageResource[]> {
    const data: ListMessagesData = {
      ...(query.patientId ? { patientId: query.patientId } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(query.before ? { before: query.before } : {}),
    };
    return this.services.send(PATTERNS.notifications.messagesList, ctx, data);
  }

  /**
   * Sends a `failed` message again (the admin's answer to `?status=failed`): back to `queued` for
   * a fresh round of attempts, due now; opt-outs and quiet hours still decide at send time.
   * 409 when the message is not `failed`.
   */
  @Post(':id/retry')
  @HttpCode(200)
  @Roles(...ADMIN_ONLY)
  retry(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<MessageResource> {
    return this.services.send(PATTERNS.notifications.messagesRetry, ctx, { id: params.id });
  }
}
