import { Controller, Get, Res } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Public } from '../auth/auth.decorators.js';
import { SystemCtx } from '../common/request-context.js';
import { HealthService, type HealthReport } from './health.service.js';

/** For load balancers and orchestrators: no token, 200 or 503. */
@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  async check(@SystemCtx() ctx: RequestContext, @Res({ passthrough: true }) res: { status(code: number): unknown }): Promise<HealthReport | (HealthReport & { statusCode: 503; error: string; message: string })> {
    const report = await this.health.check(ctx);
    if (report.status === 'ok') return report;
    res.status(503);
    const failed = Object.entries(report.checks).filter(([, v]) => v !== 'ok').map(([, v]) => v);
    return { statusCode: 503, error: 'Service Unavailable', message: failed.join('; '), ...report };
  }
}
