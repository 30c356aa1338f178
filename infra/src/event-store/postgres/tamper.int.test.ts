import pg from 'pg';
import { verifyEventLog } from '../verify-log';
import { newTestEvent, uniqueStreamId } from '../test-support';
import { PostgresEventStore } from './postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from './test-database';

const connectionString = testDatabaseUrl();

describe('append-only log and hash chain verification (PostgreSQL)', () => {
  let admin: pg.Client;
  let store: PostgresEventStore;
  let schema: string;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
  });

  beforeEach(async () => {
    schema = uniqueSchema('tamper');
    store = await PostgresEventStore.connect({ connectionString, schema });
    for (let i = 0; i < 10; i++) {
      await store.appendToStream(uniqueStreamId(), [newTestEvent({ i, a: 1 }), newTestEvent({ i, a: 2 })], { expectedVersion: 'no_stream' });
    }
  });
  afterEach(async () => {
    await store.close();
    await admin.query(`drop schema "${schema}" cascade`);
  });

  /** What an attacker with database superuser rights does: switch the guard off, then edit. */
  async function tamper(sql: string): Promise<void> {
    await admin.query(`alter table "${schema}".events disable trigger events_append_only`);
    await admin.query(sql.replaceAll('$schema', `"${schema}"`));
    await admin.query(`alter table "${schema}".events enable trigger events_append_only`);
  }

  const verify = async () => verifyEventLog(store, { head: await store.readHead() });

  it('verifies an untouched log', async () => {
    const result = await verify();
    expect(result.firstBreak).toBeNull();
    expect(result.eventsChecked).toBe(20);
    expect(result.headPosition).toBe(20n);
  });

  it.each(['update', 'delete', 'truncate'])('rejects %s on the events table', async (operation) => {
    const sql = {
      update: `update "${schema}".events set type = 'test.changed' where global_position = 1`,
      delete: `delete from "${schema}".events where global_position = 1`,
      truncate: `truncate "${schema}".events`,
    }[operation] as string;
    await expect(admin.query(sql)).rejects.toMatchObject({ code: '23001' });
  });

  it('names the position of an edited event', async () => {
    await tamper(`update $schema.events set data = jsonb_set(data, '{a}', '99') where global_position = 7`);
    expect((await verify()).firstBreak).toMatchObject({ kind: 'hash_mismatch', position: 7n });
  });

  it('names the position after a deleted event', async () => {
    await tamper(`delete from $schema.events where global_position = 5`);
    expect((await verify()).firstBreak).toMatchObject({ kind: 'prev_hash_mismatch', position: 6n });
  });

  it('names the position of swapped events', async () => {
    await tamper(`
      create temp table swap as select * from $schema.events where global_position in (3, 4);
      delete from $schema.events where global_position in (3, 4);
      insert into $schema.events select 7 - global_position, event_id, stream_id, stream_version, type, schema_version,
        data, metadata, recorded_at, prev_hash, hash from swap;
      drop table swap;`);
    expect((await verify()).firstBreak).toMatchObject({ kind: 'prev_hash_mismatch', position: 3n });
  });

  it('detects a cut-off tail against the recorded chain head', async () => {
    await tamper(`delete from $schema.events where global_position > 18`);
    expect((await verify()).firstBreak).toMatchObject({ kind: 'head_mismatch', position: 20n });
  });

  it('detects an edited hash even when the content is consistent with it', async () => {
    await tamper(`update $schema.events set hash = repeat('a', 64) where global_position = 2`);
    expect((await verify()).firstBreak).toMatchObject({ kind: 'hash_mismatch', position: 2n });
  });
});
