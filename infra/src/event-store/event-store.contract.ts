import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';
import { EventStoreError, type EventStoreErrorCode } from './errors';
import { EVENT_SIZE_BYTES_MAX, type EventStore, type ExpectedVersion } from './port';
import { newTestEvent, uniqueStreamId } from './test-support';

/**
 * How a contract run reaches the adapter under test. `connect` may be called several
 * times: every store it returns must see the same events (several writers, one log).
 */
export interface EventStoreUnderTest {
  connect(): Promise<EventStore>;
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** When set, the adapter cannot be reached here: every case is reported as skipped with this reason. */
  skipReason?: string;
  /** Runs of the no-skip test (8 writers × `appendsPerWriter` while a reader catches up). */
  noSkipRuns?: number;
  appendsPerWriter?: number;
}

async function expectCode(promise: Promise<unknown>, code: EventStoreErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventStoreError);
  expect((error as EventStoreError).code).toBe(code);
}

/**
 * The one contract every EventStore adapter must pass (STYLE.md: one suite per port).
 */
export function describeEventStoreContract(
  adapterName: string,
  setup: () => Promise<EventStoreUnderTest>,
  options: ContractOptions = {},
): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    if (options.skipReason) {
      // Visible in the test report and in the log, never a silent skip.
      console.warn(`EventStore contract for ${adapterName} skipped: ${options.skipReason}`);
      it.skip(`skipped: ${options.skipReason}`, () => undefined);
      return;
    }

    let underTest: EventStoreUnderTest;
    let store: EventStore;
    beforeAll(async () => {
      underTest = await setup();
      store = await underTest.connect();
    });
    afterAll(async () => {
      await store?.close();
      await underTest?.dispose();
    });

    async function streamAtVersion(version: number | 'no_stream'): Promise<string> {
      const streamId = uniqueStreamId();
      if (version !== 'no_stream') {
        const events = Array.from({ length: version + 1 }, () => newTestEvent());
        await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
      }
      return streamId;
    }

    describe('expected version', () => {
      it.each<[string, number | 'no_stream', ExpectedVersion, EventStoreErrorCode | number]>([
        ['new stream, any', 'no_stream', 'any', 0],
        ['new stream, no_stream', 'no_stream', 'no_stream', 0],
        ['new stream, stream_exists', 'no_stream', 'stream_exists', 'WRONG_EXPECTED_VERSION'],
        ['new stream, 0', 'no_stream', 0, 'WRONG_EXPECTED_VERSION'],
        ['stream at 1, any', 1, 'any', 2],
        ['stream at 1, no_stream', 1, 'no_stream', 'WRONG_EXPECTED_VERSION'],
        ['stream at 1, stream_exists', 1, 'stream_exists', 2],
        ['stream at 1, 1', 1, 1, 2],
        ['stream at 1, 0 (stale)', 1, 0, 'WRONG_EXPECTED_VERSION'],
        ['stream at 1, 2 (ahead)', 1, 2, 'WRONG_EXPECTED_VERSION'],
        ['stream at 0, 0', 0, 0, 1],
      ])('%s', async (_name, version, expectedVersion, outcome) => {
        const streamId = await streamAtVersion(version);
        const append = store.appendToStream(streamId, [newTestEvent()], { expectedVersion });
        if (typeof outcome === 'string') {
          await expectCode(append, outcome);
          const events = await store.readStream(streamId, { maxCount: 100 });
          expect(events).toHaveLength(version === 'no_stream' ? 0 : version + 1);
        } else {
          expect((await append).nextExpectedVersion).toBe(outcome);
        }
      });

      it.each<[string, unknown]>([
        ['negative', -1],
        ['fractional', 1.5],
        ['unknown word', 'latest'],
        ['missing', undefined],
        ['string number', '3'],
      ])('rejects an invalid expected version (%s)', async (_name, expectedVersion) => {
        const streamId = uniqueStreamId();
        await expectCode(
          store.appendToStream(streamId, [newTestEvent()], { expectedVersion: expectedVersion as ExpectedVersion }),
          'INVALID_EXPECTED_VERSION',
        );
      });

      it('returns the next expected version and a position that grows', async () => {
        const streamId = uniqueStreamId();
        const first = await store.appendToStream(streamId, [newTestEvent(), newTestEvent()], { expectedVersion: 'no_stream' });
        const second = await store.appendToStream(streamId, [newTestEvent()], { expectedVersion: first.nextExpectedVersion });
        expect(first.nextExpectedVersion).toBe(1);
        expect(second.nextExpectedVersion).toBe(2);
        expect(second.position).toBeGreaterThan(first.position);
        const events = await store.readStream(streamId, { maxCount: 10 });
        expect(events.map((e) => e.globalPosition)).toContain(second.position);
      });

      it('lets exactly one of many concurrent appends at the same expected version win', async () => {
        const streamId = await streamAtVersion(0);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.appendToStream(streamId, [newTestEvent()], { expectedVersion: 0 })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
          expect((o.reason as EventStoreError).code).toBe('WRONG_EXPECTED_VERSION');
        }
        expect(await store.readStream(streamId, { maxCount: 100 })).toHaveLength(2);
      });
    });

    describe('idempotent retries', () => {
      it('re-appending the same event ids at the same expected version returns the original result', async () => {
        const streamId = uniqueStreamId();
        const events = [newTestEvent(), newTestEvent()];
        const original = await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
        await store.appendToStream(uniqueStreamId(), [newTestEvent()], { expectedVersion: 'no_stream' });
        const retried = await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
        expect(retried).toEqual(original);
        expect(await store.readStream(streamId, { maxCount: 10 })).toHaveLength(2);
      });

      it('concurrent retries of one append write it once', async () => {
        const streamId = uniqueStreamId();
        const events = [newTestEvent()];
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.appendToStream(streamId, events, { expectedVersion: 'no_stream' })),
        );
        for (const result of results) expect(result).toEqual(results[0]);
        expect(await store.readStream(streamId, { maxCount: 10 })).toHaveLength(1);
      });

      it('the same event ids at a different expected version is a conflict', async () => {
        const streamId = uniqueStreamId();
        const events = [newTestEvent()];
        await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
        await expectCode(store.appendToStream(streamId, events, { expectedVersion: 3 }), 'WRONG_EXPECTED_VERSION');
      });
    });

    describe('reading', () => {
      let streamId: string;
      let appended: NewEvent[];
      beforeAll(async () => {
        streamId = uniqueStreamId();
        appended = Array.from({ length: 10 }, (_, i) => newTestEvent({ index: i }));
        await store.appendToStream(streamId, appended, { expectedVersion: 'no_stream' });
      });

      it('reads a stream forwards with the full envelope', async () => {
        const events = await store.readStream(streamId, { maxCount: 100 });
        expect(events.map((e) => e.streamVersion)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(events.map((e) => e.eventId)).toEqual(appended.map((e) => e.eventId));
        const first = events[0] as RecordedEvent;
        expect(first).toMatchObject({ streamId, type: 'test.happened', schemaVersion: 1, data: { index: 0 } });
        expect(first.metadata).toMatchObject(appended[0]?.metadata as object);
        expect(new Date(first.metadata.recordedAt).toISOString()).toBe(first.metadata.recordedAt);
        expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(first.prevHash).toMatch(/^[0-9a-f]{64}$/);
      });

      it('reads forwards from a version with a bounded count', async () => {
        const events = await store.readStream(streamId, { fromVersion: 3, maxCount: 4 });
        expect(events.map((e) => e.streamVersion)).toEqual([3, 4, 5, 6]);
      });

      it('reads backwards from the end and from a version', async () => {
        expect((await store.readStream(streamId, { direction: 'backwards', maxCount: 3 })).map((e) => e.streamVersion)).toEqual([9, 8, 7]);
        expect(
          (await store.readStream(streamId, { direction: 'backwards', fromVersion: 2, maxCount: 10 })).map((e) => e.streamVersion),
        ).toEqual([2, 1, 0]);
      });

      it('reads nothing from a stream that does not exist', async () => {
        expect(await store.readStream(uniqueStreamId(), { maxCount: 10 })).toEqual([]);
      });

      it('reads the global log in position order, strictly after a checkpoint', async () => {
        const events = await store.readStream(streamId, { maxCount: 100 });
        const from = (events[4] as RecordedEvent).globalPosition;
        const after = await store.readAll({ fromPosition: from, maxCount: 5 });
        expect(after).toHaveLength(5);
        expect(after[0]?.globalPosition).toBeGreaterThan(from);
        for (let i = 1; i < after.length; i++) {
          expect((after[i] as RecordedEvent).globalPosition).toBeGreaterThan((after[i - 1] as RecordedEvent).globalPosition);
        }
        expect(after.map((e) => e.eventId)).toEqual(events.slice(5, 10).map((e) => e.eventId));
      });
    });

    describe('bad input', () => {
      it.each<[string, unknown]>([
        ['empty', ''],
        ['leading space', ' ledger-1'],
        ['inner space', 'ledger 1'],
        ['newline', 'ledger\n1'],
        ['NUL', 'ledger\u00001'],
        ['system prefix', '$all'],
        ['too long', 'x'.repeat(201)],
        ['not a string', 42],
      ])('rejects a stream id that is %s', async (_name, streamId) => {
        await expectCode(store.appendToStream(streamId as string, [newTestEvent()], { expectedVersion: 'any' }), 'INVALID_STREAM_ID');
      });

      it.each<[string, () => NewEvent[], EventStoreErrorCode]>([
        ['an empty append', () => [], 'EMPTY_APPEND'],
        ['an event over the size limit', () => [newTestEvent({ blob: 'x'.repeat(EVENT_SIZE_BYTES_MAX) })], 'EVENT_TOO_LARGE'],
        ['an event id that is not a UUID', () => [{ ...newTestEvent(), eventId: 'abc' }], 'INVALID_EVENT'],
        ['one event id twice', () => { const e = newTestEvent(); return [e, e]; }, 'INVALID_EVENT'],
        ['a badly formed type', () => [newTestEvent({}, 'Bad Type')], 'INVALID_EVENT'],
        ['a schema version of 0', () => [{ ...newTestEvent(), schemaVersion: 0 }], 'INVALID_EVENT'],
        ['a NUL character in data', () => [newTestEvent({ text: 'a\u0000b' })], 'INVALID_EVENT'],
        ['a lone surrogate in data', () => [newTestEvent({ text: 'a\ud800b' })], 'INVALID_EVENT'],
        ['data that is not JSON', () => [{ ...newTestEvent(), data: undefined }], 'INVALID_EVENT'],
        ['metadata without actor', () => [{ ...newTestEvent(), metadata: { ...newTestEvent().metadata, actor: undefined } } as unknown as NewEvent], 'INVALID_EVENT'],
      ])('rejects %s and writes nothing', async (_name, events, code) => {
        const streamId = uniqueStreamId();
        await expectCode(store.appendToStream(streamId, events(), { expectedVersion: 'any' }), code);
        expect(await store.readStream(streamId, { maxCount: 10 })).toEqual([]);
      });

      it('accepts an event just under the size limit', async () => {
        const streamId = uniqueStreamId();
        const event = newTestEvent({ blob: 'x'.repeat(EVENT_SIZE_BYTES_MAX - 2000) });
        await store.appendToStream(streamId, [event], { expectedVersion: 'no_stream' });
        const [read] = await store.readStream(streamId, { maxCount: 1 });
        expect((read?.data as { blob: string }).blob).toHaveLength(EVENT_SIZE_BYTES_MAX - 2000);
      });

      it('keeps unicode payloads and stream ids exactly', async () => {
        const streamId = `Rechnung-Größe-✓-${uniqueStreamId()}`;
        const data = {
          text: 'Grüße 👋🏽 日本語 עברית مرحبا e\u0301 "quoted" \\ back\\slash \t tab',
          nested: { 'ключ': ['Ω', '€', '😀'] },
          numbers: [0, -1, 1.5, 1e21, 123456789.123],
        };
        await store.appendToStream(streamId, [newTestEvent(data)], { expectedVersion: 'no_stream' });
        const [read] = await store.readStream(streamId, { maxCount: 1 });
        expect(read?.streamId).toBe(streamId);
        expect(read?.data).toEqual(data);
      });

      it('rejects a conflicting append without affecting others in the same moment', async () => {
        const conflicting = await streamAtVersion(0);
        const fine = Array.from({ length: 5 }, () => uniqueStreamId());
        const outcomes = await Promise.allSettled([
          store.appendToStream(conflicting, [newTestEvent()], { expectedVersion: 7 }),
          ...fine.map((id) => store.appendToStream(id, [newTestEvent()], { expectedVersion: 'no_stream' })),
        ]);
        expect(outcomes[0]?.status).toBe('rejected');
        expect(outcomes.slice(1).every((o) => o.status === 'fulfilled')).toBe(true);
      });
    });

    describe('subscription', () => {
      it('catches up, goes live, and stops cleanly', async () => {
        const head = await store.readAll({ fromPosition: 'start', maxCount: 10_000 });
        const checkpoint = head.length > 0 ? (head[head.length - 1] as RecordedEvent).globalPosition : 'start';
        const streamId = uniqueStreamId();
        await store.appendToStream(streamId, [newTestEvent({ n: 1 }), newTestEvent({ n: 2 })], { expectedVersion: 'no_stream' });
        const subscription = store.subscribeToAll({ fromPosition: checkpoint, batchSizeMax: 1 });
        const seen: RecordedEvent[] = [];
        const live = setTimeout(() => void store.appendToStream(streamId, [newTestEvent({ n: 3 })], { expectedVersion: 1 }), 300);
        for await (const event of subscription) {
          if (event.streamId === streamId) seen.push(event);
          if (seen.length === 3) break;
        }
        clearTimeout(live);
        await subscription.stop();
        expect(seen.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
      });

      it('stops while waiting for new events', async () => {
        const all = await store.readAll({ fromPosition: 'start', maxCount: 10_000 });
        const last = all[all.length - 1] as RecordedEvent;
        const subscription = store.subscribeToAll({ fromPosition: last.globalPosition });
        const consumed = (async () => {
          let count = 0;
          for await (const event of subscription) {
            if (event) count += 1;
          }
          return count;
        })();
        await new Promise((resolve) => setTimeout(resolve, 200));
        await subscription.stop();
        // Nothing was appended after the checkpoint, and the consumer's loop has ended.
        await expect(consumed).resolves.toBe(0);
      });
    });

    describe('no event is ever skipped', () => {
      const runs = options.noSkipRuns ?? 2;
      const writers = 8;
      const appendsPerWriter = options.appendsPerWriter ?? 10_000;

      it.each(Array.from({ length: runs }, (_, i) => [i + 1]))(
        `run %i: ${writers} concurrent writers × ${appendsPerWriter} appends while a catch-up reader runs`,
        async () => {
          const latest = await store.readAll({ fromPosition: 'start', maxCount: 10_000 });
          let checkpoint: bigint | 'start' = 'start';
          // Start from the current end of the log; events of earlier cases are not counted.
          for (let batch = latest; batch.length > 0; batch = await store.readAll({ fromPosition: checkpoint, maxCount: 10_000 })) {
            checkpoint = (batch[batch.length - 1] as RecordedEvent).globalPosition;
          }
          const prefix = uniqueStreamId('noskip');
          const expected = writers * appendsPerWriter;
          const reader = store.subscribeToAll({ fromPosition: checkpoint, batchSizeMax: 1000 });
          const seen = new Map<string, number>();
          let lastPosition = checkpoint === 'start' ? 0n : checkpoint;
          let outOfOrder = 0;
          const reading = (async () => {
            for await (const event of reader) {
              if (event.globalPosition <= lastPosition) outOfOrder += 1;
              lastPosition = event.globalPosition;
              if (event.streamId.startsWith(prefix)) seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
              if (seen.size === expected) break;
            }
          })();
          const writerStores = await Promise.all(Array.from({ length: writers }, () => underTest.connect()));
          const appendedIds: string[] = [];
          await Promise.all(
            writerStores.map(async (writer, w) => {
              // Each writer keeps a few appends in flight so that commits interleave across connections.
              const inFlight = 16;
              let next = 0;
              await Promise.all(
                Array.from({ length: inFlight }, async () => {
                  while (next < appendsPerWriter) {
                    const i = next++;
                    const event = newTestEvent({ writer: w, i });
                    appendedIds.push(event.eventId);
                    await writer.appendToStream(`${prefix}-${w}-${i % 50}`, [event], { expectedVersion: 'any' });
                  }
                }),
              );
            }),
          );
          const timeout = setTimeout(() => void reader.stop(), 60_000);
          await reading;
          clearTimeout(timeout);
          await reader.stop();
          await Promise.all(writerStores.map((w) => w.close()));
          expect(outOfOrder).toBe(0);
          expect(seen.size).toBe(expected);
          expect([...seen.values()].every((count) => count === 1)).toBe(true);
          expect(appendedIds.every((id) => seen.has(id))).toBe(true);
        },
        // A liveness bound, not a speed gate: about 30 s on a quiet machine with 2 cores (docs/benchmarks.md), minutes beside other load.
        600_000,
      );
    });
  });
}
