import type { RecordedEvent } from '@neuroerp/schemas';
import { ChainVerifier, GENESIS_HASH, computeEventHash } from './hash-chain';

function chain(length: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= length; i++) {
    const unhashed = {
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      streamId: 'ledger-1',
      streamVersion: i - 1,
      globalPosition: BigInt(i),
      type: 'ledger.transaction_posted',
      schemaVersion: 1,
      data: { amountMinor: String(i * 100), currency: 'EUR' },
      metadata: {
        actor: { userId: 'u', role: 'accountant' },
        correlationId: 'c',
        causationId: null,
        occurredAt: '2026-01-01T00:00:00.000Z',
        requestId: null,
        recordedAt: '2026-01-01T00:00:00.000Z',
      },
      prevHash,
    };
    prevHash = computeEventHash(unhashed);
    events.push({ ...unhashed, hash: prevHash });
  }
  return events;
}

describe('hash chain', () => {
  it('hashes the canonical form: key order does not matter, content does', () => {
    const [event] = chain(1) as [RecordedEvent];
    const reordered = { ...event, data: { currency: 'EUR', amountMinor: '100' } };
    expect(computeEventHash(reordered)).toBe(event.hash);
    expect(computeEventHash({ ...event, data: { amountMinor: '101', currency: 'EUR' } })).not.toBe(event.hash);
    expect(computeEventHash({ ...event, globalPosition: 2n })).not.toBe(event.hash);
    expect(computeEventHash({ ...event, prevHash: 'f'.repeat(64) })).not.toBe(event.hash);
  });

  it('accepts an intact chain and its head', () => {
    const events = chain(5);
    const verifier = new ChainVerifier();
    expect(events.every((e) => verifier.check(e))).toBe(true);
    verifier.checkHead({ position: 5n, hash: (events[4] as RecordedEvent).hash });
    expect(verifier.result()).toMatchObject({ eventsChecked: 5, headPosition: 5n, firstBreak: null });
  });

  it.each<[string, (events: RecordedEvent[]) => RecordedEvent[], string, bigint]>([
    ['an edited event', (e) => e.map((x, i) => (i === 2 ? { ...x, data: { amountMinor: '1' } } : x)), 'hash_mismatch', 3n],
    ['a deleted event', (e) => e.filter((_, i) => i !== 1), 'prev_hash_mismatch', 3n],
    ['swapped events', (e) => [e[0], e[2], e[1], e[3], e[4]] as RecordedEvent[], 'prev_hash_mismatch', 3n],
    ['a moved event', (e) => [e[0], e[1], { ...e[1], globalPosition: 2n }] as RecordedEvent[], 'position_not_increasing', 2n],
    ['a re-hashed edit', (e) => e.map((x, i) => (i === 0 ? { ...x, data: {}, hash: computeEventHash({ ...x, data: {} }) } : x)), 'prev_hash_mismatch', 2n],
  ])('finds %s', (_name, mutate, kind, position) => {
    const verifier = new ChainVerifier();
    for (const event of mutate(chain(5))) if (!verifier.check(event)) break;
    expect(verifier.result().firstBreak).toMatchObject({ kind, position });
  });

  it('finds a missing tail against the recorded head', () => {
    const events = chain(5);
    const verifier = new ChainVerifier();
    events.slice(0, 3).forEach((e) => verifier.check(e));
    verifier.checkHead({ position: 5n, hash: (events[4] as RecordedEvent).hash });
    expect(verifier.result().firstBreak).toMatchObject({ kind: 'head_mismatch', position: 5n });
  });
});
