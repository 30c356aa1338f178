import type { RecordedEvent } from '@neuroerp/schemas';
import { EventStoreError, wrongExpectedVersion } from '../errors';
import { computeEventHash } from '../hash-chain';
import type { AppendResult, ExpectedVersion } from '../port';
import type { SerializedEvent } from '../validation';

export interface AppendRequest {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: SerializedEvent[];
}

/** Where an event id already lives: in the store, or earlier in the same batch. */
export interface ExistingEvent {
  streamId: string;
  streamVersion: number;
  globalPosition: bigint;
}

export interface BatchState {
  head: { position: bigint; hash: string };
  recordedAt: string;
  /** Current version per stream touched by the batch; absent = no stream. */
  streamVersions: Map<string, number>;
  existingEvents: Map<string, ExistingEvent>;
}

export interface BatchPlan {
  results: (AppendResult | EventStoreError)[];
  events: RecordedEvent[];
  /** Dependent JSON text per event, reused for the INSERT so nothing is serialized twice. */
  json: { data: string; metadata: string }[];
  head: { position: bigint; hash: string };
  streamVersions: Map<string, number>;
}

function expectationHolds(expected: ExpectedVersion, current: number | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === undefined;
  if (expected === 'stream_exists') return current !== undefined;
  return current === expected;
}

/**
 * An earlier append of exactly these events at this expected version is the same append
 * retried: it gets the original result. Any other reuse of an event id is refused.
 */
function replayOfEarlierAppend(request: AppendRequest, existing: Map<string, ExistingEvent>): AppendResult | EventStoreError | null {
  const found = request.events.map(({ event }) => existing.get(event.eventId));
  const known = found.filter((e): e is ExistingEvent => e !== undefined);
  if (known.length === 0) return null;
  const first = found[0];
  const sameAppend =
    known.length === found.length &&
    first !== undefined &&
    known.every((e, i) => e.streamId === request.streamId && e.streamVersion === first.streamVersion + i);
  if (!sameAppend) {
    return new EventStoreError('DUPLICATE_EVENT_ID', 'Some of these event ids were already appended as part of another append.', {
      streamId: request.streamId,
      eventIds: request.events.filter(({ event }) => existing.has(event.eventId)).map(({ event }) => event.eventId),
    });
  }
  const versionBefore = first.streamVersion - 1;
  const expected = request.expectedVersion;
  const sameExpectation =
    expected === 'any' ||
    (expected === 'no_stream' && versionBefore === -1) ||
    (expected === 'stream_exists' && versionBefore >= 0) ||
    expected === versionBefore;
  if (!sameExpectation) {
    return wrongExpectedVersion(request.streamId, expected, versionBefore < 0 ? 'no_stream' : versionBefore);
  }
  const last = known[known.length - 1] as ExistingEvent;
  return { nextExpectedVersion: last.streamVersion, position: last.globalPosition };
}

/**
 * Decides, for every append of a group commit in order, whether it is a retry, a conflict
 * or new events, and builds the new events with positions, versions and the hash chain.
 * Each append is checked on its own: one conflicting append fails alone.
 */
export function planBatch(requests: readonly AppendRequest[], state: BatchState): BatchPlan {
  const streamVersions = new Map(state.streamVersions);
  const existing = new Map(state.existingEvents);
  const events: RecordedEvent[] = [];
  const json: BatchPlan['json'] = [];
  let { position, hash } = state.head;

  const results = requests.map((request): AppendResult | EventStoreError => {
    const replay = replayOfEarlierAppend(request, existing);
    if (replay) return replay;
    const current = streamVersions.get(request.streamId);
    if (!expectationHolds(request.expectedVersion, current)) {
      return wrongExpectedVersion(request.streamId, request.expectedVersion, current ?? 'no_stream');
    }
    let version = current ?? -1;
    for (const { event, dataJson, metadataJson } of request.events) {
      position += 1n;
      version += 1;
      const metadata = { ...(JSON.parse(metadataJson) as object), recordedAt: state.recordedAt } as RecordedEvent['metadata'];
      const unhashed = {
        eventId: event.eventId,
        streamId: request.streamId,
        streamVersion: version,
        globalPosition: position,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: JSON.parse(dataJson) as unknown,
        metadata,
        prevHash: hash,
      };
      hash = computeEventHash(unhashed);
      events.push({ ...unhashed, hash });
      json.push({ data: dataJson, metadata: JSON.stringify(metadata) });
      existing.set(event.eventId, { streamId: request.streamId, streamVersion: version, globalPosition: position });
    }
    streamVersions.set(request.streamId, version);
    return { nextExpectedVersion: version, position };
  });

  return { results, events, json, head: { position, hash }, streamVersions };
}
