import type { Redis } from 'ioredis';

/**
 * What `work` settles to, or `fallback` when it rejects or has not settled within `ms`: for a
 * question whose answer only helps when it comes fast (is anyone listening, does a connection open).
 */
export async function settledWithin<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([work.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How many connections are subscribed to a request pattern's channel: 0 when no replica of its service listens. */
export async function listenerCount(redis: Redis, pattern: string): Promise<number> {
  const answer = (await redis.pubsub('NUMSUB', pattern)) as [string, number];
  return Number(answer[1]);
}
