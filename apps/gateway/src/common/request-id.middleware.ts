import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { withLogContext } from '@aftercare/logging';
import type { GatewayRequest } from './http.js';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const logger = new Logger('HTTP');

/**
 * Gives every request a correlation id (the caller's X-Request-Id when it looks sane, else a
 * new uuid) that travels to the services in the RequestContext, handles the request in that
 * id's log context (every line logged for it carries `requestId`), and logs one line per
 * request. The line names the route pattern, never the URL: query strings can hold a patient's name.
 */
export function requestIdMiddleware(req: GatewayRequest, res: ServerResponse, next: () => void): void {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
  req.correlationId = requestId;
  res.setHeader('X-Request-Id', requestId);
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const failed = res.statusCode >= 500;
    if (!failed && !Logger.isLevelEnabled('debug')) return; // the common case: no line to build
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const line = `${req.method} ${req.route?.path ?? '(no route)'} ${res.statusCode} ${ms}ms`;
    // 'finish' comes from the socket, outside the request's context: the id is given again.
    withLogContext({ requestId }, () => (failed ? logger.warn(line) : logger.debug(line)));
  });
  withLogContext({ requestId }, next);
}

/** The correlation id of a request (set by the middleware; a fresh one if it did not run). */
export function correlationIdOf(req: GatewayRequest): string {
  req.correlationId ??= randomUUID();
  return req.correlationId;
}
