import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventLoopMonitor } from './event-loop.monitor.js';
import { AppMetrics, startDefaultMetrics } from './metrics.js';
import { OpsHealth } from './ops-health.service.js';
import { OpsHttpServer } from './ops-http.server.js';
import { OPS_SERVICE } from './ops.tokens.js';
import { ReadinessChecks } from './readiness-checks.js';

/**
 * Health and metrics of one service (global, so any part of it can add a readiness check or a
 * gauge). The gateway serves them on its own port; the microservices start OpsHttpServer.
 */
@Global()
@Module({})
export class OpsModule {
  static forService(service: string): DynamicModule {
    startDefaultMetrics();
    return {
      module: OpsModule,
      // Readiness changes are logged once by OpsHealth; terminus would log every failed probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      providers: [{ provide: OPS_SERVICE, useValue: service }, AppMetrics, ReadinessChecks, EventLoopMonitor, OpsHealth, OpsHttpServer],
      exports: [AppMetrics, ReadinessChecks, OpsHealth, OpsHttpServer],
    };
  }
}
