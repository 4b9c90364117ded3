import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@aftercare/contracts';
import type { GatewayRequest } from '../common/http.js';
import { decideAccess, type Authentication, type RouteAccess } from './access-decision.js';
import { IS_PUBLIC_KEY, ROLES_KEY } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

/**
 * Global: every route needs a valid bearer token unless it is @Public, and must name its
 * roles with @Roles (deny by default). Sets `req.user` for the handlers.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const route: RouteAccess = {
      isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) ?? false,
      roles: this.reflector.getAllAndOverride<readonly Role[]>(ROLES_KEY, targets),
    };
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const auth: Authentication = route.isPublic ? { user: null, problem: '' } : await this.auth.authenticate(req.headers.authorization);
    if (auth.user) req.user = auth.user;

    const decision = decideAccess(route, auth);
    if (decision.allow) return true;
    if (decision.status === 401) throw new UnauthorizedException(decision.message);
    // Refusals are audited by AuditMiddleware once the 401/403 has gone out.
    throw new ForbiddenException(decision.message);
  }
}
