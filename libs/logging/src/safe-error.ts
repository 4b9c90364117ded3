/**
 * What a log line (or Redis, which keeps a failed job's message) may say about an error. A failed
 * query's message carries its parameters and a PostgreSQL error's message and `detail` quote
 * values (names, phone numbers), so of a database error only its code and constraint are kept.
 * Null for an error that is not a database error.
 */
export function databaseErrorSummary(error: unknown): string | null {
  if (!error || typeof error !== 'object') return null;
  // drizzle's DrizzleQueryError: the query and its parameters, the driver's error as the cause.
  if ('params' in error && 'query' in error) {
    const cause = (error as { cause?: { code?: string; constraint?: string } }).cause;
    return `database error ${cause?.code ?? 'unknown'}${cause?.constraint ? ` on ${cause.constraint}` : ''}`;
  }
  const pg = error as { code?: string; constraint?: string; severity?: string };
  if (pg.severity && pg.code) return `database error ${pg.code}${pg.constraint ? ` on ${pg.constraint}` : ''}`;
  return null;
}

/** An error as a log line carries it: `err` in the JSON. */
export interface SerializedError {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: SerializedError;
}

const FRAME = /^\s+at /;

/**
 * The error's type, message, code, stack and cause, and nothing else: its other fields (a pg
 * error's `detail`, `parameters`, a provider's response) are left out. A database error's
 * message is its summary, also at the head of its stack.
 */
export function serializeError(error: Error, depth = 0): SerializedError {
  // The class, where the error's name is the generic "Error" (drizzle's errors keep it).
  const type = error.name === 'Error' && error.constructor?.name ? error.constructor.name : error.name;
  const summary = databaseErrorSummary(error);
  const message = summary ?? error.message;
  let stack = error.stack;
  if (summary && stack) stack = [`${type}: ${summary}`, ...stack.split('\n').filter((line) => FRAME.test(line))].join('\n');
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: unknown }).cause;
  return {
    type,
    message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(stack ? { stack } : {}),
    // A summarised database error's cause is the driver's error, already summarised.
    ...(cause instanceof Error && !summary && depth < 3 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}
