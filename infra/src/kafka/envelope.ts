import { context, propagation } from '@opentelemetry/api';
import type { RecordedEvent } from '@neuroerp/schemas';
import type { KafkaHeaders, KafkaIncomingMessage, KafkaOutgoingMessage } from './ports';

/** The bounded contexts that have a topic each (`<prefix>.<context>`). */
export const KAFKA_CONTEXTS = ['ledger', 'documents', 'workflows', 'identity'] as const;
export type KafkaContext = (typeof KAFKA_CONTEXTS)[number];
export const DEFAULT_TOPIC_PREFIX = 'neuroerp';

/** Event type prefixes (before the first dot) and the context whose topic carries them. */
const CONTEXT_BY_TYPE_PREFIX: Readonly<Record<string, KafkaContext>> = {
  ledger: 'ledger',
  documents: 'documents',
  document: 'documents',
  workflows: 'workflows',
  workflow: 'workflows',
  identity: 'identity',
  // Erasure records (privacy.subject_forgotten) concern persons: they travel with the identity context.
  privacy: 'identity',
};

/** Names of the headers every relayed message carries. */
export const KAFKA_HEADER = {
  type: 'type',
  schemaVersion: 'schema-version',
  streamVersion: 'stream-version',
  globalPosition: 'global-position',
  /** The global position of the event before this one in the log (the relay's checkpoint before it): lets a consumer tell a contiguous prefix. */
  previousPosition: 'previous-position',
  eventId: 'event-id',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Thrown for an event type that belongs to no known context: the relay must not guess a topic. */
export class UnroutableEventError extends Error {
  readonly code = 'UNROUTABLE_EVENT_TYPE';
  constructor(readonly eventType: string) {
    super(`event type ${eventType} belongs to no bounded context with a Kafka topic`);
    this.name = 'UnroutableEventError';
  }
}

export function assertTopicPrefix(prefix: string): void {
  if (!/^[a-zA-Z0-9._-]{1,200}$/.test(prefix)) throw new Error(`invalid Kafka topic prefix: ${prefix}`);
}

/** Every topic the relay produces to. */
export function kafkaTopics(prefix = DEFAULT_TOPIC_PREFIX): string[] {
  assertTopicPrefix(prefix);
  return KAFKA_CONTEXTS.map((name) => `${prefix}.${name}`);
}

/** The topic of an event, from its type prefix: `ledger.*` → `neuroerp.ledger`, `document.*` → `neuroerp.documents`, … */
export function topicForEventType(type: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  const head = type.split('.', 1)[0] ?? '';
  const bounded = Object.prototype.hasOwnProperty.call(CONTEXT_BY_TYPE_PREFIX, head) ? CONTEXT_BY_TYPE_PREFIX[head] : undefined;
  if (bounded === undefined || !type.includes('.')) throw new UnroutableEventError(type);
  return `${prefix}.${bounded}`;
}

/**
 * The W3C trace context of an event: `traceparent`/`tracestate` from its metadata when the
 * command path recorded them, else the active OpenTelemetry context (empty without a
 * registered propagator or span).
 */
function traceHeaders(event: RecordedEvent): Record<string, string> {
  const metadata = event.metadata as unknown as Record<string, unknown>;
  if (typeof metadata.traceparent === 'string' && metadata.traceparent !== '') {
    return typeof metadata.tracestate === 'string' ? { traceparent: metadata.traceparent, tracestate: metadata.tracestate } : { traceparent: metadata.traceparent };
  }
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const headers: Record<string, string> = {};
  if (carrier.traceparent !== undefined) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate !== undefined) headers.tracestate = carrier.tracestate;
  return headers;
}

/**
 * The Kafka message of a recorded event: key = stream id (one partition per stream, so
 * per-stream order), value = the whole envelope as JSON (`globalPosition` as a decimal
 * string), headers for routing and tracing without parsing the value.
 */
export function toKafkaMessage(event: RecordedEvent, previousPosition: bigint): KafkaOutgoingMessage {
  const headers: KafkaHeaders = {
    [KAFKA_HEADER.type]: event.type,
    [KAFKA_HEADER.schemaVersion]: String(event.schemaVersion),
    [KAFKA_HEADER.streamVersion]: String(event.streamVersion),
    [KAFKA_HEADER.globalPosition]: event.globalPosition.toString(),
    [KAFKA_HEADER.previousPosition]: previousPosition.toString(),
    [KAFKA_HEADER.eventId]: event.eventId,
    [KAFKA_HEADER.correlationId]: event.metadata.correlationId,
    ...traceHeaders(event),
  };
  if (event.metadata.causationId !== null) headers[KAFKA_HEADER.causationId] = event.metadata.causationId;
  const recordedAtMs = Date.parse(event.metadata.recordedAt);
  return {
    key: event.streamId,
    value: JSON.stringify({ ...event, globalPosition: event.globalPosition.toString() }),
    headers,
    ...(Number.isFinite(recordedAtMs) ? { timestamp: String(recordedAtMs) } : {}),
  };
}

/** One header as a string (kafkajs delivers Buffers), or undefined. */
export function headerText(headers: KafkaHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : single.toString();
}

/** Thrown for a consumed message that is not a relayed event envelope. */
export class MalformedKafkaMessageError extends Error {
  readonly code = 'MALFORMED_KAFKA_MESSAGE';
  constructor(reason: string) {
    super(`not a relayed event: ${reason}`);
    this.name = 'MalformedKafkaMessageError';
  }
}

export interface DecodedKafkaEvent {
  event: RecordedEvent;
  /** The `previous-position` header; null when absent. */
  previousPosition: bigint | null;
}

/** Turns a consumed message back into the RecordedEvent the relay read from the store. */
export function fromKafkaMessage(message: KafkaIncomingMessage): DecodedKafkaEvent {
  if (message.value === null) throw new MalformedKafkaMessageError(`offset ${message.offset} has no value`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch {
    throw new MalformedKafkaMessageError(`offset ${message.offset} is not JSON`);
  }
  const envelope = parsed as Record<string, unknown>;
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    typeof envelope.eventId !== 'string' ||
    typeof envelope.streamId !== 'string' ||
    typeof envelope.streamVersion !== 'number' ||
    typeof envelope.globalPosition !== 'string' ||
    !/^[0-9]{1,20}$/.test(envelope.globalPosition) ||
    typeof envelope.type !== 'string' ||
    typeof envelope.schemaVersion !== 'number' ||
    typeof envelope.metadata !== 'object' ||
    envelope.metadata === null ||
    typeof envelope.prevHash !== 'string' ||
    typeof envelope.hash !== 'string'
  ) {
    throw new MalformedKafkaMessageError(`offset ${message.offset} lacks envelope fields`);
  }
  const event = { ...(envelope as unknown as RecordedEvent), globalPosition: BigInt(envelope.globalPosition) };
  const previous = headerText(message.headers, KAFKA_HEADER.previousPosition);
  return { event, previousPosition: previous !== undefined && /^[0-9]{1,20}$/.test(previous) ? BigInt(previous) : null };
}
