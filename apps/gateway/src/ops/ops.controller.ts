import { Controller, Get, Header, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { AppMetrics, METRICS_CONTENT_TYPE, METRICS_UNAUTHORIZED_MESSAGE, metricsAccessAllowed, OpsHealth } from '@aftercare/ops';
import { Public } from '../auth/auth.decorators.js';

interface StatusResponse {
  status(code: number): unknown;
}

/**
 * For orchestrators, with no token: liveness and readiness of the gateway itself. The older
 * GET /health (database, Redis and every service answering) stays for the web app and the tests.
 */
@Controller('health')
@Public()
export class HealthProbesController {
  constructor(private readonly health: OpsHealth) {}

  @Get('live')
  @Header('Cache-Control', 'no-store')
  async live(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthCheckResult> {
    const { httpStatus, body } = await this.health.live();
    res.status(httpStatus);
    return body;
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthCheckResult> {
    const { httpStatus, body } = await this.health.ready();
    res.status(httpStatus);
    return body;
  }
}

/**
 * For Prometheus, with no user token (a scraper has none): the metrics carry no patient data, and
 * METRICS_TOKEN, when set, closes them to all but the scraper.
 */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: AppMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metricsText(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!metricsAccessAllowed(authorization, this.config.ops.metricsToken)) throw new UnauthorizedException(METRICS_UNAUTHORIZED_MESSAGE);
    return this.metrics.render();
  }
}
