import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a log line says about the work it was written for (README, "Logs"). Ids only: they are
 * written on every line of that work.
 */
export interface LogContext {
  /** The HTTP request the gateway is answering (its X-Request-Id). */
  requestId?: string;
  /**
   * The request or event a service is handling: the RPC's `ctx.correlationId` or the event's
   * `correlationId`, which is the gateway's request id for work an HTTP request started.
   */
  correlationId?: string;
  /** The BullMQ job being run (its id is the row's id) and its queue. */
  jobId?: string;
  queue?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `fields` on every line it logs, through every await, nested contexts merged. */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...fields } : fields, work);
}

/**
 * Runs `work` with no log context: for a background pass (a relay, a drain) that one request
 * happened to start but that works for everyone, so it does not carry that request's id on.
 */
export function withoutLogContext<T>(work: () => T): T {
  return storage.exit(work);
}

/** The ids of the work under way, if any. */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
