import { Catch, HttpException, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import type { RpcErrorBody } from '@aftercare/contracts';
import { isDatabaseUnavailable } from '@aftercare/database';
import { databaseErrorSummary } from '@aftercare/logging';

/**
 * A rule said no. The code is stable (clients and tests rely on it); the status is how the
 * gateway will answer over HTTP; `field` names the bad input where there is one.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: 400 | 403 | 404 | 409 | 422 | 503 = 400,
    readonly field?: string,
  ) {
    super(message);
  }

  toBody(): RpcErrorBody {
    return { statusCode: this.statusCode, code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError(`${what.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}.NOT_FOUND`, `${what} ${id} was not found`, 404);

/** Turns what a message handler throws into an error body the caller can map to HTTP. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(error: unknown): Observable<RpcErrorBody> {
    if (error instanceof DomainError) return throwError(() => error.toBody());
    if (error instanceof HttpException) {
      const body = error.getResponse();
      const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? error.message);
      return throwError(() => ({ statusCode: error.getStatus(), code: 'REQUEST.INVALID', message }));
    }
    if (isDatabaseUnavailable(error)) {
      this.logger.warn(`database unavailable: ${safeErrorMessage(error)}`);
      return throwError(() => DATABASE_UNAVAILABLE);
    }
    // The error itself: the logger keeps its stack and no more than safeErrorMessage of its message.
    this.logger.error('unexpected error', error instanceof Error ? error : safeErrorMessage(error));
    return throwError(() => ({ statusCode: 500, code: 'INTERNAL', message: 'Internal error' }));
  }
}

/** What a caller hears while the database cannot be reached: try again shortly. */
export const DATABASE_UNAVAILABLE: RpcErrorBody = { statusCode: 503, code: 'SERVICE.UNAVAILABLE', message: 'The database is unreachable; try again shortly' };

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as RpcErrorBody).statusCode === 'number' && typeof (value as RpcErrorBody).code === 'string';
}

/**
 * What may be logged or stored (BullMQ keeps a failed job's message in Redis) about an error.
 * A failed query's message carries its parameters — names, phone numbers — so only the
 * PostgreSQL error code and constraint are kept (databaseErrorSummary).
 */
export function safeErrorMessage(error: unknown): string {
  if (error instanceof DomainError) return `${error.code}: ${error.message}`;
  return databaseErrorSummary(error) ?? (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');
}
