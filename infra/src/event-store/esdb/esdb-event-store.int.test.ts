import { describeEventStoreContract } from '../event-store.contract';
import { EsdbEventStore } from './esdb-event-store';

// e.g. ESDB_URL=esdb://localhost:2113?tls=false with `docker compose up -d --wait eventstore`.
const connectionString = process.env.ESDB_URL;

describeEventStoreContract(
  'EventStoreDB',
  async () => ({
    // Every connect() is a store with its own client: several writers, one log.
    connect: () => EsdbEventStore.connect({ connectionString: connectionString as string }),
    // Every case writes to streams of its own unique names, so there is nothing to clean up.
    dispose: async () => undefined,
  }),
  {
    skipReason: connectionString
      ? undefined
      : 'ESDB_URL is not set (EventStoreDB cannot run on this machine; run .github/workflows/integration.yml)',
    noSkipRuns: Number(process.env.NO_SKIP_RUNS ?? 2),
  },
);
