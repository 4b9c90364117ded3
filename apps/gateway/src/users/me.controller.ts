import { Controller, Get, Inject, Req } from '@nestjs/common';
import { Clock } from '@aftercare/clock';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { operatorClinicOf } from '../admin-queues/operator-clinic.guard.js';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import type { AuthUser, GatewayRequest } from '../common/http.js';

export interface MeResponse extends AuthUser {
  /**
   * The system's time now (ISO): the web app counts "today" from it, not from the browser's own
   * clock, which outside production may be far behind the virtual clock.
   */
  now: string;
  /** An admin of the clinic that runs the deployment: may use the queue dashboard. */
  operator: boolean;
}

/** The signed-in user, as the auth guard loaded them (the web app shows name and role). */
@Controller('api/me')
export class MeController {
  constructor(
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Roles(...ALL_STAFF)
  me(@Req() req: GatewayRequest): MeResponse {
    const user = req.user!;
    return { ...user, now: this.clock.now().toISOString(), operator: user.role === 'admin' && user.clinicId === operatorClinicOf(this.config) };
  }
}
