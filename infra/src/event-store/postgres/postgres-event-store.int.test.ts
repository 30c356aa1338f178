import pg from 'pg';
import { describeEventStoreContract } from '../event-store.contract';
import { PostgresEventStore } from './postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from './test-database';

describeEventStoreContract(
  'PostgreSQL',
  async () => {
    const connectionString = testDatabaseUrl();
    const schema = uniqueSchema('contract');
    return {
      connect: () => PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 200 }),
      dispose: async () => {
        const client = new pg.Client({ connectionString });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      },
    };
  },
  { noSkipRuns: Number(process.env.NO_SKIP_RUNS ?? 2) },
);
