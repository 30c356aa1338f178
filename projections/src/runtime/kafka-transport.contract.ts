import { randomUUID } from 'node:crypto';
import {
  KafkaRelay,
  migrateRelayCheckpoints,
  PostgresRelayCheckpointStore,
  kafkaTopics,
  type KafkaConsumerLike,
  type KafkaProducerLike,
} from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';
import { accountBalancesProjection } from '../ledger/account-balances';
import { createProjectionTestContext, fiscalYearStream, postedEvent, type ProjectionTestContext } from '../test-support';
import { createTableSet, readActiveTableSet, readCheckpoint, type TableSet } from './control';
import { KafkaProjectionSource, kafkaConsumerGroupId, migrateKafkaProjectionSource, readStoredOffsets } from './kafka-source';
import type { Projection } from './projection';
import { tableChecksum } from './rebuild';
import { ProjectionRunner } from './runner';

/** How a contract run reaches the transport under test: its own, existing topics under `topicPrefix`. */
export interface KafkaTransportUnderTest {
  topicPrefix: string;
  producer(): KafkaProducerLike;
  consumer(groupId: string): KafkaConsumerLike;
  /** For a stand-in that does not fetch on its own: deliver what is there. A real broker needs none. */
  pump?(): Promise<void>;
  dispose(): Promise<void>;
}

export interface KafkaTransportContractOptions {
  /** When set, the transport cannot be reached here: every case is reported as skipped with this reason. */
  skipReason?: string;
}

/** Waiting for a real consumer group to join and catch up takes seconds, not milliseconds. */
const CONTRACT_WAIT_MS_MAX = 60_000;

/** A projection that records the order in which it was given each event, to check per-stream order. */
export const applyOrderProbeProjection: Projection = {
  name: 'kafka_order_probe',
  version: 1,
  handles: ['*'],
  tables: [{ name: 'applied', orderBy: ['sequence'] }],
  async createTables(tx, schema) {
    await tx.raw(`create table "${schema}".applied (sequence bigserial primary key, stream_id text not null, stream_version integer not null, position bigint not null unique)`);
  },
  async apply(events, { tx, schema }) {
    for (const event of events) {
      await tx.raw(`insert into "${schema}".applied (stream_id, stream_version, position) values (?, ?, ?)`, [event.streamId, event.streamVersion, event.globalPosition.toString()]);
    }
  },
};

function otherContextEvent(type: string, index: number): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { index },
    metadata: { actor: { userId: 'contract', role: 'admin' }, correlationId: randomUUID(), causationId: null, occurredAt: new Date().toISOString(), requestId: null },
  };
}

/** Appends postings to several fiscal-year streams and events of the other contexts, interleaved. */
async function appendMixedLog(context: ProjectionTestContext, company: string, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    for (const year of [2025, 2026, 2027]) {
      const posting = postedEvent({ companyId: company, voucherNumber: round * 10 + (year - 2024), postingDate: `${year}-03-0${1 + (round % 9)}`, lines: [['1200', 'debit', String(100 + round)], ['8400', 'credit', String(100 + round)]] });
      await context.store.appendToStream(fiscalYearStream(company, year), [posting], { expectedVersion: 'any' });
    }
    await context.store.appendToStream(`documents-${company}-${round % 3}`, [otherContextEvent('documents.document_created', round)], { expectedVersion: 'any' });
    await context.store.appendToStream(`workflow-${company}-${round % 2}`, [otherContextEvent('workflow.started', round)], { expectedVersion: 'any' });
    await context.store.appendToStream(`user-${company}-${round % 4}`, [otherContextEvent('identity.user_registered', round)], { expectedVersion: 'any' });
  }
}

async function waitFor(what: string, condition: () => Promise<boolean>, pump?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + CONTRACT_WAIT_MS_MAX;
  for (;;) {
    await pump?.();
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The contract of the Kafka transport (STYLE.md: one suite per port): the relay produces the
 * store's log, the projection source applies it, and the read model equals one fed from the
 * event store; redelivery changes nothing; each stream's events are applied in order.
 */
export function describeKafkaTransportContract(transportName: string, setup: () => Promise<KafkaTransportUnderTest>, options: KafkaTransportContractOptions = {}): void {
  describe(`Kafka transport contract: ${transportName}`, () => {
    if (options.skipReason) {
      // Visible in the test report and in the log, never a silent skip.
      console.warn(`Kafka transport contract for ${transportName} skipped: ${options.skipReason}`);
      it.skip(`skipped: ${options.skipReason}`, () => undefined);
      return;
    }

    let context: ProjectionTestContext;
    let transport: KafkaTransportUnderTest;
    let relaySchema: string;
    const sources: KafkaProjectionSource[] = [];
    const company = `kc${randomUUID().slice(0, 6)}`;

    beforeAll(async () => {
      context = await createProjectionTestContext('kafkact');
      await migrateKafkaProjectionSource(context.connectionString, context.controlSchema);
      relaySchema = `${context.schema}_relay`;
      await migrateRelayCheckpoints(context.connectionString, relaySchema);
      transport = await setup();
    });
    afterAll(async () => {
      for (const source of sources) await source.stop();
      await transport?.dispose();
      await context?.dispose();
    });

    async function relayAll(relayName: string): Promise<bigint> {
      const checkpoints = new PostgresRelayCheckpointStore(context.connectionString, relaySchema, relayName);
      const producer = transport.producer();
      await producer.connect();
      try {
        return await new KafkaRelay({ store: context.store, producer, checkpoints, topicPrefix: transport.topicPrefix, batchSizeMax: 7 }).catchUp();
      } finally {
        await producer.disconnect();
        await checkpoints.close();
      }
    }

    async function startSource(projection: Projection): Promise<TableSet> {
      const source = new KafkaProjectionSource({
        db: context.db,
        controlSchema: context.controlSchema,
        projection,
        consumer: transport.consumer(`${kafkaConsumerGroupId(projection)}.${context.schema}`),
        topics: kafkaTopics(transport.topicPrefix),
        batchSizeMax: 5,
      });
      sources.push(source);
      source.start();
      await source.started();
      const tableSet = await readActiveTableSet(context.db, context.controlSchema, projection.name);
      if (tableSet === null) throw new Error(`${projection.name}: no active table set after start`);
      return tableSet;
    }

    async function storedOffsetSum(tableSet: TableSet): Promise<bigint> {
      return [...(await readStoredOffsets(context.db, context.controlSchema, tableSet.schema)).values()].reduce((sum, offset) => sum + offset, 0n);
    }

    /** A build of `projection` fed from the event store (the runner's catch-up), for comparison. */
    async function eventStoreBuild(projection: Projection): Promise<TableSet> {
      const tableSet = await createTableSet(context.db, context.controlSchema, projection, false);
      await new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection }).catchUp(tableSet, { mode: 'rebuild' });
      return tableSet;
    }

    async function expectSameTables(projection: Projection, left: TableSet, right: TableSet): Promise<void> {
      for (const table of projection.tables) {
        expect(await tableChecksum(context.db, left.schema, table.name)).toEqual(await tableChecksum(context.db, right.schema, table.name));
      }
    }

    let balances: TableSet;
    let probe: TableSet;
    let produced = 0n;

    it('relay produces, the source applies, and the read model equals an event-store-fed build', async () => {
      await appendMixedLog(context, company, 8);
      const head = await context.headPosition();
      expect(await relayAll('first')).toBe(head);
      produced += head;
      balances = await startSource(accountBalancesProjection);
      probe = await startSource(applyOrderProbeProjection);
      await waitFor('the checkpoints to reach the head', async () =>
        (await readCheckpoint(context.db, context.controlSchema, balances)).position === head && (await readCheckpoint(context.db, context.controlSchema, probe)).position === head,
        transport.pump,
      );
      expect(await storedOffsetSum(balances)).toBe(produced);
      await expectSameTables(accountBalancesProjection, balances, await eventStoreBuild(accountBalancesProjection));
    });

    it('redelivery is harmless: a relay re-producing the whole log changes no read model', async () => {
      const before = await tableChecksum(context.db, balances.schema, 'account_balances_daily');
      // A second relay name starts from 0: every event arrives a second time, at new offsets.
      const previousHead = await context.headPosition();
      await relayAll('again');
      await appendMixedLog(context, company, 1);
      const head = await context.headPosition();
      // The new events are relayed by the first relay from its checkpoint. Positions are gapless (ADR 0002): head = events.
      expect(await relayAll('first')).toBe(head);
      produced += previousHead + (head - previousHead);
      await waitFor('every message to be consumed', async () => (await storedOffsetSum(balances)) === produced && (await storedOffsetSum(probe)) === produced, transport.pump);
      expect((await readCheckpoint(context.db, context.controlSchema, balances)).position).toBe(head);
      expect(await tableChecksum(context.db, balances.schema, 'account_balances_daily')).not.toEqual(before);
      await expectSameTables(accountBalancesProjection, balances, await eventStoreBuild(accountBalancesProjection));
      const applied = await context.db.raw(`select count(*)::int as n from "${probe.schema}".applied`);
      expect((applied.rows as { n: number }[])[0]?.n).toBe(Number(head));
    });

    it('keeps per-stream order: each stream is applied version by version, with no version skipped', async () => {
      const result = await context.db.raw(`select stream_id, array_agg(stream_version order by sequence) as versions from "${probe.schema}".applied group by stream_id`);
      const rows = result.rows as { stream_id: string; versions: number[] }[];
      expect(rows.length).toBeGreaterThan(5);
      for (const row of rows) expect(row.versions).toEqual(row.versions.map((_version, index) => index));
    });
  });
}
