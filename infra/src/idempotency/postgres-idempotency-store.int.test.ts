import pg from 'pg';
import { testDatabaseUrl, uniqueSchema } from '../event-store/postgres/test-database';
import { PostgresIdempotencyStore } from './postgres-idempotency-store';

describe('PostgresIdempotencyStore: concurrent calls are group-committed', () => {
  const schema = uniqueSchema('idempotency');
  let store: PostgresIdempotencyStore;

  beforeAll(async () => {
    store = await PostgresIdempotencyStore.connect({ connectionString: testDatabaseUrl(), schema });
  });

  afterAll(async () => {
    await store.close();
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it('claims each new key once, and reports a key repeated in the same group as in progress', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`);
    const results = await Promise.all([
      ...keys.map((key) => store.begin('user:a', key, `fp-${key}`)),
      store.begin('user:a', 'key-3', 'fp-key-3'),
      store.begin('user:a', 'key-5', 'other'),
      store.begin('user:b', 'key-3', 'fp-b'),
    ]);
    expect(results.slice(0, 40).every((result) => result.outcome === 'started')).toBe(true);
    expect(results[40]).toEqual({ outcome: 'in_progress', fingerprint: 'fp-key-3' });
    expect(results[41]).toEqual({ outcome: 'in_progress', fingerprint: 'fp-key-5' });
    expect(results[42]).toEqual({ outcome: 'started' });
  });

  it('stores concurrent completions and replays them; released keys may be claimed again', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.complete('user:a', `key-${index}`, { status: 201, headers: { etag: `"${index}"` }, body: { index } }),
      ),
    );
    await store.release('user:a', 'key-30');
    const [replayed, again, running, reused] = await Promise.all([
      store.begin('user:a', 'key-7', 'fp-key-7'),
      store.begin('user:a', 'key-30', 'fp-new'),
      store.begin('user:a', 'key-31', 'fp-key-31'),
      store.begin('user:a', 'key-8', 'different'),
    ]);
    expect(replayed).toEqual({ outcome: 'completed', fingerprint: 'fp-key-7', response: { status: 201, headers: { etag: '"7"' }, body: { index: 7 } } });
    expect(again).toEqual({ outcome: 'started' });
    expect(running).toEqual({ outcome: 'in_progress', fingerprint: 'fp-key-31' });
    expect(reused).toMatchObject({ outcome: 'completed', fingerprint: 'fp-key-8' });
  });
});
