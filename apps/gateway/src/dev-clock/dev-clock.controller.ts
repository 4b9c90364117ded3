import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { Ctx } from '../common/request-context.js';
import type { AdvanceResult } from './clock-advance.js';
import { AdvanceClockDto } from './dev-clock.dto.js';
import { DevClockService, type ClockReading } from './dev-clock.service.js';

/** Registered only outside production; there these routes do not exist (404). */
@Controller('api/dev/clock')
@Roles(...ADMIN_ONLY)
export class DevClockController {
  constructor(private readonly devClock: DevClockService) {}

  @Get()
  read(): Promise<ClockReading> {
    return this.devClock.read();
  }

  @Post('advance')
  @HttpCode(200)
  advance(@Ctx() ctx: RequestContext, @Body() body: AdvanceClockDto): Promise<AdvanceResult> {
    return this.devClock.advance(body.by, ctx);
  }
}
