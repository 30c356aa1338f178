import { newEventMetadataSchema, type NewEvent } from '@neuroerp/schemas';
import { EventStoreError } from './errors';
import {
  EVENTS_PER_APPEND_MAX,
  EVENT_SIZE_BYTES_MAX,
  READ_COUNT_MAX,
  STREAM_ID_LENGTH_MAX,
  type ExpectedVersion,
} from './port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Stream ids are readable names like `ledger.transaction-<uuid>`: no whitespace, no control
// characters, and not starting with `$` (reserved for system streams in EventStoreDB).
const STREAM_ID = /^[^\s$\p{Cc}][^\s\p{Cc}]*$/u;
// An escape sequence `\udXXX` that is not itself escaped (preceded by an even number of backslashes).
const LONE_SURROGATE_ESCAPE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;
const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function assertValidStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > STREAM_ID_LENGTH_MAX || !STREAM_ID.test(streamId)) {
    throw new EventStoreError(
      'INVALID_STREAM_ID',
      `Stream id must be 1..${STREAM_ID_LENGTH_MAX} characters without whitespace or control characters and must not start with "$".`,
      { streamId: typeof streamId === 'string' ? streamId.slice(0, STREAM_ID_LENGTH_MAX) : typeof streamId },
    );
  }
}

export function assertValidExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  const valid =
    expected === 'any' ||
    expected === 'no_stream' ||
    expected === 'stream_exists' ||
    (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0);
  if (!valid) {
    throw new EventStoreError(
      'INVALID_EXPECTED_VERSION',
      'expectedVersion must be "any", "no_stream", "stream_exists" or a non-negative integer.',
      { expectedVersion: String(expected) },
    );
  }
}

export function assertValidCount(maxCount: unknown): asserts maxCount is number {
  if (typeof maxCount !== 'number' || !Number.isSafeInteger(maxCount) || maxCount < 1 || maxCount > READ_COUNT_MAX) {
    throw new RangeError(`maxCount must be an integer in 1..${READ_COUNT_MAX}, got ${String(maxCount)}`);
  }
}

/** The JSON text of one event's data and metadata, as stored; its length is the event's size. */
export interface SerializedEvent {
  event: NewEvent;
  dataJson: string;
  metadataJson: string;
}

/**
 * Checks a whole append before anything is written and returns the serialized events,
 * so that each event is serialized exactly once on the hot path.
 */
export function validateAppend(events: readonly NewEvent[]): SerializedEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw new EventStoreError('EMPTY_APPEND', 'An append must contain at least one event.');
  }
  if (events.length > EVENTS_PER_APPEND_MAX) {
    throw new EventStoreError('INVALID_EVENT', `An append may hold at most ${EVENTS_PER_APPEND_MAX} events.`, {
      count: events.length,
    });
  }
  const seen = new Set<string>();
  return events.map((event, index) => {
    const fail = (reason: string): never => {
      throw new EventStoreError('INVALID_EVENT', `Event #${index} is invalid: ${reason}.`, { index });
    };
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) fail('eventId must be a UUID');
    const eventId = event.eventId.toLowerCase();
    if (seen.has(eventId)) fail(`eventId ${eventId} appears twice in the append`);
    seen.add(eventId);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type) || event.type.length > 100) {
      fail('type must look like "context.fact" (lower case, dot separated, at most 100 characters)');
    }
    if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) fail('schemaVersion must be a positive integer');
    const metadata = newEventMetadataSchema.safeParse(event.metadata);
    if (!metadata.success) fail(`metadata: ${metadata.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const dataJson = JSON.stringify(event.data);
    if (dataJson === undefined) fail('data must be JSON');
    const metadataJson = JSON.stringify(event.metadata);
    // PostgreSQL's jsonb cannot hold U+0000; refusing it everywhere keeps adapters interchangeable.
    if (NUL_ESCAPE.test(dataJson) || NUL_ESCAPE.test(metadataJson)) fail('data must not contain the NUL character');
    // JSON.stringify escapes lone UTF-16 surrogates; no JSON store can keep them as text.
    if (LONE_SURROGATE_ESCAPE.test(dataJson) || LONE_SURROGATE_ESCAPE.test(metadataJson)) {
      fail('data must be well-formed Unicode (found a lone surrogate)');
    }
    const size = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (size > EVENT_SIZE_BYTES_MAX) {
      throw new EventStoreError(
        'EVENT_TOO_LARGE',
        `Event #${index} is ${size} bytes; the maximum is ${EVENT_SIZE_BYTES_MAX} bytes (data and metadata as JSON).`,
        { index, sizeBytes: size, sizeBytesMax: EVENT_SIZE_BYTES_MAX },
      );
    }
    return { event: { ...event, eventId }, dataJson, metadataJson };
  });
}
