import {
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  BACKWARDS,
  START,
  excludeSystemEvents,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type ReadPosition,
  type ReadRevision,
  type StreamingRead,
  type WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';
import { EventStoreError, wrongExpectedVersion } from '../errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedVersion,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeToAllOptions,
  Subscription,
} from '../port';
import { assertValidCount, assertValidExpectedVersion, assertValidStreamId, validateAppend, type SerializedEvent } from '../validation';
import {
  chainStreamEvents,
  fromCurrentRevision,
  fromEsdbEvent,
  isSystemEvent,
  toAppendExpectedRevision,
  toEsdbEventData,
  toReadPosition,
} from './esdb-mapping';

export { computeStreamEventHash, findStreamChainBreak, type StreamChainBreak } from './esdb-mapping';

/**
 * How often an `'any'` or `'stream_exists'` append re-reads the stream head and tries again
 * when another writer got in between. The caller asked for no version check, so this conflict
 * is ours (the chain needs the exact previous event), not the caller's.
 */
export const ANY_APPEND_ATTEMPTS_MAX = 10;
/** Upper bound of the random pause before such a retry; the randomness lets contending writers fall out of step. */
export const ANY_APPEND_RETRY_DELAY_MS_MAX = 50;
/** Appends queued or in flight in one store at most; beyond that the store answers STORE_UNAVAILABLE. */
export const APPEND_QUEUE_LENGTH_MAX = 10_000;
/** Server-side deadline of one append; a dropped or slow write ends as STORE_UNAVAILABLE. */
export const APPEND_TIMEOUT_MS = 10_000;
/** Longest a read may take before it is cancelled (the client sets no deadline on reads). */
export const READ_TIMEOUT_MS = 30_000;
/** Longest a readiness probe waits for the server. */
export const PING_TIMEOUT_MS = 2_000;
export const SUBSCRIPTION_BATCH_SIZE_DEFAULT = 500;
/** Marks the reads of an append, which must see every acknowledged write. */
const REQUIRES_LEADER = true;

export interface EsdbEventStoreOptions {
  /** An EventStoreDB connection string, e.g. `esdb://localhost:2113?tls=false`. */
  connectionString: string;
  /** Default `APPEND_TIMEOUT_MS`. */
  appendTimeoutMs?: number;
  /** Default `READ_TIMEOUT_MS`. */
  readTimeoutMs?: number;
  /** Default `PING_TIMEOUT_MS`. */
  pingTimeoutMs?: number;
}

/** The stream's last event as far as the chain needs it, or null when the stream does not exist. */
type StreamHead = { streamVersion: number; hash: string } | null;

type AppendPlan = { kind: 'replay'; result: AppendResult } | { kind: 'append'; after: StreamHead };

/**
 * The EventStoreDB event store (production profile, docs/adr/0003).
 *
 * - Stream versions are ESDB revisions; the global position is the `$all` commit position.
 * - The hash chain is per stream: ESDB has no multi-stream transaction and assigns positions
 *   only after the write, so each event links to the previous event of its own stream. The
 *   adapter reads that event, computes the hashes, and appends with the exact expected
 *   revision, so ESDB's optimistic concurrency makes "read head, link, write" atomic.
 * - Appends to one stream from this process run one after the other, so they do not race
 *   each other for the head, and a retried append finds the original already written.
 */
export class EsdbEventStore implements EventStore {
  private readonly streamLocks = new StreamLocks();
  private readonly subscriptions = new Set<EsdbSubscription>();
  private appendsPending = 0;
  private closed = false;
  private readonly appendTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly pingTimeoutMs: number;

  private constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions,
  ) {
    this.appendTimeoutMs = options.appendTimeoutMs ?? APPEND_TIMEOUT_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? READ_TIMEOUT_MS;
    this.pingTimeoutMs = options.pingTimeoutMs ?? PING_TIMEOUT_MS;
  }

  /** Connects and checks that the server answers; every call returns a store with its own client. */
  static async connect(options: EsdbEventStoreOptions): Promise<EsdbEventStore> {
    const client = EventStoreDBClient.connectionString(options.connectionString);
    const store = new EsdbEventStore(client, options);
    try {
      await store.ping();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertValidStreamId(streamId);
    assertValidExpectedVersion(options?.expectedVersion);
    const serialized = validateAppend(events);
    if (this.appendsPending >= APPEND_QUEUE_LENGTH_MAX) {
      throw new EventStoreError('STORE_UNAVAILABLE', `More than ${APPEND_QUEUE_LENGTH_MAX} appends are waiting; try again later.`, {
        queueLengthMax: APPEND_QUEUE_LENGTH_MAX,
      });
    }
    this.appendsPending += 1;
    try {
      return await this.streamLocks.run(streamId, () => this.appendInOrder(streamId, serialized, options.expectedVersion));
    } catch (error) {
      throw toStoreError(error);
    } finally {
      this.appendsPending -= 1;
    }
  }

  /** One append, while no other append of this process touches the stream. */
  private async appendInOrder(streamId: string, events: SerializedEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    const eventIds = events.map(({ event }) => event.eventId);
    for (let attempt = 1; ; attempt++) {
      const plan = await this.planAppend(streamId, eventIds, expected);
      if (plan.kind === 'replay') return plan.result;
      const chained = chainStreamEvents(streamId, events, plan.after, new Date().toISOString());
      try {
        const written = await this.client.appendToStream(streamId, chained.map(toEsdbEventData), {
          expectedRevision: toAppendExpectedRevision(plan.after ? plan.after.streamVersion : 'no_stream'),
          deadline: this.appendTimeoutMs,
        });
        return await this.confirmAppend(streamId, eventIds, written.nextExpectedRevision);
      } catch (error) {
        if ((error as { type?: unknown } | null)?.type !== ErrorType.WRONG_EXPECTED_VERSION) throw error;
        if (expected === 'any' || expected === 'stream_exists') {
          // Another process appended after our read of the head: the caller's expectation still
          // holds, only our link is stale. Re-read the head and link again.
          if (attempt < ANY_APPEND_ATTEMPTS_MAX) {
            await sleep(Math.random() * Math.min(ANY_APPEND_RETRY_DELAY_MS_MAX, 2 ** attempt));
            continue;
          }
          throw new EventStoreError(
            'STORE_UNAVAILABLE',
            `Stream "${streamId}" changed under ${ANY_APPEND_ATTEMPTS_MAX} attempts in a row; the append may be retried with the same event ids.`,
            { streamId, attempts: ANY_APPEND_ATTEMPTS_MAX },
          );
        }
        const actual = fromCurrentRevision((error as WrongExpectedVersionError).actualVersion);
        throw wrongExpectedVersion(streamId, expected, actual);
      }
    }
  }

  /**
   * Decides from the stream as it is now whether this append is a retry of an append already
   * written (same event ids right after the expected version: the original result is
   * returned), a conflict, or new events to link after the stream's head.
   */
  private async planAppend(streamId: string, eventIds: string[], expected: ExpectedVersion): Promise<AppendPlan> {
    const count = eventIds.length;
    const firstId = eventIds[0] as string;
    const lastId = eventIds[count - 1] as string;
    if (typeof expected === 'number') {
      const [head, next] = await this.readStreamRaw(streamId, FORWARDS, BigInt(expected), 2, REQUIRES_LEADER);
      if (!head || head.streamVersion !== expected) {
        throw wrongExpectedVersion(streamId, expected, await this.currentVersion(streamId));
      }
      if (!next) return { kind: 'append', after: head };
      const replay = next.eventId === firstId ? await this.replayAt(streamId, expected + 1, eventIds) : null;
      if (replay) return { kind: 'replay', result: replay };
      throw wrongExpectedVersion(streamId, expected, await this.currentVersion(streamId));
    }
    if (expected === 'no_stream') {
      const [first] = await this.readStreamRaw(streamId, FORWARDS, START, 1, REQUIRES_LEADER);
      if (!first) return { kind: 'append', after: null };
      const replay = first.eventId === firstId ? await this.replayAt(streamId, 0, eventIds) : null;
      if (replay) return { kind: 'replay', result: replay };
      throw wrongExpectedVersion(streamId, expected, await this.currentVersion(streamId));
    }
    // 'any' and 'stream_exists': link after whatever the head is now.
    const [last] = await this.readStreamRaw(streamId, BACKWARDS, END, 1, REQUIRES_LEADER);
    if (!last) {
      if (expected === 'stream_exists') throw wrongExpectedVersion(streamId, expected, 'no_stream');
      return { kind: 'append', after: null };
    }
    if (eventIds.includes(last.eventId)) {
      const firstVersion = last.streamVersion - count + 1;
      const replay = last.eventId === lastId && firstVersion >= 0 ? await this.replayAt(streamId, firstVersion, eventIds) : null;
      if (!replay) {
        throw new EventStoreError('DUPLICATE_EVENT_ID', 'Some of these event ids were already appended as part of another append.', {
          streamId,
          eventIds: [last.eventId],
        });
      }
      // As in the PostgreSQL adapter: a retry with 'stream_exists' of the append that created the stream is a conflict.
      if (expected === 'stream_exists' && firstVersion === 0) throw wrongExpectedVersion(streamId, expected, 'no_stream');
      return { kind: 'replay', result: replay };
    }
    return { kind: 'append', after: last };
  }

  /** The original result when the events from `firstVersion` on are exactly these event ids, else null. */
  private async replayAt(streamId: string, firstVersion: number, eventIds: string[]): Promise<AppendResult | null> {
    const stored = await this.readStreamRaw(streamId, FORWARDS, BigInt(firstVersion), eventIds.length, REQUIRES_LEADER);
    const same = stored.length === eventIds.length && stored.every((e, i) => e.eventId === eventIds[i] && e.streamVersion === firstVersion + i);
    const last = stored[stored.length - 1];
    return same && last ? { nextExpectedVersion: last.streamVersion, position: last.globalPosition } : null;
  }

  /**
   * Reads the last appended event back. ESDB acknowledges a re-sent append of event ids it
   * already holds as a success (idempotence); reading back makes the result the position of
   * the event actually stored, whether this call or an identical concurrent one wrote it.
   */
  private async confirmAppend(streamId: string, eventIds: string[], nextRevision: bigint): Promise<AppendResult> {
    const [stored] = await this.readStreamRaw(streamId, FORWARDS, nextRevision, 1, REQUIRES_LEADER);
    const lastId = eventIds[eventIds.length - 1];
    if (!stored || stored.eventId !== lastId) {
      throw new Error(`EventStoreDB acknowledged the append to "${streamId}" but revision ${nextRevision} does not hold event ${lastId}.`);
    }
    return { nextExpectedVersion: stored.streamVersion, position: stored.globalPosition };
  }

  private async currentVersion(streamId: string): Promise<number | 'no_stream'> {
    const [last] = await this.readStreamRaw(streamId, BACKWARDS, END, 1, REQUIRES_LEADER);
    return last ? last.streamVersion : 'no_stream';
  }

  async readStream(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidStreamId(streamId);
    assertValidCount(options.maxCount);
    const backwards = options.direction === 'backwards';
    let from: ReadRevision = backwards ? END : START;
    if (options.fromVersion !== undefined) {
      if (!Number.isSafeInteger(options.fromVersion) || options.fromVersion < 0) {
        throw new RangeError(`fromVersion must be a non-negative integer, got ${String(options.fromVersion)}`);
      }
      from = BigInt(options.fromVersion);
    }
    try {
      return await this.readStreamRaw(streamId, backwards ? BACKWARDS : FORWARDS, from, options.maxCount);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * Reads one stream; a stream that does not exist reads as empty. The reads of an append
   * require the leader, which has every acknowledged write (a follower may lag behind).
   */
  private async readStreamRaw(
    streamId: string,
    direction: typeof FORWARDS | typeof BACKWARDS,
    fromRevision: ReadRevision,
    maxCount: number,
    requiresLeader = false,
  ): Promise<RecordedEvent[]> {
    try {
      const resolved = await collect(this.client.readStream(streamId, { direction, fromRevision, maxCount, requiresLeader }), this.readTimeoutMs);
      const events: RecordedEvent[] = [];
      for (const { event } of resolved) {
        if (event && !isSystemEvent(event)) events.push(fromEsdbEvent(event));
      }
      return events;
    } catch (error) {
      if ((error as { type?: unknown } | null)?.type === ErrorType.STREAM_NOT_FOUND) return [];
      throw error;
    }
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidCount(options.maxCount);
    let cursor: ReadPosition = toReadPosition(options.fromPosition);
    // ESDB reads $all from a position inclusively; our checkpoints are exclusive.
    let atOrBefore: bigint | null = options.fromPosition === 'start' ? null : options.fromPosition;
    const events: RecordedEvent[] = [];
    try {
      // System events are filtered here (readAll of this client has no server-side filter),
      // so a page may yield fewer of our events than asked for: read on until enough or the end.
      while (events.length < options.maxCount) {
        const pageSize = options.maxCount - events.length + 1;
        const page = await collect<AllStreamResolvedEvent>(
          this.client.readAll({ direction: FORWARDS, fromPosition: cursor, maxCount: pageSize }),
          this.readTimeoutMs,
        );
        for (const { event } of page) {
          if (!event || (atOrBefore !== null && event.position.commit <= atOrBefore) || isSystemEvent(event)) continue;
          events.push(fromEsdbEvent(event));
          if (events.length === options.maxCount) break;
        }
        const last = page[page.length - 1]?.event;
        if (page.length < pageSize || !last) break;
        cursor = { commit: last.position.commit, prepare: last.position.prepare };
        atOrBefore = last.position.commit;
      }
    } catch (error) {
      throw toStoreError(error);
    }
    return events;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const fromPosition = toReadPosition(options.fromPosition);
    const batchSizeMax = options.batchSizeMax ?? SUBSCRIPTION_BATCH_SIZE_DEFAULT;
    assertValidCount(batchSizeMax);
    const subscription = new EsdbSubscription({
      after: options.fromPosition === 'start' ? null : options.fromPosition,
      open: () =>
        // The readable's high-water mark bounds how far the subscription reads ahead of the consumer.
        this.client.subscribeToAll({ fromPosition, filter: excludeSystemEvents() }, { highWaterMark: batchSizeMax }),
      onStop: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    try {
      await collect(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }), this.pingTimeoutMs);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
    // dispose() cancels the client's calls but leaves its gRPC channel open; close it so
    // that nothing keeps the process alive after close().
    const internals = this.client as unknown as { getChannel?: () => Promise<{ close(): void }> };
    await internals.getChannel?.().then(
      (channel) => channel.close(),
      () => undefined,
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs tasks one after the other per stream id; streams are independent. */
class StreamLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(streamId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    let release = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(streamId, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(streamId) === tail) this.tails.delete(streamId);
    }
  }
}

/** Reads a whole (bounded) read into memory, failing with STORE_UNAVAILABLE after `timeoutMs`. */
async function collect<E>(read: StreamingRead<E>, timeoutMs: number): Promise<E[]> {
  const items: E[] = [];
  const reading = (async () => {
    for await (const item of read) items.push(item);
    return items;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EventStoreError('STORE_UNAVAILABLE', `EventStoreDB did not answer within ${timeoutMs} ms.`, { timeoutMs })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([reading, timeout]);
  } catch (error) {
    // A read that lost the race must neither keep its call open nor reject unobserved.
    reading.catch(() => undefined);
    await read.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

interface EsdbSubscriptionOptions {
  /** Deliver only events strictly after this position; null for everything. */
  after: bigint | null;
  open(): AllStreamSubscription;
  onStop(subscription: EsdbSubscription): void;
}

/**
 * A catch-up subscription on `$all` without system events. EventStoreDB already starts
 * strictly after the given position; the position check here also guarantees that no event
 * is delivered twice or out of order. Back-pressure comes from the client's readable stream.
 */
class EsdbSubscription implements Subscription {
  private stopped = false;
  private iterated = false;
  private source: AllStreamSubscription | null = null;
  private releasing: Promise<void> | null = null;

  constructor(private readonly options: EsdbSubscriptionOptions) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('a subscription can be iterated only once');
    this.iterated = true;
    if (this.stopped) return;
    const source = this.options.open();
    this.source = source;
    let last = this.options.after;
    try {
      for await (const resolved of source) {
        if (this.stopped) return;
        const event = resolved.event;
        if (!event || isSystemEvent(event)) continue;
        if (last !== null && event.position.commit <= last) continue;
        last = event.position.commit;
        yield fromEsdbEvent(event);
      }
    } catch (error) {
      // stop() ends the underlying stream early; that is how iteration ends, not a failure.
      if (this.stopped) return;
      throw toStoreError(error);
    } finally {
      await this.release();
    }
  }

  /** No event is delivered after `stop()`; it resolves once the server-side subscription is cancelled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.release();
  }

  private release(): Promise<void> {
    this.releasing ??= (async () => {
      const source = this.source;
      if (source) {
        await source.unsubscribe().catch(() => undefined);
        source.destroy();
      }
      this.options.onStop(this);
    })();
    return this.releasing;
  }
}

/** Maps the client's errors to our codes; anything unexpected passes through unchanged. */
function toStoreError(error: unknown): unknown {
  if (error instanceof EventStoreError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const e = error as WrongExpectedVersionError;
      return wrongExpectedVersion(e.streamName, String(e.expectedVersion), fromCurrentRevision(e.actualVersion));
    }
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new EventStoreError(
        'EVENT_TOO_LARGE',
        'The append is larger than EventStoreDB accepts in one append (its MaxAppendSize setting); split it or raise the setting.',
        { maxAppendSizeBytes: (error as { maxAppendSize?: number }).maxAppendSize },
      );
    case ErrorType.UNAVAILABLE:
    case ErrorType.DEADLINE_EXCEEDED:
    case ErrorType.TIMEOUT:
    case ErrorType.NOT_LEADER:
    case ErrorType.CANCELLED:
      return new EventStoreError(
        'STORE_UNAVAILABLE',
        'EventStoreDB is not reachable or did not answer in time; the append may be retried with the same event ids.',
        { cause: type },
      );
  }
  // Cluster discovery fails with a plain Error before any call is made.
  if (error instanceof Error && error.message.startsWith('Failed to discover')) {
    return new EventStoreError('STORE_UNAVAILABLE', error.message, { cause: 'discovery' });
  }
  return error;
}
