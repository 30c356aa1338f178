import { EventStoreError } from '../errors';
import { GENESIS_HASH } from '../hash-chain';
import { newTestEvent } from '../test-support';
import { validateAppend } from '../validation';
import { planBatch, type AppendRequest, type BatchState } from './batch-plan';

const state = (overrides: Partial<BatchState> = {}): BatchState => ({
  head: { position: 10n, hash: GENESIS_HASH },
  recordedAt: '2026-01-01T00:00:00.000Z',
  streamVersions: new Map([['existing', 4]]),
  existingEvents: new Map(),
  ...overrides,
});
const request = (streamId: string, expectedVersion: AppendRequest['expectedVersion'], count = 1): AppendRequest => ({
  streamId,
  expectedVersion,
  events: validateAppend(Array.from({ length: count }, () => newTestEvent())),
});

describe('planBatch (one group commit)', () => {
  it('checks each append on its own: a conflict fails alone and takes no position', () => {
    const plan = planBatch([request('a', 'no_stream', 2), request('existing', 3), request('existing', 4)], state());
    expect(plan.results[0]).toEqual({ nextExpectedVersion: 1, position: 12n });
    expect(plan.results[1]).toBeInstanceOf(EventStoreError);
    expect((plan.results[1] as EventStoreError).code).toBe('WRONG_EXPECTED_VERSION');
    expect(plan.results[2]).toEqual({ nextExpectedVersion: 5, position: 13n });
    expect(plan.events.map((e) => e.globalPosition)).toEqual([11n, 12n, 13n]);
    expect(plan.head.position).toBe(13n);
  });

  it('sees the effect of earlier appends in the same batch', () => {
    const plan = planBatch([request('s', 'no_stream'), request('s', 'no_stream'), request('s', 0)], state());
    expect((plan.results[1] as EventStoreError).code).toBe('WRONG_EXPECTED_VERSION');
    expect(plan.results[2]).toEqual({ nextExpectedVersion: 1, position: 12n });
  });

  it('chains hashes through the batch starting at the head', () => {
    const plan = planBatch([request('x', 'any', 3)], state());
    expect(plan.events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(plan.events[1]?.prevHash).toBe(plan.events[0]?.hash);
    expect(plan.events[2]?.prevHash).toBe(plan.events[1]?.hash);
    expect(plan.head.hash).toBe(plan.events[2]?.hash);
    expect(plan.events.every((e) => e.metadata.recordedAt === '2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('answers a retry within the same batch with the original result', () => {
    const original = request('r', 'no_stream', 2);
    const plan = planBatch([original, { ...original }], state());
    expect(plan.results[1]).toEqual(plan.results[0]);
    expect(plan.events).toHaveLength(2);
  });

  it('refuses event ids reused in another stream', () => {
    const original = request('r', 'no_stream');
    const plan = planBatch([original, { ...original, streamId: 'other' }], state());
    expect((plan.results[1] as EventStoreError).code).toBe('DUPLICATE_EVENT_ID');
  });
});
