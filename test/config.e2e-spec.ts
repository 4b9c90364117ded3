import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { entryOf, ROOT, SERVICE_NAMES } from '../scripts/lib/system.js';

/** A wrong setting stops each service at boot with a message naming it (and touches nothing). */
describe('configuration at boot', () => {
  it.each(SERVICE_NAMES)('%s refuses a wrong value and says which variable', (service) => {
    const result = spawnSync(process.execPath, [entryOf(service)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, REDIS_URL: 'http://127.0.0.1:6379' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('REDIS_URL');
    expect(result.stderr).toMatch(/must start with redis:/);
  });
});
