// Test tiers are selected by file suffix (STYLE.md): unit, int, api, e2e.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json', diagnostics: false }] };
const moduleNameMapper = { '^@neuroerp/([a-z-]+)$': '<rootDir>/$1/src' };
const base = { transform, moduleNameMapper, testEnvironment: 'node', testPathIgnorePatterns: ['/node_modules/', '/dist/'] };
const tier = (name) => ({ ...base, displayName: name, testMatch: [`<rootDir>/*/src/**/*.${name}.test.ts`] });

/** @type {import('jest').Config} */
module.exports = {
  projects: [tier('unit'), tier('int'), tier('api'), tier('e2e')],
  testTimeout: 120_000,
};
