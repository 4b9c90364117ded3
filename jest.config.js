// Native ESM jest (NestJS 12 is ESM-only): run through `node --experimental-vm-modules`.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export default {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@aftercare/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  resolver: '<rootDir>/test/support/jest-resolver.cjs',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // End-to-end suites start four processes each: two at a time on a 2-core machine.
  maxWorkers: 2,
};
