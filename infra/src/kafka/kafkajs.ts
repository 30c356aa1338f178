import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { kafkaTopics } from './envelope';
import type { KafkaConsumerLike, KafkaProducerLike } from './ports';

/**
 * kafkajs allows at most 5 requests in flight for an idempotent producer; 1 keeps the order
 * of retried batches trivially (and the relay sends one batch at a time anyway).
 */
export const RELAY_MAX_IN_FLIGHT_REQUESTS = 1;
/** Partitions of each topic when the relay creates it; the key (stream id) picks the partition. */
export const TOPIC_PARTITIONS_DEFAULT = 6;

export interface KafkaConnectionOptions {
  brokers: readonly string[];
  clientId: string;
}

/** A kafkajs client with the settings the transport relies on. */
export class KafkaClients {
  readonly kafka: Kafka;

  constructor(options: KafkaConnectionOptions) {
    if (options.brokers.length === 0) throw new Error('at least one Kafka broker is needed');
    this.kafka = new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.WARN });
  }

  /** The relay's producer: idempotent (no duplicates from its own retries, per-partition order kept), acks from all in-sync replicas. */
  producer(): KafkaProducerLike & Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: RELAY_MAX_IN_FLIGHT_REQUESTS, allowAutoTopicCreation: false });
  }

  /** A consumer of `groupId` that never commits on its own (the projection source keeps offsets in PostgreSQL). */
  consumer(groupId: string): KafkaConsumerLike & Consumer {
    return this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
  }

  admin(): Admin {
    return this.kafka.admin();
  }

  /** Creates the context topics that are missing (idempotent), `partitions` each. */
  async ensureTopics(prefix: string, partitions = TOPIC_PARTITIONS_DEFAULT): Promise<void> {
    const admin = this.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = kafkaTopics(prefix).filter((topic) => !existing.has(topic));
      if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
    } finally {
      await admin.disconnect();
    }
  }

  /** Resolves when a broker answers a metadata request; for readiness probes. */
  async ping(): Promise<void> {
    const admin = this.admin();
    await admin.connect();
    try {
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  }
}
