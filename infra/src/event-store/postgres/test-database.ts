import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server integration tests use: TEST_DATABASE_URL, else the machine's local server. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A connected client on the test server for checks beside the code under test; the caller ends it. */
export async function connectTestAdmin(): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  return admin;
}

/** A schema name no other test run uses. */
export function uniqueSchema(purpose: string): string {
  return `test_${purpose}_${randomBytes(4).toString('hex')}`;
}

/** Drops every schema whose name starts with `prefix`: what a test created, rebuilt table sets and replays included. */
export async function dropSchemasWithPrefix(prefix: string, connectionString = testDatabaseUrl()): Promise<void> {
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ nspname: string }>(`select nspname from pg_namespace where starts_with(nspname, $1)`, [prefix]);
    for (const row of rows) await admin.query(`drop schema if exists "${row.nspname}" cascade`);
  } finally {
    await admin.end();
  }
}

/** The test server's connection string with an application name of its own, to find its sessions in pg_stat_activity. */
export function namedTestConnection(purpose: string): { connectionString: string; applicationName: string } {
  const applicationName = `test_${purpose}_${randomBytes(4).toString('hex')}`;
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('application_name', applicationName);
  return { connectionString: url.toString(), applicationName };
}

/** How many sessions of the application are connected; `where` narrows them (e.g. `query like 'listen %'`). */
export async function countSessions(admin: pg.Client, applicationName: string, where = 'true'): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = $1 and (${where})`, [applicationName]);
  return rows[0]?.n ?? -1;
}
