import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import type { GatewayRequest } from './http.js';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const logger = new Logger('HTTP');

/**
 * Gives every request a correlation id (the caller's X-Request-Id when it looks sane, else a
 * new uuid) that travels to the services in the RequestContext, and logs one line per request.
 * The line names the route pattern, never the URL: query strings can hold a patient's name.
 */
export function requestIdMiddleware(req: GatewayRequest, res: ServerResponse, next: () => void): void {
  const given = req.headers['x-request-id'];
  const correlationId = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
  req.correlationId = correlationId;
  res.setHeader('X-Request-Id', correlationId);
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const route = req.route?.path ?? '(no route)';
    const line = `${req.method} ${route} ${res.statusCode} ${ms}ms rid=${correlationId}`;
    if (res.statusCode >= 500) logger.warn(line);
    else logger.debug(line);
  });
  next();
}

/** The correlation id of a request (set by the middleware; a fresh one if it did not run). */
export function correlationIdOf(req: GatewayRequest): string {
  req.correlationId ??= randomUUID();
  return req.correlationId;
}
