// Unit tests of every package live beside the code they test: packages/<name>/src/<module>.test.ts
module.exports = {
  testEnvironment: '<rootDir>/tools/jest-environment.js',
  roots: ['<rootDir>/packages', '<rootDir>/pipelines'],
  testMatch: ['**/src/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json' }] },
  moduleNameMapper: {
    '^@distill/([^/]+)/config$': '<rootDir>/packages/$1/src/config.ts',
    '^@distill/([^/]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  reporters: ['default', '<rootDir>/tools/jest-summary-reporter.js'],
  testTimeout: 120000,
};
