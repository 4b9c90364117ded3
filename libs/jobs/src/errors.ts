/**
 * What a job handler throws decides what BullMQ does next: a RetryableError is retried with
 * backoff (timeouts, 5xx, 429, a service that is down); a PermanentError fails the job at once
 * (bad number, opted out, 4xx that will not change). Never decided by matching message text.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
