import { Controller, Get, Req } from '@nestjs/common';
import { Clock } from '@aftercare/clock';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import type { AuthUser, GatewayRequest } from '../common/http.js';

export interface MeResponse extends AuthUser {
  /**
   * The system's time now (ISO): the web app counts "today" from it, not from the browser's own
   * clock, which outside production may be far behind the virtual clock.
   */
  now: string;
}

/** The signed-in user, as the auth guard loaded them (the web app shows name and role). */
@Controller('api/me')
export class MeController {
  constructor(private readonly clock: Clock) {}

  @Get()
  @Roles(...ALL_STAFF)
  me(@Req() req: GatewayRequest): MeResponse {
    return { ...req.user!, now: this.clock.now().toISOString() };
  }
}
