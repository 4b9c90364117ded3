import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a scrape may read /metrics: anyone when no METRICS_TOKEN is configured (the listener
 * sits on a private network), else only `Authorization: Bearer <token>` - Prometheus's
 * `authorization: { credentials: ... }` / `bearer_token`. Compared in constant time.
 */
export function metricsAccessAllowed(authorization: string | string[] | undefined, token: string | null): boolean {
  if (token === null) return true;
  if (typeof authorization !== 'string') return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export const METRICS_UNAUTHORIZED_MESSAGE = 'Metrics need Authorization: Bearer <METRICS_TOKEN>';
