import { Module } from '@nestjs/common';
import { HealthProbesController, MetricsController } from './ops.controller.js';

/** /health/live, /health/ready and /metrics on the gateway's own port (OpsModule provides the checks and metrics). */
@Module({ controllers: [HealthProbesController, MetricsController] })
export class GatewayOpsModule {}
