import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between probes (default 25 ms). */
  intervalMs?: number;
  /** What is being waited for, named in the timeout error. */
  what: string;
}

/**
 * Polls `probe` until it returns a truthy value and returns that value. A probe that throws
 * counts as "not yet" (a server that is still starting refuses connections); the last error
 * is attached as the cause of the timeout error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 5000, intervalMs = 25, what }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
