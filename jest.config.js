/**
 * Two jest projects: `unit` needs no service (pure domain, handlers over fakes, CLI, infrastructure,
 * property suite) and runs alone with `npm run test:unit`; `integration` drives real local services
 * (DynamoDB Local, started once by its global setup and stopped by PID; fauxqs and the local SES
 * endpoint started by each suite). `npm test` runs both.
 *
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: 'node',
  // Transpile only: `npm run typecheck` type-checks everything once, faster than per test file.
  // CommonJS output turns the CLI's lazy `import()` of its commands into `require`, which jest's
  // module system runs without --experimental-vm-modules.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } }] },
  // Sources import './x.js' (NodeNext); map those relative imports back to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/setup-env.js'],
};

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.js',
      globalTeardown: '<rootDir>/test/integration/global-teardown.js',
      setupFilesAfterEnv: ['<rootDir>/test/integration/stop-leftovers.ts'],
    },
  ],
};
