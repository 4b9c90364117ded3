import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type {
  QueueHealthResource,
  QueueJobDetailResource,
  QueueJobResource,
  QueueJobsPageResource,
  RequestContext,
  RetryFailedJobsResource,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { EmptyBodyDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ListQueueJobsQueryDto, QueueJobParamDto, QueueNameParamDto } from './admin-queues.dto.js';
import { AdminQueuesService } from './admin-queues.service.js';
import { OperatorClinicGuard } from './operator-clinic.guard.js';

/** Jobs a page lists unless `limit` says otherwise. */
const DEFAULT_PAGE = 20;

/**
 * The queue dashboard (PRODUCT.md: the admin "sees queue health"): every BullMQ queue with its
 * job counts, its jobs per state a page at a time, one job's detail, and the safe actions —
 * retrying failed jobs (all, or one), pausing and resuming a queue. Every action is audited (a
 * POST, by AuditMiddleware). Nothing runs a job before its time: no "promote" or "run now",
 * which could send a patient a message at night. Jobs carry ids only, so the lists show no
 * patient data. The queues are every clinic's: only the admins of the clinic that runs the
 * deployment may use this (OperatorClinicGuard).
 */
@Controller('api/admin/queues')
@UseGuards(OperatorClinicGuard)
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

  @Get(':name/jobs')
  @Roles(...ADMIN_ONLY)
  jobs(@Ctx() ctx: RequestContext, @Param() params: QueueNameParamDto, @Query() query: ListQueueJobsQueryDto): Promise<QueueJobsPageResource> {
    return this.queues.jobs(ctx, params.name, query.state, query.offset ?? 0, query.limit ?? DEFAULT_PAGE);
  }

  @Get(':name/jobs/:id')
  @Roles(...ADMIN_ONLY)
  job(@Ctx() ctx: RequestContext, @Param() params: QueueJobParamDto): Promise<QueueJobDetailResource> {
    return this.queues.job(ctx, params.name, params.id);
  }

  /** One failed job back to wait with a fresh round of attempts; 409 when it is not failed. */
  @Post(':name/jobs/:id/retry')
  @HttpCode(200)
  @Roles(...ADMIN_ONLY)
  retryJob(@Ctx() ctx: RequestContext, @Param() params: QueueJobParamDto, @Body() _body: EmptyBodyDto): Promise<QueueJobResource> {
    return this.queues.retryJob(ctx, params.name, params.id);
  }

  /** Every worker of the queue, on every replica, stops taking jobs; the ones running finish. */
  @Post(':name/pause')
  @HttpCode(200)
  @Roles(...ADMIN_ONLY)
  pause(@Ctx() ctx: RequestContext, @Param() params: QueueNameParamDto, @Body() _body: EmptyBodyDto): Promise<QueueHealthResource> {
    return this.queues.setPaused(ctx, params.name, true);
  }

  /** The workers take jobs again; what came due meanwhile runs now, with its row's rules (quiet hours, opt-outs) checked at send time. */
  @Post(':name/resume')
  @HttpCode(200)
  @Roles(...ADMIN_ONLY)
  resume(@Ctx() ctx: RequestContext, @Param() params: QueueNameParamDto, @Body() _body: EmptyBodyDto): Promise<QueueHealthResource> {
    return this.queues.setPaused(ctx, params.name, false);
  }
}
