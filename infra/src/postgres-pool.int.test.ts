import type pg from 'pg';
import { connectTestAdmin, countSessions, namedTestConnection } from './event-store/postgres/test-database';
import { closePool, openPool } from './postgres-pool';

let admin: pg.Client;
beforeAll(async () => (admin = await connectTestAdmin()));
afterAll(() => admin.end());

describe('openPool and closePool', () => {
  it('closePool resolves only once every session of the pool has ended', async () => {
    const { connectionString, applicationName } = namedTestConnection('pool');
    const pool = openPool({ connectionString, max: 4 });
    // Four at once: the pool opens four connections.
    await Promise.all([1, 2, 3, 4].map(() => pool.query('select pg_sleep(0.05)')));
    expect(await countSessions(admin, applicationName)).toBe(4);

    await closePool(pool);

    expect(await countSessions(admin, applicationName)).toBe(0);
  });

  it('a pool whose sessions the server terminates answers the next query on a new connection', async () => {
    const { connectionString, applicationName } = namedTestConnection('pool');
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
