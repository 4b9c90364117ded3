import { Controller, Get, Req } from '@nestjs/common';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import type { AuthUser, GatewayRequest } from '../common/http.js';

/** The signed-in user, as the auth guard loaded them (the web app shows name and role). */
@Controller('api/me')
export class MeController {
  @Get()
  @Roles(...ALL_STAFF)
  me(@Req() req: GatewayRequest): AuthUser {
    return req.user!;
  }
}
