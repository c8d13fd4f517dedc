/** Jest runs the TypeScript sources through ts-jest; suites that start Temporal share one installed CLI. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  globalSetup: '<rootDir>/test/globalSetup.ts',
  reporters: ['default', '<rootDir>/test/summaryReporter.js'],
  testTimeout: 60_000,
  // Suites start their own Temporal dev servers and processes; two at a time fits a 2-core machine.
  maxWorkers: 2,
};
