// Unit tests of every package live beside the code they test: packages/<name>/src/<module>.test.ts
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/tools'],
  testMatch: ['**/src/**/*.test.ts', '**/tools/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json' }] },
  moduleNameMapper: {
    '^@distill/([^/]+)/config$': '<rootDir>/packages/$1/src/config.ts',
    '^@distill/([^/]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 120000,
};
