import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from './event-store/postgres/postgres-event-store';
import { dropSchemasWithPrefix, testDatabaseUrl, uniqueSchema } from './event-store/postgres/test-database';
import { closePool, openPool } from './postgres-pool';

/** A connection string whose sessions carry a name of their own, to find them in pg_stat_activity. */
function namedConnection(): { connectionString: string; applicationName: string } {
  const applicationName = `pool_test_${randomBytes(4).toString('hex')}`;
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('application_name', applicationName);
  return { connectionString: url.toString(), applicationName };
}

let admin: pg.Client;
const SCHEMA_PREFIX = 'test_poolclose_';

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
});

afterAll(async () => {
  await admin.end();
  await dropSchemasWithPrefix(SCHEMA_PREFIX);
});

async function sessionsOf(applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [applicationName]);
  return rows[0]?.n ?? -1;
}

/** Whether a session of the application waits on LISTEN within a second. */
async function listenerStarted(applicationName: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { rows } = await admin.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = $1 and query like 'listen %'",
      [applicationName],
    );
    if (rows[0]?.n === 1) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('openPool and closePool', () => {
  it('closePool resolves only once every session of the pool has ended', async () => {
    const { connectionString, applicationName } = namedConnection();
    const pool = openPool({ connectionString, max: 4 });
    // Four at once: the pool opens four connections.
    await Promise.all([1, 2, 3, 4].map(() => pool.query('select pg_sleep(0.05)')));
    expect(await sessionsOf(applicationName)).toBe(4);

    await closePool(pool);

    expect(await sessionsOf(applicationName)).toBe(0);
  });

  it('a pool whose sessions the server terminates answers the next query on a new connection', async () => {
    const { connectionString, applicationName } = namedConnection();
    const pool = openPool({ connectionString, max: 2 });
    try {
      await Promise.all([1, 2].map(() => pool.query('select pg_sleep(0.05)')));
      const { rows } = await admin.query<{ n: number }>(
        'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1) as terminated',
        [applicationName],
      );
      expect(rows[0]?.n).toBe(2);
      // The idle clients' 'error' events arrive; unhandled they would end this process.
      await new Promise((resolve) => setTimeout(resolve, 100));

      const answer = await pool.query<{ one: number }>('select 1 as one');

      expect(answer.rows).toEqual([{ one: 1 }]);
    } finally {
      await closePool(pool);
    }
  });
});

describe('PostgresEventStore.close', () => {
  it('ends every session, the LISTEN connection of its subscriptions included', async () => {
    const { connectionString, applicationName } = namedConnection();
    const store = await PostgresEventStore.connect({ connectionString, schema: uniqueSchema('poolclose'), subscriptionPollMs: 50 });
    const subscription = store.subscribeToAll({ fromPosition: 'start' });
    const iterator = subscription[Symbol.asyncIterator]();
    const next = iterator.next();
    expect(await listenerStarted(applicationName)).toBe(true);

    await store.close();

    expect(await next).toEqual({ done: true, value: undefined });
    expect(await sessionsOf(applicationName)).toBe(0);
  });
});
