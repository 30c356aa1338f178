import { randomBytes } from 'node:crypto';

/** The PostgreSQL server integration tests use: TEST_DATABASE_URL, else the machine's local server. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A schema name no other test run uses. */
export function uniqueSchema(purpose: string): string {
  return `test_${purpose}_${randomBytes(4).toString('hex')}`;
}
