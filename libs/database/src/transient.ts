import { setTimeout as sleep } from 'node:timers/promises';

/** The fields of a PostgreSQL error that say what went wrong (never its detail: that quotes row values). */
export interface PgErrorFields {
  code?: string;
  constraint?: string;
}

/**
 * The PostgreSQL error behind `error`: itself, or the cause drizzle wrapped it in (a
 * DrizzleQueryError carries the driver's error as `cause`).
 */
export function pgErrorOf(error: unknown): PgErrorFields {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = current as PgErrorFields & { cause?: unknown };
    if (typeof candidate.code === 'string') return { code: candidate.code, constraint: candidate.constraint };
    current = candidate.cause;
  }
  return {};
}

/**
 * 40P01: PostgreSQL found two transactions waiting for each other and aborted one (two bookings
 * inserting clashing rows at the same instant do this inside an exclusion constraint's check).
 * 40001: a transaction could not be serialised with a concurrent one. Neither says anything about
 * the request: the same transaction run again succeeds, or meets the other's committed row.
 */
const TRANSIENT_CODES = new Set(['40P01', '40001']);

export function isTransientConflict(error: unknown): boolean {
  return TRANSIENT_CODES.has(pgErrorOf(error).code ?? '');
}

/**
 * The database cannot be reached or is going away: the connection was refused, reset or timed
 * out (Node's codes), or PostgreSQL said so (class 08, connection exception; 57P01–57P03, shut
 * down by an administrator, crashed, not accepting connections yet). Nothing about the request:
 * the answer is 503, try again shortly — not 500.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorOf(error).code ?? '';
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
}

export interface TransientRetryOptions {
  /** Runs in all, the first included (default 4). */
  attempts?: number;
  /** Upper bound of the first wait; it doubles with each retry (default 25 ms). */
  backoffMs?: number;
  /** Told before each wait, e.g. to log it at warn. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** For tests: a source of randomness in [0, 1) and a way to wait. */
  random?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Runs `work` (a whole transaction: its writes, outbox rows included, roll back together) again
 * when PostgreSQL aborted it as a deadlock victim or a serialization failure. The wait is random
 * ("full jitter"), so transactions that clashed once do not come back in step. Any other error,
 * or the last attempt's, goes to the caller.
 */
export async function retryTransient<T>(work: (attempt: number) => Promise<T>, options: TransientRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoffMs = options.backoffMs ?? 25;
  const random = options.random ?? Math.random;
  const wait = options.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      const waitMs = Math.max(1, Math.ceil(random() * backoffMs * 2 ** (attempt - 1)));
      options.onRetry?.(error, attempt, waitMs);
      await wait(waitMs);
    }
  }
}
