import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { QueueHealthResource, RequestContext, RetryFailedJobsResource } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { EmptyBodyDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { QueueNameParamDto } from './admin-queues.dto.js';
import { AdminQueuesService } from './admin-queues.service.js';

/**
 * Queue health (PRODUCT.md: the admin "sees queue health"): every BullMQ queue with its job
 * counts, and failed jobs sent round again. Counts only: job payloads are ids, and none are shown.
 */
@Controller('api/admin/queues')
export class AdminQueuesController {
  constructor(private readonly queues: AdminQueuesService) {}

  @Get()
  @Roles(...ADMIN_ONLY)
  list(@Ctx() ctx: RequestContext): Promise<QueueHealthResource[]> {
    return this.queues.health(ctx);
  }

  @Post(':name/retry-failed')
  @HttpCode(200)
  @Roles(...ADMIN_ONLY)
  retryFailed(@Ctx() ctx: RequestContext, @Param() params: QueueNameParamDto, @Body() _body: EmptyBodyDto): Promise<RetryFailedJobsResource> {
    return this.queues.retryFailed(ctx, params.name);
  }
}
