import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { LIVE, type LiveStats } from '@aftercare/contracts';
import { LiveChangesPublisher } from './live-changes.publisher.js';

/** What the live publisher has done: counters only, nothing about any patient. */
@Controller()
export class LiveStatsController {
  constructor(private readonly publisher: LiveChangesPublisher) {}

  @MessagePattern(LIVE.statsPattern)
  stats(): LiveStats {
    return this.publisher.stats();
  }
}
