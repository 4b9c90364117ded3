import { describe, expect, it } from '@jest/globals';
import { judgeRedisSettings } from './redis-policy.js';

const safe = { maxmemoryPolicy: 'noeviction', appendonly: 'yes', save: '3600 1 300 100 60 10000' };

describe('judgeRedisSettings', () => {
  it('accepts noeviction with persistence on, silently, in production', () => {
    expect(judgeRedisSettings(safe, true)).toEqual({ refusal: null, warnings: [] });
  });

  it('refuses an evicting policy in production and says what to set', () => {
    for (const policy of ['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl', 'allkeys-lfu']) {
      const verdict = judgeRedisSettings({ ...safe, maxmemoryPolicy: policy }, true);
      expect(verdict.refusal).toContain(`"${policy}"`);
      expect(verdict.refusal).toContain('maxmemory-policy noeviction');
    }
  });

  it('only warns about an evicting policy outside production', () => {
    const verdict = judgeRedisSettings({ ...safe, maxmemoryPolicy: 'allkeys-lru' }, false);
    expect(verdict.refusal).toBeNull();
    expect(verdict.warnings).toEqual([expect.stringContaining('set maxmemory-policy noeviction')]);
  });

  it('warns that it could not check when CONFIG is disabled or renamed, and starts even in production', () => {
    const verdict = judgeRedisSettings({ maxmemoryPolicy: null, appendonly: null, save: null }, true);
    expect(verdict.refusal).toBeNull();
    expect(verdict.warnings).toEqual([expect.stringMatching(/could not check Redis maxmemory-policy/)]);
  });

  it('warns when persistence is off: appendonly no and no save points', () => {
    const verdict = judgeRedisSettings({ maxmemoryPolicy: 'noeviction', appendonly: 'no', save: '' }, true);
    expect(verdict.refusal).toBeNull();
    expect(verdict.warnings).toEqual([expect.stringContaining('persistence is off')]);
  });

  it('is content with either kind of persistence: RDB save points alone or the append-only file alone', () => {
    expect(judgeRedisSettings({ maxmemoryPolicy: 'noeviction', appendonly: 'no', save: '3600 1' }, true).warnings).toEqual([]);
    expect(judgeRedisSettings({ maxmemoryPolicy: 'noeviction', appendonly: 'yes', save: '' }, true).warnings).toEqual([]);
  });
});
