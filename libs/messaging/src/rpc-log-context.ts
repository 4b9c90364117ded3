import { Logger, type ExecutionContext } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { withLogContext } from '@aftercare/logging';
import { DomainError } from './errors.js';
import { patternOf } from './rpc-payload.js';

const logger = new Logger('Rpc');

/** The correlation id a message carries: a request's `ctx.correlationId`, an event envelope's `correlationId`. */
function messageCorrelationId(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const { ctx, correlationId } = data as { ctx?: { correlationId?: unknown }; correlationId?: unknown };
  const id = ctx?.correlationId ?? correlationId;
  return typeof id === 'string' ? id : null;
}

/**
 * A microservice's pre-request hook (before guards, interceptors and the handler): a request or
 * event is handled with its correlation id in the log context, so every line logged for it
 * carries the id - the gateway's request id for work an HTTP request started. At debug level, one
 * line per message handled, with its pattern and time. Messages without an id (health, the
 * virtual clock's patterns) pass untouched and unlogged.
 */
export function rpcLogContext(context: ExecutionContext, next: () => Observable<unknown>): Observable<unknown> {
  const correlationId = messageCorrelationId(context.switchToRpc().getData());
  if (correlationId === null) return next();
  return new Observable((subscriber) =>
    withLogContext({ correlationId }, () => {
      // Checked first: the line is built only when it will be written.
      if (!Logger.isLevelEnabled('debug')) return next().subscribe(subscriber);
      const pattern = patternOf(context.switchToRpc().getContext());
      const started = performance.now();
      const handled = (outcome: string) => logger.debug(`${pattern} ${outcome} in ${Math.round(performance.now() - started)} ms`);
      return next()
        .pipe(tap({ complete: () => handled('handled'), error: (error: unknown) => handled(`failed (${error instanceof DomainError ? error.code : 'error'})`) }))
        .subscribe(subscriber);
    }),
  );
}
