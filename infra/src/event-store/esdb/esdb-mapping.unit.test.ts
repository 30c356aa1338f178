import { ANY, NO_STREAM, START, STREAM_EXISTS } from '@eventstore/db-client';
import type { RecordedEvent } from '@neuroerp/schemas';
import { GENESIS_HASH, computeEventHash } from '../hash-chain';
import type { ExpectedVersion } from '../port';
import { newTestEvent } from '../test-support';
import { validateAppend } from '../validation';
import {
  chainStreamEvents,
  computeStreamEventHash,
  findStreamChainBreak,
  fromCurrentRevision,
  fromEsdbEvent,
  isSystemEvent,
  parseEsdbMetadata,
  toAppendExpectedRevision,
  toEsdbEventData,
  toEsdbMetadata,
  toReadPosition,
  type EsdbStoredEvent,
  type StreamChainedEvent,
} from './esdb-mapping';

const RECORDED_AT = '2026-02-01T09:30:00.123Z';

function chained(streamId: string, count: number, previous: { streamVersion: number; hash: string } | null = null): StreamChainedEvent[] {
  const events = validateAppend(Array.from({ length: count }, (_, i) => newTestEvent({ index: i, amountMinor: '1250' })));
  return chainStreamEvents(streamId, events, previous, RECORDED_AT);
}

/** What the client hands back for an event the adapter wrote, as far as the mapping reads it. */
function stored(event: StreamChainedEvent, position: bigint): EsdbStoredEvent {
  const data = toEsdbEventData(event);
  return {
    streamId: event.streamId,
    id: data.id,
    revision: BigInt(event.streamVersion),
    type: data.type,
    isJson: true,
    // The server keeps JSON text; the client parses it back.
    data: JSON.parse(JSON.stringify(data.data)) as unknown,
    metadata: JSON.parse(JSON.stringify(data.metadata)) as unknown,
    position: { commit: position, prepare: position },
  };
}

describe('EventStoreDB mapping', () => {
  describe('expected version', () => {
    it.each<[ExpectedVersion, unknown]>([
      ['any', ANY],
      ['no_stream', NO_STREAM],
      ['stream_exists', STREAM_EXISTS],
      [0, 0n],
      [41, 41n],
      [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
    ])('maps %p to the expected revision %p', (expected, revision) => {
      expect(toAppendExpectedRevision(expected)).toBe(revision);
    });

    it.each<[Parameters<typeof fromCurrentRevision>[0], number | 'no_stream']>([
      [NO_STREAM, 'no_stream'],
      [-1n, 'no_stream'],
      [0n, 0],
      [7n, 7],
    ])('maps the current revision %p back to the stream version %p', (revision, version) => {
      expect(fromCurrentRevision(revision)).toBe(version);
    });

    it('refuses a revision beyond what a stream version can hold', () => {
      expect(() => fromCurrentRevision(2n ** 53n)).toThrow(RangeError);
    });
  });

  describe('positions', () => {
    it('reads from the start, or from the event at a commit position (commit = prepare)', () => {
      expect(toReadPosition('start')).toBe(START);
      expect(toReadPosition(1234n)).toEqual({ commit: 1234n, prepare: 1234n });
      expect(() => toReadPosition(-1n)).toThrow(RangeError);
    });

    it.each<[string, string, boolean]>([
      ['$statsCollected', '$stats-127.0.0.1:2113', true],
      ['$>', 'ledger-1', true],
      ['$metadata', '$$ledger-1', true],
      ['test.happened', '$ce-ledger', true],
      ['test.happened', 'ledger-1', false],
    ])('treats type %p in stream %p as a system event: %p', (type, streamId, system) => {
      expect(isSystemEvent({ type, streamId })).toBe(system);
    });
  });

  describe('per-stream hash chain', () => {
    it('links each event to the previous event of the same stream, from the genesis hash', () => {
      const events = chained('ledger-1', 3);
      expect(events.map((e) => e.streamVersion)).toEqual([0, 1, 2]);
      expect(events[0]?.prevHash).toBe(GENESIS_HASH);
      expect(events[1]?.prevHash).toBe(events[0]?.hash);
      expect(events[2]?.prevHash).toBe(events[1]?.hash);
      for (const event of events) {
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(computeStreamEventHash(event)).toBe(event.hash);
        expect(event.metadata.recordedAt).toBe(RECORDED_AT);
      }
    });

    it('continues after the stream head it is given', () => {
      const [head] = chained('ledger-1', 1) as [StreamChainedEvent];
      const next = chained('ledger-1', 2, head);
      expect(next.map((e) => e.streamVersion)).toEqual([1, 2]);
      expect(next[0]?.prevHash).toBe(head.hash);
    });

    it('hashes the canonical envelope without the global position', () => {
      const [event] = chained('ledger-1', 1) as [StreamChainedEvent];
      const { hash, ...unhashed } = event;
      expect(computeStreamEventHash({ ...unhashed, data: { amountMinor: '1250', index: 0 } })).toBe(hash);
      expect(computeStreamEventHash({ ...unhashed, data: { index: 0, amountMinor: '1251' } })).not.toBe(hash);
      expect(computeStreamEventHash({ ...unhashed, streamVersion: 1 })).not.toBe(hash);
      expect(computeStreamEventHash({ ...unhashed, prevHash: 'f'.repeat(64) })).not.toBe(hash);
      // A position is assigned by EventStoreDB after the write; it must not change the hash.
      expect(computeStreamEventHash({ ...unhashed, globalPosition: 99n } as typeof unhashed)).toBe(hash);
      // ...and the per-stream hash is not the global-chain hash of the PostgreSQL adapter.
      expect(computeEventHash({ ...unhashed, globalPosition: 0n })).not.toBe(hash);
    });

    it.each<[string, (events: RecordedEvent[]) => RecordedEvent[], string, number]>([
      ['an edited event', (e) => e.map((x, i) => (i === 1 ? { ...x, data: { index: 99 } } : x)), 'hash_mismatch', 1],
      ['a deleted event', (e) => e.filter((_, i) => i !== 1), 'version_gap', 2],
      ['a re-hashed edit', (e) => e.map((x, i) => (i === 0 ? { ...x, data: {}, hash: computeStreamEventHash({ ...x, data: {} }) } : x)), 'prev_hash_mismatch', 1],
    ])('finds %s in a stream', (_name, mutate, kind, streamVersion) => {
      const events = chained('ledger-1', 3).map((e, i) => ({ ...e, globalPosition: BigInt(100 + i) }));
      expect(findStreamChainBreak(events)).toBeNull();
      expect(findStreamChainBreak(mutate(events))).toEqual({ kind, streamVersion });
    });
  });

  describe('envelope to and from EventStoreDB', () => {
    it('keeps the event id and type, the data as JSON, and every other envelope field in the metadata', () => {
      const [event] = chained('ledger-1', 1) as [StreamChainedEvent];
      const data = toEsdbEventData(event);
      expect(data).toMatchObject({ id: event.eventId, type: 'test.happened', contentType: 'application/json', data: event.data });
      expect(data.metadata).toEqual({
        schemaVersion: 1,
        metadata: event.metadata,
        prevHash: GENESIS_HASH,
        hash: event.hash,
        hashChain: 'stream',
      });
      expect(toEsdbMetadata(event)).toEqual(data.metadata);
    });

    it('reads back the same envelope, with the commit position as the global position', () => {
      const events = chained('Rechnung-Größe-✓', 2);
      const read = events.map((e, i) => fromEsdbEvent(stored(e, 5000n + BigInt(i) * 300n)));
      expect(read).toEqual(events.map((e, i) => ({ ...e, globalPosition: 5000n + BigInt(i) * 300n })));
      expect(findStreamChainBreak(read)).toBeNull();
    });

    it('keeps data that is not an object', () => {
      for (const value of ['text', 42, null, [1, 'two'], true]) {
        const [event] = chainStreamEvents('s-1', validateAppend([newTestEvent(value)]), null, RECORDED_AT) as [StreamChainedEvent];
        expect(fromEsdbEvent(stored(event, 1n)).data).toEqual(value);
      }
    });

    it('fails loudly on an event the adapter did not write', () => {
      const [event] = chained('ledger-1', 1) as [StreamChainedEvent];
      const base = stored(event, 1n);
      expect(() => fromEsdbEvent({ ...base, metadata: undefined })).toThrow(/not written by the NeuroERP/);
      expect(() => fromEsdbEvent({ ...base, metadata: { ...(base.metadata as object), hash: 'x' } })).toThrow(/hash is missing/);
      expect(() => fromEsdbEvent({ ...base, isJson: false })).toThrow(/not JSON/);
      expect(() => fromEsdbEvent({ ...base, position: undefined })).toThrow(/22\.6 or later/);
      expect(() => parseEsdbMetadata(new Uint8Array([1]), 'Event x')).toThrow(/not a JSON object/);
    });
  });
});
