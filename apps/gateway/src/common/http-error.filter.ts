import { STATUS_CODES, type ServerResponse } from 'node:http';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { isDatabaseUnavailable } from '@aftercare/database';
import { DATABASE_UNAVAILABLE, DomainError, isRpcErrorBody } from '@aftercare/messaging';

/** Every error the gateway answers with has this shape (PRODUCT.md, "HTTP API"). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Stable code of a domain error, e.g. APPOINTMENT.SLOT_TAKEN. */
  code?: string;
  /** Path of the bad input field, where there is one. */
  field?: string;
}

const reason = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** What body-parser and Express throw for a bad request: http-errors objects. */
interface ParserError {
  status: number;
  type?: string;
}
const isParserError = (error: unknown): error is ParserError =>
  typeof error === 'object' && error !== null && typeof (error as ParserError).status === 'number' && (error as ParserError).status < 500;

const PARSER_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'The request body is not valid JSON',
  'entity.too.large': 'The request body is too large',
  'encoding.unsupported': 'The request body has an unsupported encoding',
  'charset.unsupported': 'The request body has an unsupported charset',
};

/**
 * Our own words for a body or URL that could not be read. The parser's message is not used:
 * JSON.parse quotes the text it choked on, and that text may be patient data.
 */
function parserErrorBody(error: ParserError): ErrorBody {
  const message =
    PARSER_MESSAGES[error.type ?? ''] ??
    (error instanceof SyntaxError ? 'The request body is not valid JSON' : error instanceof URIError ? 'The URL has a bad percent-encoding' : 'The request could not be read');
  return { statusCode: error.status, error: reason(error.status), message };
}

/** Maps anything thrown while handling a request to an ErrorBody (pure; unit tested). */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof DomainError || isRpcErrorBody(error)) {
    const { statusCode, code, message, field } = error;
    const status = statusCode >= 400 && statusCode <= 599 ? statusCode : 500;
    return { statusCode: status, error: reason(status), message, code, ...(field ? { field } : {}) };
  }
  // Nest's Express adapter wraps body-parser's errors in an HttpException (the cause).
  if (error instanceof HttpException && isParserError(error.cause)) return parserErrorBody(error.cause);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'string') return { statusCode: status, error: reason(status), message: response };
    const body = response as { message?: unknown; error?: unknown; field?: unknown; code?: unknown };
    const message = Array.isArray(body.message) ? body.message.join('; ') : typeof body.message === 'string' ? body.message : error.message;
    return {
      statusCode: status,
      error: typeof body.error === 'string' ? body.error : reason(status),
      message,
      ...(typeof body.code === 'string' ? { code: body.code } : {}),
      ...(typeof body.field === 'string' ? { field: body.field } : {}),
    };
  }
  if (isParserError(error) && error.status >= 400) return parserErrorBody(error);
  // The gateway's own queries (sessions, the audit log) while PostgreSQL is down.
  if (isDatabaseUnavailable(error)) return { ...DATABASE_UNAVAILABLE, error: reason(503) };
  return { statusCode: 500, error: reason(500), message: 'Internal error; the request id in X-Request-Id helps find it in the logs' };
}

/** The one place where errors become HTTP answers. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse & { status(code: number): { json(body: unknown): void } }>();
    const body = toErrorBody(error);
    if (body.statusCode === 500) {
      // The logger keeps the error's type, stack and a safe message only: a failed query's
      // message carries its parameters, a pg error's `detail` quotes row values.
      this.logger.error('unexpected error', error instanceof Error ? error : { thrown: typeof error });
    }
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }
}
