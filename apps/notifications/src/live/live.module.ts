import { Module } from '@nestjs/common';
import { LiveChangesPublisher } from './live-changes.publisher.js';
import { LiveStatsController } from './live-stats.controller.js';

/** Live changes of patients' messages for the gateways' streams (GET /api/live). */
@Module({
  controllers: [LiveStatsController],
  providers: [LiveChangesPublisher],
})
export class LiveChangesModule {}
