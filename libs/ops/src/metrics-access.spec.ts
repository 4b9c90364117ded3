import { describe, expect, it } from '@jest/globals';
import { metricsAccessAllowed } from './metrics-access.js';

describe('who may read /metrics', () => {
  const token = 'scrape-token-0123456789';

  it('is open when no METRICS_TOKEN is configured', () => {
    expect(metricsAccessAllowed(undefined, null)).toBe(true);
    expect(metricsAccessAllowed('Bearer anything', null)).toBe(true);
  });

  it('needs exactly that bearer token when one is configured', () => {
    expect(metricsAccessAllowed(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAccessAllowed(`bearer ${token}`, token)).toBe(true);
    expect(metricsAccessAllowed(undefined, token)).toBe(false);
    expect(metricsAccessAllowed('', token)).toBe(false);
    expect(metricsAccessAllowed(token, token)).toBe(false); // no scheme
    expect(metricsAccessAllowed(`Basic ${token}`, token)).toBe(false);
    expect(metricsAccessAllowed(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAccessAllowed(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(metricsAccessAllowed([`Bearer ${token}`], token)).toBe(false); // a repeated header is refused
  });
});
