import { randomUUID } from 'node:crypto';
import { InMemoryKafka, KafkaRelay, kafkaTopics, type InMemoryConsumer, type RelayCheckpointStore } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';
import { accountBalancesProjection } from '../ledger/account-balances';
import { createProjectionTestContext, fiscalYearStream, postedEvent, type ProjectionTestContext } from '../test-support';
import { createTableSet, readActiveTableSet, readCheckpoint, type TableSet } from './control';
import { KafkaProjectionSource, kafkaConsumerGroupId, migrateKafkaProjectionSource, readStoredOffsets } from './kafka-source';
import type { Projection } from './projection';
import { tableChecksum } from './rebuild';
import { ProjectionRunner } from './runner';

/*
 * The projection source against the in-memory Kafka stand-in and a real PostgreSQL. A unit
 * test of the source's logic (offsets, dedup, rebalances), not proof that it works with Kafka.
 */

let context: ProjectionTestContext;
beforeAll(async () => {
  context = await createProjectionTestContext('kafkasrc');
  await migrateKafkaProjectionSource(context.connectionString, context.controlSchema);
});
afterAll(async () => {
  await context.dispose();
});

class MemoryCheckpoints implements RelayCheckpointStore {
  position = 0n;
  async load(): Promise<bigint> {
    return this.position;
  }
  async save(position: bigint): Promise<void> {
    this.position = position;
  }
}

function identityEvent(index: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'identity.user_registered',
    schemaVersion: 1,
    data: { index },
    metadata: { actor: { userId: 'admin', role: 'admin' }, correlationId: randomUUID(), causationId: null, occurredAt: new Date().toISOString(), requestId: null },
  };
}

/** A fresh set of topics, a relay into them, and projections that are new to the control schema. */
async function fixture(company: string, postings: number) {
  const kafka = new InMemoryKafka(3);
  const topicPrefix = `t${company}`;
  for (const topic of kafkaTopics(topicPrefix)) kafka.createTopic(topic);
  for (let index = 0; index < postings; index += 1) {
    const year = 2025 + (index % 3);
    const posting = postedEvent({ companyId: company, voucherNumber: index + 1, postingDate: `${year}-04-0${1 + (index % 9)}`, lines: [['1200', 'debit', String(10 + index)], ['8400', 'credit', String(10 + index)]] });
    await context.store.appendToStream(fiscalYearStream(company, year), [posting], { expectedVersion: 'any' });
    if (index % 4 === 0) await context.store.appendToStream(`user-${company}-${index}`, [identityEvent(index)], { expectedVersion: 'any' });
  }
  const relay = new KafkaRelay({ store: context.store, producer: kafka.producer(), checkpoints: new MemoryCheckpoints(), topicPrefix });
  await relay.catchUp();
  return { kafka, topics: kafkaTopics(topicPrefix) };
}

/** A projection of its own per test (the control schema is shared), applying like account_balances. */
function balancesNamed(name: string): Projection {
  return { ...accountBalancesProjection, name };
}

async function startSource(projection: Projection, consumer: InMemoryConsumer, topics: string[]): Promise<{ source: KafkaProjectionSource; tableSet: TableSet }> {
  const source = new KafkaProjectionSource({ db: context.db, controlSchema: context.controlSchema, projection, consumer, topics, batchSizeMax: 4 });
  source.start();
  await source.started();
  const tableSet = await readActiveTableSet(context.db, context.controlSchema, projection.name);
  if (tableSet === null) throw new Error('no active table set');
  return { source, tableSet };
}

async function checksum(tableSet: TableSet): Promise<{ rows: number; checksum: string }> {
  return tableChecksum(context.db, tableSet.schema, 'account_balances_daily');
}

/** The expected read model: the same projection fed from the event store. */
async function eventStoreChecksum(projection: Projection): Promise<{ rows: number; checksum: string }> {
  const tableSet = await createTableSet(context.db, context.controlSchema, projection, false);
  await new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection }).catchUp(tableSet, { mode: 'rebuild' });
  return checksum(tableSet);
}

/**
 * The event store is shared by the tests of this file, so a test's projection only equals the
 * event-store build when fed the whole log: these tests relay the whole log into their topics.
 */
describe('Kafka projection source (in-memory stand-in for Kafka, real PostgreSQL)', () => {
  it('uses one consumer group per projection version', () => {
    expect(kafkaConsumerGroupId({ name: 'account_balances', version: 3 })).toBe('neuroerp.projection.account_balances.v3');
  });

  it('applies every partition, stores offsets, and the checkpoint reaches the head though partitions interleave', async () => {
    const { kafka, topics } = await fixture('src1', 20);
    const projection = balancesNamed('kafka_src_all');
    const consumer = kafka.consumer();
    const { source, tableSet } = await startSource(projection, consumer, topics);
    consumer.rebalance();
    await consumer.drain();
    expect((await readCheckpoint(context.db, context.controlSchema, tableSet)).position).toBe(await context.headPosition());
    const offsets = await readStoredOffsets(context.db, context.controlSchema, tableSet.schema);
    for (const topic of topics) {
      kafka.partitions(topic).forEach((log, partition) => {
        if (log.length > 0) expect(offsets.get(`${topic}/${partition}`)).toBe(BigInt(log.length));
      });
    }
    // What Kafka was told is never ahead of PostgreSQL.
    for (const commit of consumer.commits) expect(BigInt(commit.offset)).toBeLessThanOrEqual(offsets.get(`${commit.topic}/${commit.partition}`) ?? -1n);
    expect(await checksum(tableSet)).toEqual(await eventStoreChecksum(projection));
    await source.stop();
  });

  it('drops duplicates by (stream id, stream version): redelivered copies at new offsets change nothing', async () => {
    const { kafka, topics } = await fixture('src2', 12);
    const projection = balancesNamed('kafka_src_dup');
    const consumer = kafka.consumer();
    const { source, tableSet } = await startSource(projection, consumer, topics);
    consumer.rebalance();
    await consumer.drain();
    const before = await checksum(tableSet);
    const ledgerTopic = topics[0] as string;
    const [partition, log] = [...kafka.partitions(ledgerTopic).entries()].find(([, messages]) => messages.length > 1) ?? [0, []];
    const originals = log.length;
    expect(originals).toBeGreaterThan(1);
    for (let offset = 0; offset < originals; offset += 1) kafka.duplicate(ledgerTopic, partition, offset);
    await consumer.drain();
    expect(await checksum(tableSet)).toEqual(before);
    // The copies were read (the offset moved over them) and dropped.
    expect((await readStoredOffsets(context.db, context.controlSchema, tableSet.schema)).get(`${ledgerTopic}/${partition}`)).toBe(BigInt(2 * originals));
    expect(await checksum(tableSet)).toEqual(await eventStoreChecksum(projection));
    await source.stop();
  });

  it('stores the offsets in the read-model transaction: a failing commit keeps neither rows nor offsets', async () => {
    const { kafka, topics } = await fixture('src3', 6);
    // A probe whose rows are checked only at commit (deferred unique constraint): the second
    // event of a stream makes the commit fail after the savepoints succeeded.
    const probe: Projection = {
      name: 'kafka_src_atomic',
      version: 1,
      handles: ['ledger.transaction_posted'],
      tables: [{ name: 'probe', orderBy: ['position'] }],
      async createTables(tx, schema) {
        await tx.raw(`create table "${schema}".probe (position bigint primary key, stream_id text not null, constraint one_per_stream unique (stream_id) deferrable initially deferred)`);
      },
      async apply(events, { tx, schema }) {
        for (const event of events) await tx.raw(`insert into "${schema}".probe (position, stream_id) values (?, ?)`, [event.globalPosition.toString(), event.streamId]);
      },
    };
    const consumer = kafka.consumer();
    const { source, tableSet } = await startSource(probe, consumer, topics);
    const ledgerTopic = topics[0] as string;
    const [partition, log] = [...kafka.partitions(ledgerTopic).entries()].find(([, messages]) => messages.length > 1) ?? [0, []];
    consumer.rebalance({ [ledgerTopic]: [partition] });
    await expect(consumer.poll()).rejects.toThrow(/one_per_stream/);
    const rows = await context.db.raw(`select count(*)::int as n from "${tableSet.schema}".probe`);
    expect((rows.rows as { n: number }[])[0]?.n).toBe(0);
    expect(await readStoredOffsets(context.db, context.controlSchema, tableSet.schema)).toEqual(new Map());
    const versions = await context.db.raw(`select count(*)::int as n from "${context.controlSchema}".projection_kafka_streams where schema_name = ?`, [tableSet.schema]);
    expect((versions.rows as { n: number }[])[0]?.n).toBe(0);
    expect((await readCheckpoint(context.db, context.controlSchema, tableSet)).position).toBe(0n);
    // One event alone commits: rows and offset move together.
    const first = await source.applyChunk(ledgerTopic, partition, [{ ...(log[0] as { key: Buffer; value: Buffer; headers: Record<string, Buffer>; offset: string }) }]);
    expect(first).toMatchObject({ received: 1, applied: 1, nextOffset: 1n });
    const after = await context.db.raw(`select count(*)::int as n from "${tableSet.schema}".probe`);
    expect((after.rows as { n: number }[])[0]?.n).toBe(1);
    expect((await readStoredOffsets(context.db, context.controlSchema, tableSet.schema)).get(`${ledgerTopic}/${partition}`)).toBe(1n);
    await source.stop();
  });

  it('re-seeks to the offsets stored in PostgreSQL after a rebalance, so partitions move between members safely', async () => {
    const { kafka, topics } = await fixture('src4', 24);
    const projection = balancesNamed('kafka_src_rebalance');
    const first = kafka.consumer();
    const second = kafka.consumer();
    const a = await startSource(projection, first, topics);
    const b = await startSource(projection, second, topics);
    expect(b.tableSet).toEqual(a.tableSet);
    const all = topics.map((topic) => ({ topic, partitions: kafka.partitions(topic).map((_log, index) => index) }));
    // Member 1 owns the even partitions, member 2 the odd ones; each consumes one batch.
    first.rebalance(Object.fromEntries(all.map(({ topic, partitions }) => [topic, partitions.filter((partition) => partition % 2 === 0)])));
    second.rebalance(Object.fromEntries(all.map(({ topic, partitions }) => [topic, partitions.filter((partition) => partition % 2 === 1)])));
    await first.poll();
    await second.poll();
    const stored = await readStoredOffsets(context.db, context.controlSchema, a.tableSet.schema);
    expect(stored.size).toBeGreaterThan(0);

    // Rebalance: member 1 gets everything. It must continue where member 2 stopped, from PostgreSQL.
    first.rebalance();
    await new Promise((resolve) => setImmediate(resolve));
    await first.drain();
    for (const [key, offset] of stored) {
      const [topic, partition] = key.split('/') as [string, string];
      const seek = [...first.seeks].reverse().find((item) => item.topic === topic && item.partition === Number(partition));
      expect(seek?.offset).toBe(offset.toString());
    }
    expect((await readCheckpoint(context.db, context.controlSchema, a.tableSet)).position).toBe(await context.headPosition());
    expect(await checksum(a.tableSet)).toEqual(await eventStoreChecksum(projection));
    await a.source.stop();
    await b.source.stop();
  });

  it('a restarted source seeks to its stored offsets and applies nothing twice', async () => {
    const { kafka, topics } = await fixture('src5', 10);
    const projection = balancesNamed('kafka_src_restart');
    const consumer = kafka.consumer();
    const { source, tableSet } = await startSource(projection, consumer, topics);
    consumer.rebalance();
    await consumer.drain();
    await source.stop();
    const before = await checksum(tableSet);
    const stored = await readStoredOffsets(context.db, context.controlSchema, tableSet.schema);

    const restartedConsumer = kafka.consumer();
    const restarted = await startSource(projection, restartedConsumer, topics);
    restartedConsumer.rebalance();
    await new Promise((resolve) => setImmediate(resolve));
    await restartedConsumer.drain();
    expect(restartedConsumer.seeks.filter((seek) => stored.has(`${seek.topic}/${seek.partition}`)).every((seek) => BigInt(seek.offset) === stored.get(`${seek.topic}/${seek.partition}`))).toBe(true);
    expect(await checksum(tableSet)).toEqual(before);
    await restarted.source.stop();
  });

  it('keeps the checkpoint at the contiguous prefix while a partition lags, and moves it once the partition is applied', async () => {
    const { kafka, topics } = await fixture('src6', 15);
    const projection = balancesNamed('kafka_src_prefix');
    const consumer = kafka.consumer();
    const { source, tableSet } = await startSource(projection, consumer, topics);
    const ledgerTopic = topics[0] as string;
    const lagging = kafka.partitions(ledgerTopic).findIndex((log) => log.length > 0);
    const assignment = Object.fromEntries(topics.map((topic) => [topic, kafka.partitions(topic).map((_log, index) => index).filter((index) => !(topic === ledgerTopic && index === lagging))]));
    consumer.rebalance(assignment);
    await new Promise((resolve) => setImmediate(resolve));
    await consumer.drain();
    const firstWithheld = BigInt(JSON.parse((kafka.partitions(ledgerTopic)[lagging]?.[0]?.value as Buffer).toString()).globalPosition as string);
    // The store's positions of this test start after the earlier tests' events; all before them come from the other partitions.
    const position = (await readCheckpoint(context.db, context.controlSchema, tableSet)).position;
    expect(position).toBeLessThan(firstWithheld);
    consumer.rebalance();
    await new Promise((resolve) => setImmediate(resolve));
    await consumer.drain();
    expect((await readCheckpoint(context.db, context.controlSchema, tableSet)).position).toBe(await context.headPosition());
    const pending = await context.db.raw(`select count(*)::int as n from "${context.controlSchema}".projection_kafka_pending where schema_name = ?`, [tableSet.schema]);
    expect((pending.rows as { n: number }[])[0]?.n).toBe(0);
    expect(await checksum(tableSet)).toEqual(await eventStoreChecksum(projection));
    await source.stop();
  });
});
