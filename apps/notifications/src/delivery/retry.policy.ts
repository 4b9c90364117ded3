/**
 * How often and how soon a provider call that failed for a reason that can pass (timeout,
 * connection reset, HTTP 5xx, 429, SMTP 4xx) is tried again. Plain rules, no I/O.
 *
 * Attempt n (n = 1 is the first retry) waits `min(CAP, BASE · 2^(n-1))`, "equal jitter": half
 * of it fixed, the other half random, so a burst of failures does not come back as a burst.
 *
 *   retry 1: 15–30 s   retry 2: 30–60 s   retry 3: 1–2 min   retry 4: 2–4 min
 *   retry 5: 4–8 min   retry 6: 8–16 min  retry 7: 15–30 min
 *
 * MAX_SEND_ATTEMPTS = 8 provider calls in all: the last one comes 30–61 min after the first.
 * After that the message is `failed` with the last reason, and falls back like any failure.
 */
export const MAX_SEND_ATTEMPTS = 8;
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_CAP_MS = 30 * 60_000;

/** The wait before retry number `retry` (1-based); `random` in [0, 1) (Math.random in production). */
export function backoffDelayMs(retry: number, random: number): number {
  const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retry - 1));
  const half = exponential / 2;
  return Math.round(half + half * Math.min(Math.max(random, 0), 1));
}

/** After `attemptsMade` provider calls, whether another one is allowed. */
export function mayRetry(attemptsMade: number): boolean {
  return attemptsMade < MAX_SEND_ATTEMPTS;
}

/** The bounds of each retry's wait, for documentation and tests: [min, max] ms. */
export function backoffSchedule(): [number, number][] {
  return Array.from({ length: MAX_SEND_ATTEMPTS - 1 }, (_, i) => [backoffDelayMs(i + 1, 0), backoffDelayMs(i + 1, 1)]);
}
