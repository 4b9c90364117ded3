import { createParamDecorator, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import type { GatewayRequest } from './http.js';
import { correlationIdOf } from './request-id.middleware.js';

/** Who is asking, as the services receive it with every request. */
export function requestContextOf(req: GatewayRequest): RequestContext {
  const user = req.user;
  // Only reachable on a route marked @Public that still asks for a user: a programming error,
  // but refusing is safer than forwarding an anonymous request as somebody.
  if (!user) throw new UnauthorizedException('Sign in first: send Authorization: Bearer <token>');
  return {
    clinicId: user.clinicId,
    userId: user.id,
    role: user.role,
    clinicianId: user.clinicianId,
    correlationId: correlationIdOf(req),
  };
}

/**
 * Twilio's webhooks act for no user and no known clinic: notifications finds the clinic from
 * the number the message was sent to.
 */
export function systemContextOf(req: GatewayRequest): RequestContext {
  return systemContext(correlationIdOf(req));
}

/** The system's context under a request's correlation id (a held webhook forwarded later keeps its request's). */
export function systemContext(correlationId: string): RequestContext {
  return { clinicId: '', userId: null, role: 'system', clinicianId: null, correlationId };
}

/** The signed-in user's RequestContext as a handler parameter. */
export const Ctx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext =>
  requestContextOf(ctx.switchToHttp().getRequest<GatewayRequest>()),
);

/** RequestContext for Twilio's webhooks. */
export const SystemCtx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext =>
  systemContextOf(ctx.switchToHttp().getRequest<GatewayRequest>()),
);
