import type { AppConfig } from '@aftercare/config';
import type { RateLimitKind } from './rate-limit.decorator.js';

/** Requests a minute for a kind of route; 0 means not limited. */
export function limitFor(kind: RateLimitKind, config: Pick<AppConfig, 'rateLimit' | 'twilioAuthToken'>): number {
  if (kind === 'sign-in') return config.rateLimit.signInPerMinute;
  // Signed webhooks are Twilio's own: refusing one would lose a delivery report or a reply.
  if (kind === 'webhook' && config.twilioAuthToken) return 0;
  return config.rateLimit.perMinute;
}

/**
 * The bucket a request counts in: standard and webhook requests share one per caller (a user's
 * budget covers every page they open), sign-in routes have one per route and caller.
 */
export function bucketFor(kind: RateLimitKind, route: string, tracker: string): string {
  return kind === 'sign-in' ? `sign-in:${route}:${tracker}` : `${kind}:${tracker}`;
}

/** "try again in 15 minutes" / "in 40 seconds", for a lockout's message. */
export function retryAfterText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * The address a caller is counted by: an IPv4 address as it is (also when Node reports it
 * IPv4-mapped), an IPv6 address by its /64, which one home or office usually gets whole.
 */
export function clientAddress(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
