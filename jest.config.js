/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only: `npm run typecheck` type-checks everything once, faster than per test file.
  // CommonJS output turns the CLI's lazy `import()` of its commands into `require`, which jest's
  // module system runs without --experimental-vm-modules.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } }] },
  // Sources import './x.js' (NodeNext); map those relative imports back to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/setup-env.js'],
  // Real local services for the integration tests: DynamoDB Local, started once, stopped by PID.
  globalSetup: '<rootDir>/test/integration/global-setup.js',
  globalTeardown: '<rootDir>/test/integration/global-teardown.js',
  testTimeout: 60_000,
};
