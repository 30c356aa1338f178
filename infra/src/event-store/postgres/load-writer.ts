/**
 * A writer process for crash tests: appends 3-event appends with many in flight and prints
 * one `ACK <position> <eventIds>` line per acknowledged append, until killed.
 * Usage: node load-writer.js <connectionString> <schema> <streamPrefix>
 */
import { newTestEvent } from '../test-support';
import { PostgresEventStore } from './postgres-event-store';

const APPENDS_IN_FLIGHT = 32;
const EVENTS_PER_APPEND = 3;

async function main(): Promise<void> {
  const [connectionString, schema, prefix] = process.argv.slice(2);
  if (!connectionString || !schema || !prefix) throw new Error('usage: load-writer <connectionString> <schema> <streamPrefix>');
  const store = await PostgresEventStore.connect({ connectionString, schema });
  process.stdout.write('READY\n');
  let sequence = 0;
  await Promise.all(
    Array.from({ length: APPENDS_IN_FLIGHT }, async (_, lane) => {
      for (;;) {
        const n = sequence++;
        const events = Array.from({ length: EVENTS_PER_APPEND }, (_, part) => newTestEvent({ n, part }));
        const result = await store.appendToStream(`${prefix}-${lane}-${n}`, events, { expectedVersion: 'no_stream' });
        process.stdout.write(`ACK ${result.position} ${events.map((e) => e.eventId).join(',')}\n`);
      }
    }),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
