import pg from 'pg';
import { verifyEventLog } from '../verify-log';
import { newTestEvent, uniqueStreamId } from '../test-support';
import { PostgresEventStore } from './postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from './test-database';

const connectionString = testDatabaseUrl();

describe('one-round-trip group commits and their fallback (PostgreSQL)', () => {
  const schema = uniqueSchema('planned');
  let first: PostgresEventStore;
  let second: PostgresEventStore;

  beforeAll(async () => {
    first = await PostgresEventStore.connect({ connectionString, schema });
    second = await PostgresEventStore.connect({ connectionString, schema });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    await admin.query(`drop schema "${schema}" cascade`);
    await admin.end();
  });

  it('uses one round trip once the process knows the head', async () => {
    const streamId = uniqueStreamId();
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'no_stream' });
    const before = first.commitStatistics();
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 0 });
    await first.appendToStream(uniqueStreamId(), [newTestEvent()], { expectedVersion: 'no_stream' });
    const after = first.commitStatistics();
    expect(after.planned - before.planned).toBe(2);
    expect(after.locked).toBe(before.locked);
  });

  it('falls back to the locking path when another process moved the head or a stream, and stays correct', async () => {
    const streamId = uniqueStreamId();
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'no_stream' });
    // The second store appends to the same stream: the first store's memory is now stale.
    await second.appendToStream(streamId, [newTestEvent()], { expectedVersion: 0 });
    const before = first.commitStatistics();
    // Stale memory says version 0; the truth is 1. Expecting 1 must succeed, expecting 0 must fail.
    await expect(first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 1 })).resolves.toMatchObject({ nextExpectedVersion: 2 });
    await expect(first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 1 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
    const after = first.commitStatistics();
    expect(after.locked).toBeGreaterThan(before.locked);
    const result = await verifyEventLog(first, { head: await first.readHead() });
    expect(result.firstBreak).toBeNull();
  });

  it('stops attempting one round trip while another process writes, and takes it up again once that process is quiet', async () => {
    const streamId = uniqueStreamId();
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'no_stream' });
    await second.appendToStream(uniqueStreamId(), [newTestEvent()], { expectedVersion: 'no_stream' });
    const counts = () => first.commitStatistics();
    const start = counts();
    // The head moved: the one-round-trip attempt is refused, the locking path commits, and sees another writer.
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 0 });
    expect(counts()).toEqual({ planned: start.planned, locked: start.locked + 1, plannedFallbacks: start.plannedFallbacks + 1 });
    // No doomed attempt queues for the lock now; this locked commit finds the head where the first store left it.
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 1 });
    expect(counts()).toEqual({ planned: start.planned, locked: start.locked + 2, plannedFallbacks: start.plannedFallbacks + 1 });
    // Nobody else wrote: back to one round trip.
    await first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 2 });
    expect(counts()).toEqual({ planned: start.planned + 1, locked: start.locked + 2, plannedFallbacks: start.plannedFallbacks + 1 });
  });

  it('treats a stream created elsewhere as existing, not as new', async () => {
    const streamId = uniqueStreamId();
    await second.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'no_stream' });
    await expect(first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'no_stream' })).rejects.toMatchObject({
      code: 'WRONG_EXPECTED_VERSION',
    });
    await expect(first.appendToStream(streamId, [newTestEvent()], { expectedVersion: 'any' })).resolves.toMatchObject({ nextExpectedVersion: 1 });
  });

  it('answers a retry of a committed append with the original result', async () => {
    const streamId = uniqueStreamId();
    const events = [newTestEvent(), newTestEvent()];
    const original = await first.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
    await expect(first.appendToStream(streamId, events, { expectedVersion: 'no_stream' })).resolves.toEqual(original);
    await expect(second.appendToStream(streamId, events, { expectedVersion: 'no_stream' })).resolves.toEqual(original);
  });
});
