import {
  ANY,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  jsonEvent,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type JSONType,
  type ReadPosition,
} from '@eventstore/db-client';
import type { EventMetadata, RecordedEvent } from '@neuroerp/schemas';
import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import type { ExpectedVersion } from '../port';
import type { SerializedEvent } from '../validation';

/*
 * Pure mapping between the NeuroERP envelope and EventStoreDB (docs/adr/0003). No I/O here:
 * everything in this file is unit-tested without a server.
 */

/** An event with its place in its stream and its per-stream hash, before EventStoreDB assigns a position. */
export type StreamChainedEvent = Omit<RecordedEvent, 'globalPosition'>;

/** What the adapter keeps in an EventStoreDB event's metadata JSON: every envelope field ESDB has no slot for. */
export interface EsdbEventMetadata {
  schemaVersion: number;
  metadata: EventMetadata;
  prevHash: string;
  hash: string;
  /** Which chain `prevHash` links into: on EventStoreDB always the previous event of the same stream. */
  hashChain: 'stream';
}

/**
 * The fields of an event as the EventStoreDB client returns it (`RecordedEvent` of
 * `@eventstore/db-client`), reduced to what the mapping reads.
 */
export interface EsdbStoredEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: { commit: bigint; prepare: bigint };
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Our expected version as EventStoreDB's expected revision. ESDB revisions are our stream
 * versions (both start at 0), so a number maps one to one.
 */
export function toAppendExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** EventStoreDB's current revision (as reported by a wrong-expected-version error) as our stream version. */
export function fromCurrentRevision(current: CurrentRevision): number | 'no_stream' {
  if (current === NO_STREAM || current < 0n) return 'no_stream';
  return revisionToVersion(current);
}

export function revisionToVersion(revision: bigint): number {
  const version = Number(revision);
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`stream revision ${revision} is out of range`);
  return version;
}

/**
 * Our global position is the commit position of `$all`. Events EventStoreDB writes today are
 * implicitly committed, so each has its own commit position, equal to its prepare position;
 * `{ commit: p, prepare: p }` therefore addresses exactly the event at `p`.
 */
export function toReadPosition(position: bigint | 'start'): ReadPosition {
  if (position === 'start') return START;
  if (typeof position !== 'bigint' || position < 0n) throw new RangeError(`fromPosition must be "start" or a non-negative bigint, got ${String(position)}`);
  return { commit: position, prepare: position };
}

/** EventStoreDB's own events (`$`-prefixed types such as `$statsCollected`, `$>` links, `$`-streams) are not part of our log. */
export function isSystemEvent(event: { type: string; streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/**
 * The per-stream hash: SHA-256 over the RFC 8785 canonical JSON of the envelope without
 * its own `hash` and WITHOUT `globalPosition` (EventStoreDB assigns the position only after
 * the write, so it cannot be hashed). `prevHash` is the hash of the previous event of the
 * same stream, `GENESIS_HASH` for version 0 — compare `computeEventHash` (global chain).
 */
export function computeStreamEventHash(event: Omit<StreamChainedEvent, 'hash'>): string {
  // Readers hand in recorded events that carry a position; the per-stream hash never covers it.
  const { globalPosition: _position, ...withoutPosition } = event as Omit<StreamChainedEvent, 'hash'> & { globalPosition?: bigint };
  return computeEventHash(withoutPosition);
}

/**
 * Builds the events of one append: versions after `previous` (the stream's last event, or
 * `null` for a new stream), the adapter's `recordedAt`, and the per-stream hash chain.
 * Data and metadata are taken from their serialized JSON, so the hash covers exactly what a
 * reader gets back.
 */
export function chainStreamEvents(
  streamId: string,
  events: readonly SerializedEvent[],
  previous: { streamVersion: number; hash: string } | null,
  recordedAt: string,
): StreamChainedEvent[] {
  let version = previous ? previous.streamVersion : -1;
  let prevHash = previous ? previous.hash : GENESIS_HASH;
  return events.map(({ event, dataJson, metadataJson }) => {
    version += 1;
    const unhashed = {
      eventId: event.eventId,
      streamId,
      streamVersion: version,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: JSON.parse(dataJson) as unknown,
      metadata: { ...(JSON.parse(metadataJson) as object), recordedAt } as EventMetadata,
      prevHash,
    };
    const hash = computeStreamEventHash(unhashed);
    prevHash = hash;
    return { ...unhashed, hash };
  });
}

export function toEsdbMetadata(event: StreamChainedEvent): EsdbEventMetadata {
  return {
    schemaVersion: event.schemaVersion,
    metadata: event.metadata,
    prevHash: event.prevHash,
    hash: event.hash,
    hashChain: 'stream',
  };
}

/**
 * The event as the client appends it: our event id (EventStoreDB's idempotency key), our type,
 * the data as JSON and the rest of the envelope in the metadata JSON.
 */
export function toEsdbEventData(event: StreamChainedEvent): EventData {
  return jsonEvent({
    id: event.eventId,
    type: event.type,
    // Any JSON value is valid event data; the client serializes it with JSON.stringify.
    data: event.data as JSONType,
    metadata: toEsdbMetadata(event) as unknown as JSONType,
  });
}

/** Reads our envelope fields back from an EventStoreDB event's metadata; fails loudly on anything else. */
export function parseEsdbMetadata(metadata: unknown, where: string): EsdbEventMetadata {
  const fail = (reason: string): never => {
    throw new Error(`${where} was not written by the NeuroERP EventStoreDB adapter: ${reason}.`);
  };
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || metadata instanceof Uint8Array) {
    return fail('its metadata is not a JSON object');
  }
  const m = metadata as Partial<Record<keyof EsdbEventMetadata, unknown>>;
  if (typeof m.schemaVersion !== 'number' || !Number.isSafeInteger(m.schemaVersion) || m.schemaVersion < 1) fail('schemaVersion is missing');
  if (typeof m.metadata !== 'object' || m.metadata === null || typeof (m.metadata as { recordedAt?: unknown }).recordedAt !== 'string') {
    fail('metadata.recordedAt is missing');
  }
  if (typeof m.prevHash !== 'string' || !HASH.test(m.prevHash)) fail('prevHash is missing');
  if (typeof m.hash !== 'string' || !HASH.test(m.hash)) fail('hash is missing');
  return m as EsdbEventMetadata;
}

/** An EventStoreDB event as our envelope; `globalPosition` is its commit position in `$all`. */
export function fromEsdbEvent(stored: EsdbStoredEvent): RecordedEvent {
  const where = `Event ${stored.id} (revision ${stored.revision} of stream "${stored.streamId}")`;
  if (!stored.isJson) throw new Error(`${where} is not JSON.`);
  if (!stored.position) {
    // Reads of a single stream return positions only from EventStoreDB 22.6 on.
    throw new Error(`${where} came without its $all position; EventStoreDB 22.6 or later is required.`);
  }
  const envelope = parseEsdbMetadata(stored.metadata, where);
  return {
    eventId: stored.id.toLowerCase(),
    streamId: stored.streamId,
    streamVersion: revisionToVersion(stored.revision),
    globalPosition: stored.position.commit,
    type: stored.type,
    schemaVersion: envelope.schemaVersion,
    data: stored.data,
    metadata: envelope.metadata,
    prevHash: envelope.prevHash,
    hash: envelope.hash,
  };
}

export interface StreamChainBreak {
  kind: 'version_gap' | 'prev_hash_mismatch' | 'hash_mismatch';
  streamVersion: number;
}

/**
 * Checks the per-stream chain of one stream's events read forwards from version 0: each
 * event's `prevHash` is the hash of the event before it and its `hash` matches its content.
 * Returns the first break, or null when the chain is intact.
 */
export function findStreamChainBreak(events: readonly RecordedEvent[]): StreamChainBreak | null {
  let previousHash = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    if (event.streamVersion !== index) return { kind: 'version_gap', streamVersion: event.streamVersion };
    if (event.prevHash !== previousHash) return { kind: 'prev_hash_mismatch', streamVersion: event.streamVersion };
    if (computeStreamEventHash(event) !== event.hash) return { kind: 'hash_mismatch', streamVersion: event.streamVersion };
    previousHash = event.hash;
  }
  return null;
}
