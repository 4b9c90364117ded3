// The fault suite (`npm run test:faults`): each scenario starts the whole system on a private
// Redis and PostgreSQL and breaks something on purpose; one at a time on a 2-core machine.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  maxWorkers: 1,
  globalSetup: '<rootDir>/test/faults/support/global-setup.js',
  globalTeardown: '<rootDir>/test/faults/support/global-teardown.js',
};
