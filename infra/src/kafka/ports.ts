/**
 * The subset of kafkajs' Producer and Consumer the Kafka transport uses. The relay and the
 * projection source are written against these, so that a kafkajs client fits as it is and
 * the logic can be unit-tested against the in-memory stand-in (`in-memory-kafka.ts`). The
 * stand-in is a unit-test double; only the contract suite against a real broker proves the
 * transport.
 */

/** Header values as kafkajs hands them over (strings on the way in, Buffers on the way out). */
export interface KafkaHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

export interface KafkaOutgoingMessage {
  key: string;
  value: string;
  headers: KafkaHeaders;
  /** Milliseconds since the epoch, as a decimal string (kafkajs' convention). */
  timestamp?: string;
}

export interface KafkaTopicMessages {
  topic: string;
  messages: KafkaOutgoingMessage[];
}

export interface KafkaRecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
}

/** kafkajs `Producer` (subset). `sendBatch` resolves once the broker acknowledged every message (acks = -1). */
export interface KafkaProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: { topicMessages: KafkaTopicMessages[]; acks?: number }): Promise<KafkaRecordMetadata[]>;
}

/** A consumed message (kafkajs `KafkaMessage`, subset). */
export interface KafkaIncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: KafkaHeaders;
}

export interface KafkaBatchLike {
  topic: string;
  partition: number;
  messages: KafkaIncomingMessage[];
}

/** kafkajs `EachBatchPayload` (subset). */
export interface KafkaEachBatchPayloadLike {
  batch: KafkaBatchLike;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** kafkajs `ConsumerGroupJoinEvent` (subset): the partitions this member now owns, per topic. */
export interface KafkaGroupJoinEventLike {
  payload: { memberAssignment: { [topic: string]: number[] } };
}

/** kafkajs `Consumer` (subset). */
export interface KafkaConsumerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(config: { autoCommit?: boolean; eachBatchAutoResolve?: boolean; eachBatch: (payload: KafkaEachBatchPayloadLike) => Promise<void> }): Promise<void>;
  seek(topicPartitionOffset: { topic: string; partition: number; offset: string }): void;
  commitOffsets(topicPartitions: { topic: string; partition: number; offset: string }[]): Promise<void>;
  stop(): Promise<void>;
  on(eventName: 'consumer.group_join', listener: (event: KafkaGroupJoinEventLike) => void): unknown;
}
