import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import {
  fromKafkaMessage,
  kafkaTopics,
  migrateSchema,
  type KafkaConsumerLike,
  type KafkaEachBatchPayloadLike,
  type KafkaIncomingMessage,
  type SchemaMigration,
} from '@neuroerp/infra';
import type { RecordedEvent } from '@neuroerp/schemas';
import { countChange, insertDeadLetter, readActiveTableSet, readCheckpoint, resolveRunnableTableSet, writeCheckpoint, type TableSet } from './control';
import { silentLogger, type ProjectionLogger } from './logger';
import type { ProjectionMetrics } from './metrics';
import { assertProjection, handlesEvent, type Projection } from './projection';
import { PROJECTION_BATCH_SIZE_MAX, RUNNER_RETRY_DELAY_MS, type RunnerState } from './runner';

/**
 * Tables of the Kafka projection source, in the projection control schema, keyed by table set
 * (`schema_name`) so that every build has its own progress:
 * - `projection_kafka_offsets`: the next offset to read per (topic, partition);
 * - `projection_kafka_streams`: the highest stream version applied per stream (drops duplicates
 *   that the at-least-once relay produced at other offsets);
 * - `projection_kafka_pending`: events applied above the checkpoint position, with the position
 *   before them in the log, until the contiguous prefix reaches them (see `advanceCheckpoint`).
 */
const migrations: readonly SchemaMigration[] = [
  {
    name: '0001_projection_kafka_source',
    async up(db, schema) {
      await db.raw(`
        create table "${schema}".projection_kafka_offsets (
          schema_name text not null,
          topic text not null,
          partition integer not null,
          next_offset bigint not null,
          updated_at timestamptz not null default now(),
          primary key (schema_name, topic, partition)
        );
        create table "${schema}".projection_kafka_streams (
          schema_name text not null,
          stream_id text not null,
          stream_version integer not null,
          primary key (schema_name, stream_id)
        );
        create table "${schema}".projection_kafka_pending (
          schema_name text not null,
          position bigint not null,
          previous_position bigint,
          primary key (schema_name, position)
        );
        create index on "${schema}".projection_kafka_pending (schema_name, previous_position);
      `);
    },
  },
];

/** Creates or migrates the Kafka source's tables in the projection control schema (after `migrateProjectionControl`). */
export async function migrateKafkaProjectionSource(connectionString: string, controlSchema: string): Promise<void> {
  await migrateSchema(connectionString, controlSchema, migrations, 'knex_migrations_projection_kafka');
}

/** One consumer group per projection version: a new version reads its topics on its own, from the start. */
export function kafkaConsumerGroupId(projection: Pick<Projection, 'name' | 'version'>): string {
  return `neuroerp.projection.${projection.name}.v${projection.version}`;
}

/** Where a partition without a stored offset starts: offset 0; kafkajs resets an offset below the log start to the earliest (fromBeginning). */
const FIRST_OFFSET = '0';

export interface KafkaProjectionSourceOptions {
  db: Knex;
  controlSchema: string;
  projection: Projection;
  /** A consumer of `kafkaConsumerGroupId(projection)`, not yet connected. */
  consumer: KafkaConsumerLike;
  /** Default: the four context topics with prefix `neuroerp`. Every topic is read, so that the checkpoint position can move over all events. */
  topics?: readonly string[];
  batchSizeMax?: number;
  metrics?: ProjectionMetrics;
  logger?: ProjectionLogger;
  headPosition?: () => Promise<bigint>;
  retryDelayMs?: number;
}

/** Thrown inside a batch when a rebuild switched the active table set meanwhile. */
class TableSetSwitchedError extends Error {
  constructor() {
    super('the active table set changed');
  }
}

/** What one applied chunk did, for tests and logs. */
export interface KafkaChunkResult {
  /** Messages at or past the stored offset. */
  received: number;
  /** Events applied (or dead-lettered) after dropping duplicates. */
  applied: number;
  /** The offset stored for the partition: the next one to read. */
  nextOffset: bigint;
  /** The table set's checkpoint position after the chunk. */
  position: bigint;
}

/**
 * Feeds a projection's active table set from Kafka instead of the event store's subscription.
 * Each chunk of a partition is applied in ONE PostgreSQL transaction that also stores the
 * partition's next offset and the applied stream versions (exactly-once effect): it locks the
 * checkpoint row (as the runner does) and the offset row, drops messages below the stored
 * offset, events inside the checkpoint prefix and events whose (stream id, stream version) is
 * not above the highest applied one. Nothing is committed to Kafka that is not already in
 * PostgreSQL, and every partition assignment (start, rebalance, table set switch) seeks to
 * the offsets stored in PostgreSQL. Rebuilds do not use this: they read the event store.
 *
 * The checkpoint position stays a contiguous prefix of the global log: events arrive out of
 * global order across partitions, so each applied event is kept in `projection_kafka_pending`
 * with the position before it (the relay's `previous-position` header), and the checkpoint
 * moves along that chain. `waitForPosition`, the lag gauges and rebuild verification go on
 * reading the checkpoint as before.
 */
export class KafkaProjectionSource {
  readonly projection: Projection;
  state: RunnerState = 'starting';
  private readonly options: KafkaProjectionSourceOptions;
  private readonly topics: string[];
  private readonly batchSizeMax: number;
  private readonly logger: ProjectionLogger;
  private tableSet: TableSet | null = null;
  private assignment: { topic: string; partition: number }[] = [];
  /** The re-seek of the latest assignment; batches wait for it so that they start from PostgreSQL's offsets. */
  private seeking: Promise<void> = Promise.resolve();
  private stopping = false;
  private wake: AbortController | null = null;
  private startPromise: Promise<void> | null = null;

  constructor(options: KafkaProjectionSourceOptions) {
    assertProjection(options.projection);
    this.options = options;
    this.projection = options.projection;
    this.topics = [...(options.topics ?? kafkaTopics())];
    if (this.topics.length === 0) throw new Error(`${this.projection.name}: no Kafka topic to read`);
    this.batchSizeMax = options.batchSizeMax ?? PROJECTION_BATCH_SIZE_MAX;
    if (!(Number.isInteger(this.batchSizeMax) && this.batchSizeMax >= 1 && this.batchSizeMax <= PROJECTION_BATCH_SIZE_MAX)) {
      throw new Error(`batchSizeMax must be 1..${PROJECTION_BATCH_SIZE_MAX}, got ${this.batchSizeMax}`);
    }
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Starts in the background, as `ProjectionRunner.start()` does: waits until the projection's
   * version has a runnable table set (creating the first build if there is none), then joins the
   * consumer group and consumes. Connection failures are retried; `stop()` ends it.
   */
  start(): void {
    if (this.startPromise !== null) throw new Error(`${this.projection.name}: Kafka source already started`);
    this.startPromise = this.startConsuming();
  }

  /** Resolves once the consumer runs (or the source was stopped first). */
  async started(): Promise<void> {
    if (this.startPromise === null) throw new Error(`${this.projection.name}: Kafka source not started`);
    await this.startPromise;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    await this.startPromise;
    await this.options.consumer.stop();
    await this.options.consumer.disconnect();
    this.state = 'stopped';
  }

  private async startConsuming(): Promise<void> {
    const { consumer } = this.options;
    consumer.on('consumer.group_join', (event) => {
      this.assignment = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      this.seeking = this.reseek();
    });
    const retryDelayMs = this.options.retryDelayMs ?? RUNNER_RETRY_DELAY_MS;
    while (!this.stopping) {
      try {
        this.tableSet = await resolveRunnableTableSet(this.options.db, this.options.controlSchema, this.projection);
        if (this.tableSet === null) {
          if (this.state !== 'waiting_for_rebuild') {
            this.logger.warn({ projection: this.projection.name, version: this.projection.version }, 'the active table set has another version: waiting for the switch to this one (a newer version is built at start; else run `neuroerp projections rebuild`)');
          }
          this.state = 'waiting_for_rebuild';
          await this.pause(retryDelayMs);
          continue;
        }
        await consumer.connect();
        await consumer.subscribe({ topics: this.topics, fromBeginning: true });
        // autoCommit off: Kafka's committed offsets are only ever copies of what PostgreSQL holds.
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.eachBatch(payload) });
        this.state = 'running';
        return;
      } catch (error) {
        if (this.stopping) return;
        this.state = 'retrying';
        this.logger.error({ projection: this.projection.name, err: error }, 'Kafka projection source failed to start; retrying');
        await this.pause(retryDelayMs);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    this.wake = new AbortController();
    await sleep(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
    this.wake = null;
  }

  /** Seeks every assigned partition to the next offset stored with the current table set (offset 0 when none is stored). */
  private async reseek(): Promise<void> {
    const tableSet = this.tableSet;
    if (tableSet === null) return;
    const stored = await readStoredOffsets(this.options.db, this.options.controlSchema, tableSet.schema);
    for (const { topic, partition } of this.assignment) {
      this.options.consumer.seek({ topic, partition, offset: stored.get(`${topic}/${partition}`)?.toString() ?? FIRST_OFFSET });
    }
  }

  private async eachBatch(payload: KafkaEachBatchPayloadLike): Promise<void> {
    await this.seeking;
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += this.batchSizeMax) {
      // After a rebalance the batch belongs to the old assignment: the new owner starts from PostgreSQL.
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + this.batchSizeMax);
      let result: KafkaChunkResult;
      try {
        result = await this.applyChunk(batch.topic, batch.partition, chunk);
      } catch (error) {
        if (error instanceof TableSetSwitchedError) await this.switchTableSet();
        // kafkajs re-fetches from the last resolved offset; the stored offset drops what was applied.
        throw error;
      }
      const last = chunk[chunk.length - 1];
      if (last !== undefined) payload.resolveOffset(last.offset);
      // A copy for Kafka tooling (consumer lag); never ahead of PostgreSQL, which is the truth.
      await this.options.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: result.nextOffset.toString() }]);
      await payload.heartbeat();
      await this.updateLag(result.position);
    }
  }

  /** A rebuild switched the active table set: follow it (same version) or wait for one of this version. */
  private async switchTableSet(): Promise<void> {
    this.tableSet = await resolveRunnableTableSet(this.options.db, this.options.controlSchema, this.projection);
    this.state = this.tableSet === null ? 'waiting_for_rebuild' : 'running';
    this.logger.warn({ projection: this.projection.name, schema: this.tableSet?.schema ?? null }, 'the active table set changed; re-seeking to its stored offsets');
    this.seeking = this.reseek();
    await this.seeking;
  }

  /**
   * Applies consecutive messages of one partition to the current table set in one transaction
   * with their offsets, stream versions and checkpoint. Exposed for tests and for callers that
   * drive a consumer themselves.
   */
  async applyChunk(topic: string, partition: number, messages: readonly KafkaIncomingMessage[]): Promise<KafkaChunkResult> {
    const { db, controlSchema, metrics } = this.options;
    const tableSet = this.tableSet;
    if (tableSet === null) throw new TableSetSwitchedError();
    return db.transaction(async (tx) => {
      const active = await readActiveTableSet(tx, controlSchema, this.projection.name, 'share');
      if (active === null || active.schema !== tableSet.schema) throw new TableSetSwitchedError();
      // The checkpoint row lock serializes every writer of this table set (other partitions, the runner, a rebuild's switch).
      const checkpoint = await readCheckpoint(tx, controlSchema, tableSet, true);
      const storedOffset = await lockStoredOffset(tx, controlSchema, tableSet.schema, topic, partition);
      const unseen = messages.filter((message) => BigInt(message.offset) >= storedOffset);
      const last = unseen[unseen.length - 1];
      if (last === undefined) return { received: 0, applied: 0, nextOffset: storedOffset, position: checkpoint.position };

      const decoded = unseen.map((message) => fromKafkaMessage(message));
      const versions = await readStreamVersions(tx, controlSchema, tableSet.schema, [...new Set(decoded.map(({ event }) => event.streamId))]);
      const fresh: { event: RecordedEvent; previousPosition: bigint | null }[] = [];
      for (const item of decoded) {
        const { event } = item;
        if (event.globalPosition <= checkpoint.position) continue;
        if (event.streamVersion <= (versions.get(event.streamId) ?? -1)) continue;
        versions.set(event.streamId, event.streamVersion);
        fresh.push(item);
      }
      const handled = fresh.map(({ event }) => event).filter((event) => handlesEvent(this.projection, event.type));
      if (handled.length > 0) await this.applyIsolatingPoison(tx, tableSet, handled);
      await writeStreamVersions(tx, controlSchema, tableSet.schema, fresh.map(({ event }) => event));
      await insertPending(tx, controlSchema, tableSet.schema, fresh);
      const position = await advanceCheckpoint(tx, controlSchema, tableSet, checkpoint.position);
      // Applied events beyond a gap change the tables before the checkpoint reaches them.
      if (handled.length > 0) await countChange(tx, controlSchema, tableSet);
      const nextOffset = BigInt(last.offset) + 1n;
      await storeOffset(tx, controlSchema, tableSet.schema, topic, partition, nextOffset);
      metrics?.eventsApplied.inc({ projection: this.projection.name }, fresh.length);
      return { received: unseen.length, applied: fresh.length, nextOffset, position };
    });
  }

  /** As the runner's continuous mode: one savepoint for the batch; on failure one per event, dead-lettering the failing ones. */
  private async applyIsolatingPoison(tx: Knex.Transaction, tableSet: TableSet, events: readonly RecordedEvent[]): Promise<void> {
    try {
      await tx.transaction((savepoint) => this.projection.apply(events, { tx: savepoint, schema: tableSet.schema }));
      return;
    } catch {
      // Which event failed is found below, one savepoint per event.
    }
    for (const event of events) {
      try {
        await tx.transaction((savepoint) => this.projection.apply([event], { tx: savepoint, schema: tableSet.schema }));
      } catch (error) {
        await insertDeadLetter(tx, this.options.controlSchema, tableSet, event, error);
        this.options.metrics?.deadLetters.inc({ projection: this.projection.name });
        this.logger.error({ projection: this.projection.name, position: event.globalPosition.toString(), eventType: event.type, err: error }, 'projection dead-lettered an event');
      }
    }
  }

  private async updateLag(position: bigint): Promise<void> {
    const { metrics, headPosition } = this.options;
    if (metrics === undefined || headPosition === undefined) return;
    const lag = (await headPosition()) - position;
    metrics.lagEvents.set({ projection: this.projection.name }, Number(lag > 0n ? lag : 0n));
  }
}

/** The next offset to read per `topic/partition` stored with a table set. */
export async function readStoredOffsets(db: Knex, controlSchema: string, schemaName: string): Promise<Map<string, bigint>> {
  const result = await db.raw(`select topic, partition, next_offset::text as next_offset from "${controlSchema}".projection_kafka_offsets where schema_name = ?`, [schemaName]);
  return new Map((result.rows as { topic: string; partition: number; next_offset: string }[]).map((row) => [`${row.topic}/${row.partition}`, BigInt(row.next_offset)]));
}

async function lockStoredOffset(tx: Knex.Transaction, controlSchema: string, schemaName: string, topic: string, partition: number): Promise<bigint> {
  const result = await tx.raw(
    `select next_offset::text as next_offset from "${controlSchema}".projection_kafka_offsets where schema_name = ? and topic = ? and partition = ? for update`,
    [schemaName, topic, partition],
  );
  const row = (result.rows as { next_offset: string }[])[0];
  return row === undefined ? 0n : BigInt(row.next_offset);
}

async function storeOffset(tx: Knex.Transaction, controlSchema: string, schemaName: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
  await tx.raw(
    `insert into "${controlSchema}".projection_kafka_offsets (schema_name, topic, partition, next_offset) values (?, ?, ?, ?)
     on conflict (schema_name, topic, partition) do update set next_offset = excluded.next_offset, updated_at = now()`,
    [schemaName, topic, partition, nextOffset.toString()],
  );
}

async function readStreamVersions(tx: Knex.Transaction, controlSchema: string, schemaName: string, streamIds: readonly string[]): Promise<Map<string, number>> {
  if (streamIds.length === 0) return new Map();
  const result = await tx.raw(`select stream_id, stream_version from "${controlSchema}".projection_kafka_streams where schema_name = ? and stream_id = any(?)`, [
    schemaName,
    [...streamIds],
  ]);
  return new Map((result.rows as { stream_id: string; stream_version: number }[]).map((row) => [row.stream_id, row.stream_version]));
}

async function writeStreamVersions(tx: Knex.Transaction, controlSchema: string, schemaName: string, events: readonly RecordedEvent[]): Promise<void> {
  const highest = new Map<string, number>();
  for (const event of events) highest.set(event.streamId, Math.max(highest.get(event.streamId) ?? -1, event.streamVersion));
  if (highest.size === 0) return;
  await tx.raw(
    `insert into "${controlSchema}".projection_kafka_streams (schema_name, stream_id, stream_version)
     select ?, stream_id, stream_version from unnest(?::text[], ?::int[]) as t(stream_id, stream_version)
     on conflict (schema_name, stream_id) do update set stream_version = greatest(projection_kafka_streams.stream_version, excluded.stream_version)`,
    [schemaName, [...highest.keys()], [...highest.values()]],
  );
}

async function insertPending(tx: Knex.Transaction, controlSchema: string, schemaName: string, items: readonly { event: RecordedEvent; previousPosition: bigint | null }[]): Promise<void> {
  if (items.length === 0) return;
  await tx.raw(
    `insert into "${controlSchema}".projection_kafka_pending (schema_name, position, previous_position)
     select ?, position, previous_position from unnest(?::bigint[], ?::bigint[]) as t(position, previous_position)
     on conflict do nothing`,
    [schemaName, items.map(({ event }) => event.globalPosition.toString()), items.map(({ previousPosition }) => previousPosition?.toString() ?? null) as unknown as string[]],
  );
}

/**
 * Moves the checkpoint along the chain of applied events whose previous position is the
 * checkpoint (then that event's position, and so on), deletes the pending rows it passed, and
 * returns the new checkpoint. Events applied beyond a gap in the chain wait in the pending
 * table until the missing ones (on another partition) are applied.
 */
async function advanceCheckpoint(tx: Knex.Transaction, controlSchema: string, tableSet: TableSet, from: bigint): Promise<bigint> {
  const result = await tx.raw(
    `with recursive chain(position) as (
       select position from "${controlSchema}".projection_kafka_pending where schema_name = ? and previous_position = ?
       union all
       select p.position from "${controlSchema}".projection_kafka_pending p join chain c on p.previous_position = c.position where p.schema_name = ?
     )
     select max(position)::text as position from chain`,
    [tableSet.schema, from.toString(), tableSet.schema],
  );
  const reached = (result.rows as { position: string | null }[])[0]?.position;
  if (reached === null || reached === undefined) return from;
  const position = BigInt(reached);
  await tx.raw(`delete from "${controlSchema}".projection_kafka_pending where schema_name = ? and position <= ?`, [tableSet.schema, position.toString()]);
  await writeCheckpoint(tx, controlSchema, tableSet, position, false);
  return position;
}
