import type { ServerResponse } from 'node:http';
import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import type { GatewayRequest } from '../common/http.js';
import { rateLimitOf } from './rate-limit.decorator.js';
import { bucketFor, clientAddress, limitFor, retryAfterText } from './rate-limit.rules.js';
import { RequestCounter } from './request-counter.js';

const WINDOW_MS = 60_000;

/**
 * Rate limits on every route (RATE_LIMIT_PER_MINUTE, SIGN_IN_RATE_LIMIT_PER_MINUTE): per signed-in
 * user where there is one - it runs after the AuthGuard (AuthModule registers it second), which
 * has set `req.user` - and per IP address before sign-in (TRUST_PROXY decides what that is behind
 * a proxy). Counted in this process's memory: each gateway process counts its own callers (the
 * failed-login lockout, which must hold across processes, is in PostgreSQL). A refused request
 * gets 429 with Retry-After.
 *
 * Not @nestjs/throttler: its latest release (6.7.1) is CommonJS that require()s the ESM-only
 * @nestjs/common 12, which Node 20.19 allows but Jest on Node 20 cannot load, so every test that
 * boots the gateway module would fail. This is the part of it the gateway needs.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly counter = new RequestCounter(WINDOW_MS);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const kind = rateLimitOf(context);
    const limit = limitFor(kind, this.config);
    if (limit === 0) return true;
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const res = context.switchToHttp().getResponse<ServerResponse>();
    const caller = req.user ? `user:${req.user.id}` : `ip:${clientAddress(req.ip)}`;
    const hit = this.counter.hit(bucketFor(kind, `${context.getClass().name}.${context.getHandler().name}`, caller), limit, Date.now());
    const resetSeconds = Math.max(1, Math.ceil(hit.resetMs / 1000));
    res.setHeader('X-RateLimit-Limit', String(limit));
    res.setHeader('X-RateLimit-Remaining', String(hit.remaining));
    res.setHeader('X-RateLimit-Reset', String(resetSeconds));
    if (hit.allowed) return true;
    res.setHeader('Retry-After', String(resetSeconds));
    throw new HttpException(
      { statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED', message: `Too many requests; try again in ${retryAfterText(resetSeconds)}` },
      429,
    );
  }
}
