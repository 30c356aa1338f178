import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';

/**
 * What the writer expects of the stream before its append:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream has no events yet;
 * - `'stream_exists'`: the stream has at least one event;
 * - a number: the version of the stream's last event (versions start at 0).
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  /** The version of the stream's last event after the append: the next expected version. */
  nextExpectedVersion: number;
  /** The global position of the last appended event. */
  position: bigint;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** First version to return; defaults to the start (forwards) or the end (backwards). */
  fromVersion?: number;
  maxCount: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position (a checkpoint); `'start'` reads from the beginning. */
  fromPosition: bigint | 'start';
  maxCount: number;
}

export interface SubscribeToAllOptions {
  /** Deliver events strictly after this position (a checkpoint); `'start'` delivers everything. */
  fromPosition: bigint | 'start';
  /** How many events the subscription fetches ahead of the consumer at most. */
  batchSizeMax?: number;
}

/**
 * A catch-up subscription: delivers every recorded event after the start position in
 * position order, then waits for new ones. It is pull-based (a slow consumer slows the
 * reading down, nothing piles up in memory); `stop()` ends the iteration cleanly.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  stop(): Promise<void>;
}

/** The event store port: the only way anything in NeuroERP reads or writes events. */
export interface EventStore {
  appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /** Resolves when the store answers; used by readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Limits shared by every adapter. */
export const EVENT_SIZE_BYTES_MAX = 1024 * 1024;
export const STREAM_ID_LENGTH_MAX = 200;
export const READ_COUNT_MAX = 10_000;
export const EVENTS_PER_APPEND_MAX = 10_000;
