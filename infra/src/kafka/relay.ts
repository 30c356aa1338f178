import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { RecordedEvent } from '@neuroerp/schemas';
import type { EventStore, Subscription } from '../event-store/port';
import { assertSchemaName, migrateSchema, type SchemaMigration } from '../postgres-migrations';
import { closePool, openPool } from '../postgres-pool';
import { DEFAULT_TOPIC_PREFIX, assertTopicPrefix, toKafkaMessage, topicForEventType } from './envelope';
import type { KafkaProducerLike, KafkaTopicMessages } from './ports';

/** Events produced in one acknowledged batch at most. */
export const RELAY_BATCH_SIZE_MAX = 1_000;
/** A caught-up relay sends what it has after waiting this long for more. */
export const RELAY_FLUSH_WINDOW_MS = 10;
/** Pause before the relay retries after a failed send or read; it restarts from its checkpoint. */
export const RELAY_RETRY_DELAY_MS = 2_000;
/** acks = -1: the leader answers once every in-sync replica has the batch (required by the idempotent producer). */
export const RELAY_ACKS_ALL = -1;

/** Where the relay keeps the position of the last event the broker acknowledged. */
export interface RelayCheckpointStore {
  /** The position of the last acknowledged event; 0 before the first batch. */
  load(): Promise<bigint>;
  /** Moves the checkpoint forward (never back). */
  save(position: bigint): Promise<void>;
}

/** Counters and gauges of the relay, as callbacks: infra stays free of a metrics library (scripts maps them to prom-client). */
export interface RelayMetricsSink {
  /** `count` events were acknowledged by the broker on `topic`. */
  eventsRelayed(topic: string, count: number): void;
  /** A batch failed to send or to checkpoint; it will be retried from the checkpoint. */
  batchFailed(): void;
  /** Head position of the store minus the relay's checkpoint, in events (positions). */
  lagEvents(lag: number): void;
  /** The checkpoint after the last acknowledged batch. */
  checkpoint(position: bigint): void;
}

export interface RelayLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface KafkaRelayOptions {
  store: EventStore;
  producer: KafkaProducerLike;
  checkpoints: RelayCheckpointStore;
  topicPrefix?: string;
  batchSizeMax?: number;
  /** The store's head position, for the lag gauge; without it the gauge stays unset. */
  headPosition?: () => Promise<bigint>;
  metrics?: RelayMetricsSink;
  logger?: RelayLogger;
  retryDelayMs?: number;
}

export type RelayState = 'starting' | 'running' | 'retrying' | 'stopped';

/**
 * Relays the event store's global log to Kafka, at least once: it reads after its
 * checkpoint, produces each batch (key = stream id, one topic per bounded context), and
 * moves the checkpoint only after the broker acknowledged the whole batch. A crash between
 * acknowledgement and checkpoint re-sends that batch; consumers drop the duplicates by
 * (stream id, stream version).
 */
export class KafkaRelay {
  private readonly options: KafkaRelayOptions;
  private readonly prefix: string;
  private readonly batchSizeMax: number;
  private stopping = false;
  private subscription: Subscription | null = null;
  private wake: AbortController | null = null;
  private runPromise: Promise<void> | null = null;
  state: RelayState = 'starting';
  /** The checkpoint as this process last saved or loaded it. */
  position = 0n;

  constructor(options: KafkaRelayOptions) {
    this.options = options;
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    assertTopicPrefix(this.prefix);
    this.batchSizeMax = options.batchSizeMax ?? RELAY_BATCH_SIZE_MAX;
    if (!(Number.isInteger(this.batchSizeMax) && this.batchSizeMax >= 1 && this.batchSizeMax <= RELAY_BATCH_SIZE_MAX)) {
      throw new Error(`batchSizeMax must be 1..${RELAY_BATCH_SIZE_MAX}, got ${this.batchSizeMax}`);
    }
  }

  /**
   * Produces `events` (consecutive in the log, the first one right after `previousPosition`)
   * and, once the broker acknowledged all of them, saves the checkpoint. A failing send
   * throws and leaves the checkpoint where it was.
   */
  async relayBatch(events: readonly RecordedEvent[], previousPosition: bigint): Promise<bigint> {
    const last = events[events.length - 1];
    if (last === undefined) return previousPosition;
    const byTopic = new Map<string, KafkaTopicMessages>();
    let previous = previousPosition;
    for (const event of events) {
      if (event.globalPosition <= previous) throw new Error(`relay batch out of order: ${event.globalPosition} after ${previous}`);
      const topic = topicForEventType(event.type, this.prefix);
      let entry = byTopic.get(topic);
      if (entry === undefined) {
        entry = { topic, messages: [] };
        byTopic.set(topic, entry);
      }
      entry.messages.push(toKafkaMessage(event, previous));
      previous = event.globalPosition;
    }
    const topicMessages = [...byTopic.values()];
    await this.options.producer.sendBatch({ topicMessages, acks: RELAY_ACKS_ALL });
    await this.options.checkpoints.save(last.globalPosition);
    this.position = last.globalPosition;
    for (const entry of topicMessages) this.options.metrics?.eventsRelayed(entry.topic, entry.messages.length);
    this.options.metrics?.checkpoint(last.globalPosition);
    return last.globalPosition;
  }

  /** Relays everything after the checkpoint up to the current end of the log (bounded batches); returns the new checkpoint. */
  async catchUp(): Promise<bigint> {
    let position = await this.options.checkpoints.load();
    this.position = position;
    for (;;) {
      const events = await this.options.store.readAll({ fromPosition: position === 0n ? 'start' : position, maxCount: this.batchSizeMax });
      if (events.length === 0) {
        await this.updateLag();
        return position;
      }
      position = await this.relayBatch(events, position);
      await this.updateLag();
    }
  }

  /** Starts the continuous relay in the background; `stop()` ends it. */
  start(): void {
    if (this.runPromise !== null) throw new Error('relay already started');
    this.runPromise = this.runContinuously();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    await this.subscription?.stop();
    await this.runPromise;
    this.state = 'stopped';
  }

  private async runContinuously(): Promise<void> {
    while (!this.stopping) {
      try {
        this.state = 'running';
        await this.follow();
      } catch (error) {
        if (this.stopping) break;
        this.state = 'retrying';
        this.options.metrics?.batchFailed();
        this.options.logger?.error({ err: error, checkpoint: this.position.toString() }, 'relay failed; retrying from its checkpoint');
        this.wake = new AbortController();
        await sleep(this.options.retryDelayMs ?? RELAY_RETRY_DELAY_MS, undefined, { signal: this.wake.signal }).catch(() => undefined);
        this.wake = null;
      }
    }
  }

  /** Follows the log from the checkpoint with a catch-up subscription, one acknowledged batch at a time. */
  private async follow(): Promise<void> {
    let position = await this.options.checkpoints.load();
    this.position = position;
    await this.updateLag();
    const subscription = this.options.store.subscribeToAll({ fromPosition: position === 0n ? 'start' : position, batchSizeMax: this.batchSizeMax });
    this.subscription = subscription;
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      let pending: Promise<IteratorResult<RecordedEvent>> | null = null;
      while (!this.stopping) {
        const first: IteratorResult<RecordedEvent> = await (pending ?? iterator.next());
        pending = null;
        if (first.done === true) return;
        const batch: RecordedEvent[] = [first.value];
        while (batch.length < this.batchSizeMax) {
          const next = iterator.next();
          const winner = await Promise.race([next, sleep(RELAY_FLUSH_WINDOW_MS).then(() => null)]);
          if (winner === null) {
            pending = next;
            break;
          }
          if (winner.done === true) break;
          batch.push(winner.value);
        }
        position = await this.relayBatch(batch, position);
        await this.updateLag();
      }
    } finally {
      this.subscription = null;
      await subscription.stop();
    }
  }

  private async updateLag(): Promise<void> {
    const { metrics, headPosition } = this.options;
    if (metrics === undefined || headPosition === undefined) return;
    const lag = (await headPosition()) - this.position;
    metrics.lagEvents(Number(lag > 0n ? lag : 0n));
  }
}

const relayMigrations: readonly SchemaMigration[] = [
  {
    name: '0001_relay_checkpoints',
    async up(db, schema) {
      await db.raw(`
        create table "${schema}".checkpoints (
          relay_name text primary key,
          position bigint not null default 0,
          updated_at timestamptz not null default now()
        );
      `);
    },
  },
];

/** The default schema of the relay's checkpoint table: `<event store schema>_relay`. */
export function relaySchemaName(eventStoreSchema: string): string {
  const schema = `${eventStoreSchema}_relay`;
  assertSchemaName(schema);
  return schema;
}

/** Creates or migrates `<schema>.checkpoints`. */
export async function migrateRelayCheckpoints(connectionString: string, schema: string): Promise<void> {
  await migrateSchema(connectionString, schema, relayMigrations, 'knex_migrations_relay');
}

/** The relay checkpoint as a row of `<schema>.checkpoints`, one per relay name. */
export class PostgresRelayCheckpointStore implements RelayCheckpointStore {
  private readonly pool: pg.Pool;

  constructor(
    connectionString: string,
    private readonly schema: string,
    private readonly relayName = 'default',
  ) {
    assertSchemaName(schema);
    this.pool = openPool({ connectionString, max: 2 });
  }

  async load(): Promise<bigint> {
    const result = await this.pool.query<{ position: string }>(`select position::text as position from "${this.schema}".checkpoints where relay_name = $1`, [this.relayName]);
    const row = result.rows[0];
    return row === undefined ? 0n : BigInt(row.position);
  }

  async save(position: bigint): Promise<void> {
    // Forward only: a slower second relay (there should be one) never moves it back.
    await this.pool.query(
      `insert into "${this.schema}".checkpoints (relay_name, position) values ($1, $2)
       on conflict (relay_name) do update set position = excluded.position, updated_at = now() where checkpoints.position < excluded.position`,
      [this.relayName, position.toString()],
    );
  }

  /** Resolves when PostgreSQL answers; for readiness. */
  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await closePool(this.pool);
  }
}
