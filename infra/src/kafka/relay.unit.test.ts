import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import type { RecordedEvent } from '@neuroerp/schemas';
import type { EventStore, Subscription } from '../event-store/port';
import { fromKafkaMessage, headerText, KAFKA_HEADER, kafkaTopics, topicForEventType, UnroutableEventError } from './envelope';
import { InMemoryKafka } from './in-memory-kafka';
import { KafkaRelay, type RelayCheckpointStore, type RelayMetricsSink } from './relay';

function recorded(position: number, streamId: string, streamVersion: number, type: string, metadata: Record<string, unknown> = {}): RecordedEvent {
  return {
    eventId: `event-${position}`,
    streamId,
    streamVersion,
    globalPosition: BigInt(position),
    type,
    schemaVersion: 1,
    data: { n: position },
    metadata: {
      actor: { userId: 'u1', role: 'accountant' },
      correlationId: `corr-${position}`,
      causationId: position > 1 ? `event-${position - 1}` : null,
      occurredAt: '2026-01-01T00:00:00.000Z',
      requestId: null,
      recordedAt: '2026-01-01T00:00:01.000Z',
      ...metadata,
    },
    prevHash: 'p'.repeat(64),
    hash: 'h'.repeat(64),
  };
}

/** A read-only event store over an array: just what the relay reads. */
function arrayStore(events: RecordedEvent[]): EventStore {
  const after = (from: bigint | 'start') => events.filter((event) => from === 'start' || event.globalPosition > from);
  return {
    appendToStream: () => Promise.reject(new Error('read-only')),
    readStream: () => Promise.reject(new Error('read-only')),
    readAll: async ({ fromPosition, maxCount }) => after(fromPosition).slice(0, maxCount),
    subscribeToAll: ({ fromPosition }): Subscription => {
      let stopped = false;
      let release: () => void = () => undefined;
      const blocked = new Promise<void>((resolve) => {
        release = resolve;
      });
      return {
        async *[Symbol.asyncIterator]() {
          for (const event of after(fromPosition)) {
            if (stopped) return;
            yield event;
          }
          await blocked;
        },
        stop: async () => {
          stopped = true;
          release();
        },
      };
    },
    ping: async () => undefined,
    close: async () => undefined,
  };
}

class MemoryCheckpoints implements RelayCheckpointStore {
  position = 0n;
  readonly saves: bigint[] = [];
  async load(): Promise<bigint> {
    return this.position;
  }
  async save(position: bigint): Promise<void> {
    this.saves.push(position);
    if (position > this.position) this.position = position;
  }
}

const log = [
  recorded(1, 'ledger-fy-acme-2026', 0, 'ledger.transaction_posted'),
  recorded(2, 'document-d1', 0, 'documents.document_created'),
  recorded(3, 'ledger-fy-acme-2026', 1, 'ledger.transaction_posted'),
  recorded(4, 'workflow-w1', 0, 'workflow.started'),
  recorded(5, 'user-u1', 0, 'identity.user_registered'),
  recorded(6, 'document-d1', 1, 'document.attachment_added'),
  recorded(7, 'workflow-w1', 1, 'workflows.step_completed'),
];

function setup(events = log, batchSizeMax = 3) {
  const kafka = new InMemoryKafka();
  for (const topic of kafkaTopics()) kafka.createTopic(topic);
  const checkpoints = new MemoryCheckpoints();
  const relayed = new Map<string, number>();
  const lags: number[] = [];
  const metrics: RelayMetricsSink = {
    eventsRelayed: (topic, count) => relayed.set(topic, (relayed.get(topic) ?? 0) + count),
    batchFailed: () => undefined,
    lagEvents: (lag) => lags.push(lag),
    checkpoint: () => undefined,
  };
  const relay = new KafkaRelay({
    store: arrayStore(events),
    producer: kafka.producer(),
    checkpoints,
    batchSizeMax,
    metrics,
    headPosition: async () => events[events.length - 1]?.globalPosition ?? 0n,
    retryDelayMs: 5,
  });
  return { kafka, checkpoints, relay, relayed, lags };
}

describe('topic routing', () => {
  it.each([
    ['ledger.transaction_posted', 'neuroerp.ledger'],
    ['documents.document_created', 'neuroerp.documents'],
    ['document.attachment_added', 'neuroerp.documents'],
    ['workflow.started', 'neuroerp.workflows'],
    ['workflows.step_completed', 'neuroerp.workflows'],
    ['identity.user_registered', 'neuroerp.identity'],
  ])('%s goes to %s', (type, topic) => {
    expect(topicForEventType(type)).toBe(topic);
  });

  it('honours a topic prefix', () => {
    expect(topicForEventType('ledger.x', 'staging')).toBe('staging.ledger');
    expect(kafkaTopics('staging')).toEqual(['staging.ledger', 'staging.documents', 'staging.workflows', 'staging.identity']);
  });

  it.each(['test.happened', 'ledger', 'ledgers.x', 'constructor.x', ''])('refuses %p with UNROUTABLE_EVENT_TYPE', (type) => {
    let caught: unknown;
    try {
      topicForEventType(type);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnroutableEventError);
    expect((caught as UnroutableEventError).code).toBe('UNROUTABLE_EVENT_TYPE');
  });
});

describe('kafka relay (in-memory stand-in for the broker)', () => {
  it('produces every event to its context topic, keyed by stream id, with the envelope headers', async () => {
    const { kafka, relay, relayed } = setup();
    expect(await relay.catchUp()).toBe(7n);
    expect(Object.fromEntries(relayed)).toEqual({ 'neuroerp.ledger': 2, 'neuroerp.documents': 2, 'neuroerp.workflows': 2, 'neuroerp.identity': 1 });
    const ledger = kafka.messages('neuroerp.ledger');
    expect(ledger.map(({ message }) => message.key.toString())).toEqual(['ledger-fy-acme-2026', 'ledger-fy-acme-2026']);
    // One key, one partition: the stream's order is the partition's order.
    expect(new Set(ledger.map(({ partition }) => partition)).size).toBe(1);

    const third = ledger[1]?.message;
    if (third === undefined) throw new Error('expected a second ledger message');
    const headers = third.headers;
    expect(headerText(headers, KAFKA_HEADER.type)).toBe('ledger.transaction_posted');
    expect(headerText(headers, KAFKA_HEADER.schemaVersion)).toBe('1');
    expect(headerText(headers, KAFKA_HEADER.streamVersion)).toBe('1');
    expect(headerText(headers, KAFKA_HEADER.globalPosition)).toBe('3');
    expect(headerText(headers, KAFKA_HEADER.previousPosition)).toBe('2');
    expect(headerText(headers, KAFKA_HEADER.eventId)).toBe('event-3');
    expect(headerText(headers, KAFKA_HEADER.correlationId)).toBe('corr-3');
    expect(headerText(headers, KAFKA_HEADER.causationId)).toBe('event-2');

    // The value is the whole envelope; decoding gives back the recorded event.
    const decoded = fromKafkaMessage({ ...third, headers });
    expect(decoded.event).toEqual(log[2]);
    expect(decoded.previousPosition).toBe(2n);
    expect(JSON.parse(third.value.toString()).globalPosition).toBe('3');
  });

  it('omits the causation header of a first event and takes traceparent from the metadata when recorded there', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { kafka, relay } = setup([recorded(1, 'user-u2', 0, 'identity.user_registered', { traceparent })]);
    await relay.catchUp();
    const message = kafka.messages('neuroerp.identity')[0]?.message;
    expect(headerText(message?.headers, KAFKA_HEADER.causationId)).toBeUndefined();
    expect(headerText(message?.headers, KAFKA_HEADER.traceparent)).toBe(traceparent);
  });

  it('takes traceparent from the active OpenTelemetry context through the global propagator otherwise', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    // A propagator that stands for the SDK's W3C one: whatever it injects must reach the headers.
    const fixed: TextMapPropagator = {
      inject: (_context, carrier, setter) => setter.set(carrier, 'traceparent', traceparent),
      extract: (context) => context,
      fields: () => ['traceparent'],
    };
    propagation.setGlobalPropagator(fixed);
    try {
      const { kafka, relay } = setup([recorded(1, 'user-u3', 0, 'identity.user_registered')]);
      await relay.catchUp();
      const message = kafka.messages('neuroerp.identity')[0]?.message;
      expect(headerText(message?.headers, KAFKA_HEADER.traceparent)).toBe(traceparent);
    } finally {
      propagation.disable();
    }
  });

  it('sends no traceparent when there is neither metadata nor an active trace', async () => {
    const { kafka, relay } = setup([recorded(1, 'user-u4', 0, 'identity.user_registered')]);
    await relay.catchUp();
    expect(headerText(kafka.messages('neuroerp.identity')[0]?.message.headers, KAFKA_HEADER.traceparent)).toBeUndefined();
  });

  it('moves the checkpoint only after the broker acknowledged; a failing send leaves it where it was', async () => {
    const { kafka, relay, checkpoints } = setup();
    await relay.relayBatch(log.slice(0, 3), 0n);
    expect(checkpoints.position).toBe(3n);
    kafka.failingSends = 1;
    await expect(relay.relayBatch(log.slice(3, 6), 3n)).rejects.toThrow('send failed');
    expect(checkpoints.position).toBe(3n);
    expect(checkpoints.saves).toEqual([3n]);
    expect(kafka.acknowledgedBatches).toHaveLength(1);
  });

  it('restarts from its checkpoint: a new relay process sends only what was not acknowledged', async () => {
    const { kafka, relay, checkpoints } = setup();
    await relay.relayBatch(log.slice(0, 3), 0n);
    const restarted = new KafkaRelay({ store: arrayStore(log), producer: kafka.producer(), checkpoints, batchSizeMax: 3 });
    expect(await restarted.catchUp()).toBe(7n);
    const positions = kafkaTopics().flatMap((topic) => kafka.messages(topic).map(({ message }) => headerText(message.headers, KAFKA_HEADER.globalPosition)));
    expect(positions.map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('continuous mode retries a failed batch from the checkpoint (at least once) and reports the lag', async () => {
    const { kafka, relay, checkpoints, lags } = setup(log, 7);
    kafka.failingSends = 2;
    relay.start();
    const deadline = Date.now() + 5_000;
    while (checkpoints.position < 7n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await relay.stop();
    expect(checkpoints.position).toBe(7n);
    expect(relay.state).toBe('stopped');
    // Nothing was stored by the failed sends, so each event is there exactly once.
    expect(kafkaTopics().reduce((sum, topic) => sum + kafka.messages(topic).length, 0)).toBe(7);
    expect(lags[0]).toBe(7);
    expect(lags[lags.length - 1]).toBe(0);
  });

  it('refuses an event it cannot route rather than guessing a topic, and does not move the checkpoint', async () => {
    const { relay, checkpoints } = setup([recorded(1, 's', 0, 'test.happened')]);
    await expect(relay.catchUp()).rejects.toThrow(UnroutableEventError);
    expect(checkpoints.position).toBe(0n);
  });
});
