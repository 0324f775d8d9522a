// Tests are compiled by `tsc` (npm test runs the build first) and Jest runs the emitted ES modules
// natively (node --experimental-vm-modules), so there is no second TypeScript pipeline to keep in sync.
export default {
  rootDir: 'dist/test',
  testMatch: ['**/*.test.js'],
  testEnvironment: 'node',
  transform: {},
  globalSetup: '<rootDir>/support/global-setup.js',
  globalTeardown: '<rootDir>/support/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
