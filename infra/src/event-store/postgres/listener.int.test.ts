import type pg from 'pg';
import { newTestEvent, uniqueStreamId } from '../test-support';
import { PostgresEventStore } from './postgres-event-store';
import { connectTestAdmin, countSessions, dropSchemasWithPrefix, namedTestConnection, uniqueSchema } from './test-database';

// The store's LISTEN connection wakes caught-up subscriptions when events are appended.
const SCHEMA_PREFIX = 'test_listener_';
const LISTENING = "query like 'listen %'";
/** Longer than any test here: an event that arrives came through a notification, not a poll. */
const POLL_MS = 120_000;
/** A liveness bound for things that take milliseconds, not a speed gate. */
const WAIT_MS_MAX = 10_000;

let admin: pg.Client;
beforeAll(async () => (admin = await connectTestAdmin()));
afterAll(() => Promise.all([admin.end(), dropSchemasWithPrefix(SCHEMA_PREFIX)]));

async function until(condition: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function listenerPid(applicationName: string): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = $1 and ${LISTENING}`, [applicationName]);
  return rows.length === 1 ? (rows[0]?.pid ?? null) : null;
}

describe('the PostgreSQL store’s LISTEN connection', () => {
  it('close() ends every session of the store, the LISTEN connection included', async () => {
    const { connectionString, applicationName } = namedTestConnection('listener');
    const store = await PostgresEventStore.connect({ connectionString, schema: uniqueSchema('listener'), subscriptionPollMs: POLL_MS });
    const next = store.subscribeToAll({ fromPosition: 'start' })[Symbol.asyncIterator]().next();
    expect(await until(async () => (await listenerPid(applicationName)) !== null)).toBe(true);

    await store.close();

    expect(await next).toEqual({ done: true, value: undefined });
    expect(await countSessions(admin, applicationName)).toBe(0);
  });

  it('comes back after the server ended it, and wakes the subscriptions again', async () => {
    const { connectionString, applicationName } = namedTestConnection('listener');
    const store = await PostgresEventStore.connect({ connectionString, schema: uniqueSchema('listener'), subscriptionPollMs: POLL_MS });
    try {
      const iterator = store.subscribeToAll({ fromPosition: 'start' })[Symbol.asyncIterator]();
      const first = iterator.next();
      expect(await until(async () => (await listenerPid(applicationName)) !== null)).toBe(true);
      const lostPid = await listenerPid(applicationName);
      await admin.query('select pg_terminate_backend($1)', [lostPid]);

      expect(await until(async () => ![null, lostPid].includes(await listenerPid(applicationName)))).toBe(true);
      const event = newTestEvent({ n: 1 }, 'test.listener_woke');
      await store.appendToStream(uniqueStreamId('listener'), [event], { expectedVersion: 'no_stream' });

      const delivered = await Promise.race([first, new Promise((resolve) => setTimeout(() => resolve('not delivered'), WAIT_MS_MAX))]);
      expect(delivered).toEqual({ done: false, value: expect.objectContaining({ eventId: event.eventId }) });
    } finally {
      await store.close();
    }
  });
});
