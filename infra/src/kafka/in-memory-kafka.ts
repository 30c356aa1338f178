import type {
  KafkaConsumerLike,
  KafkaEachBatchPayloadLike,
  KafkaGroupJoinEventLike,
  KafkaHeaders,
  KafkaIncomingMessage,
  KafkaProducerLike,
  KafkaRecordMetadata,
  KafkaTopicMessages,
} from './ports';

/** Messages per delivered batch in the stand-in (kafkajs batches by bytes; small here to exercise chunking). */
const IN_MEMORY_BATCH_SIZE_MAX = 50;

interface StoredMessage {
  key: Buffer;
  value: Buffer;
  headers: KafkaHeaders;
  offset: string;
}

/** A small deterministic string hash (FNV-1a), so that a key always lands in the same partition. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/**
 * An in-memory stand-in for a Kafka cluster, for unit tests of the relay and the projection
 * source: topics with partitions, keyed partitioning, consumers driven step by step
 * (`poll()`), explicit rebalances and injectable send failures. It is not Kafka: nothing here
 * proves behaviour against a broker (the contract suite does that).
 */
export class InMemoryKafka {
  private readonly topics = new Map<string, StoredMessage[][]>();
  /** Sends that will fail before anything is stored (a broker that does not acknowledge). */
  failingSends = 0;
  /** Every acknowledged sendBatch call, in order. */
  readonly acknowledgedBatches: KafkaTopicMessages[][] = [];

  constructor(private readonly partitionsPerTopic = 3) {}

  createTopic(topic: string): void {
    if (!this.topics.has(topic)) this.topics.set(topic, Array.from({ length: this.partitionsPerTopic }, () => []));
  }

  partitions(topic: string): StoredMessage[][] {
    const partitions = this.topics.get(topic);
    if (partitions === undefined) throw new Error(`unknown topic ${topic}`);
    return partitions;
  }

  /** All messages of a topic, partition by partition. */
  messages(topic: string): { partition: number; message: StoredMessage }[] {
    return this.partitions(topic).flatMap((messages, partition) => messages.map((message) => ({ partition, message })));
  }

  producer(): KafkaProducerLike {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async ({ topicMessages }) => {
        if (this.failingSends > 0) {
          this.failingSends -= 1;
          throw new Error('in-memory broker: send failed (injected)');
        }
        const metadata: KafkaRecordMetadata[] = [];
        for (const { topic, messages } of topicMessages) {
          const partitions = this.partitions(topic);
          for (const message of messages) {
            const partition = partitionOf(message.key, partitions.length);
            const log = partitions[partition] as StoredMessage[];
            const headers: KafkaHeaders = {};
            for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = Buffer.from(String(value));
            log.push({ key: Buffer.from(message.key), value: Buffer.from(message.value), headers, offset: String(log.length) });
            metadata.push({ topicName: topic, partition, errorCode: 0 });
          }
        }
        this.acknowledgedBatches.push(topicMessages);
        return metadata;
      },
    };
  }

  /** Appends a raw copy of an already stored message again (a redelivery the broker would do after a producer retry without idempotence). */
  duplicate(topic: string, partition: number, offset: number): void {
    const log = this.partitions(topic)[partition] as StoredMessage[];
    const original = log[offset];
    if (original === undefined) throw new Error(`no message at ${topic}/${partition}@${offset}`);
    log.push({ ...original, offset: String(log.length) });
  }

  consumer(): InMemoryConsumer {
    return new InMemoryConsumer(this);
  }
}

/**
 * A consumer of the stand-in. It never fetches on its own: `rebalance(assignment)` hands it
 * partitions (fetch positions start at the earliest offset, as `fromBeginning` without
 * committed offsets does, and `consumer.group_join` listeners are called), `poll()` delivers
 * one batch per assigned partition to the `eachBatch` handler. A handler that throws
 * leaves the fetch position at the last resolved offset, as kafkajs does.
 */
export class InMemoryConsumer implements KafkaConsumerLike {
  private subscribed: string[] = [];
  private handler: ((payload: KafkaEachBatchPayloadLike) => Promise<void>) | null = null;
  private readonly groupJoinListeners: ((event: KafkaGroupJoinEventLike) => void)[] = [];
  private assignment: { topic: string; partition: number }[] = [];
  private readonly fetchPositions = new Map<string, number>();
  private generation = 0;
  running = false;
  /** What `commitOffsets` received, in order. */
  readonly commits: { topic: string; partition: number; offset: string }[] = [];
  /** What `seek` received, in order. */
  readonly seeks: { topic: string; partition: number; offset: string }[] = [];

  constructor(private readonly kafka: InMemoryKafka) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.running = false;
  }
  async subscribe(subscription: { topics: string[] }): Promise<void> {
    this.subscribed = [...subscription.topics];
  }
  async run(config: { eachBatch: (payload: KafkaEachBatchPayloadLike) => Promise<void> }): Promise<void> {
    this.handler = config.eachBatch;
    this.running = true;
  }
  seek(target: { topic: string; partition: number; offset: string }): void {
    this.seeks.push(target);
    this.fetchPositions.set(`${target.topic}/${target.partition}`, Number(target.offset));
  }
  async commitOffsets(topicPartitions: { topic: string; partition: number; offset: string }[]): Promise<void> {
    this.commits.push(...topicPartitions);
  }
  async stop(): Promise<void> {
    this.running = false;
  }
  on(_eventName: 'consumer.group_join', listener: (event: KafkaGroupJoinEventLike) => void): void {
    this.groupJoinListeners.push(listener);
  }

  /** Assigns partitions (default: every partition of every subscribed topic) and tells the listeners. */
  rebalance(assignment?: { [topic: string]: number[] }): void {
    const memberAssignment = assignment ?? Object.fromEntries(this.subscribed.map((topic) => [topic, this.kafka.partitions(topic).map((_log, index) => index)]));
    this.generation += 1;
    this.assignment = Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    for (const { topic, partition } of this.assignment) this.fetchPositions.set(`${topic}/${partition}`, 0);
    for (const listener of this.groupJoinListeners) listener({ payload: { memberAssignment } });
  }

  /** Delivers one batch per assigned partition that has messages at its fetch position; returns how many messages were delivered. */
  async poll(): Promise<number> {
    const handler = this.handler;
    if (handler === null || !this.running) throw new Error('in-memory consumer: run() first');
    let delivered = 0;
    const generation = this.generation;
    for (const { topic, partition } of this.assignment) {
      const key = `${topic}/${partition}`;
      const from = this.fetchPositions.get(key) ?? 0;
      const log = this.kafka.partitions(topic)[partition] ?? [];
      const messages: KafkaIncomingMessage[] = log.slice(from, from + IN_MEMORY_BATCH_SIZE_MAX).map((message) => ({ ...message }));
      if (messages.length === 0) continue;
      let resolved = from - 1;
      try {
        await handler({
          batch: { topic, partition, messages },
          resolveOffset: (offset) => {
            resolved = Number(offset);
          },
          heartbeat: async () => undefined,
          isRunning: () => this.running,
          isStale: () => this.generation !== generation,
        });
      } finally {
        // A seek during the handler (a re-seek after a rebalance) wins over the resolved offset.
        if (this.fetchPositions.get(key) === from) this.fetchPositions.set(key, resolved + 1);
      }
      delivered += messages.length;
    }
    return delivered;
  }

  /** Polls until nothing is delivered any more (at most `roundsMax` rounds). */
  async drain(roundsMax = 1_000): Promise<void> {
    for (let round = 0; round < roundsMax; round += 1) if ((await this.poll()) === 0) return;
    throw new Error('in-memory consumer: did not drain');
  }
}
