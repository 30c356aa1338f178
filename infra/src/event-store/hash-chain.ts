import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RecordedEvent } from '@neuroerp/schemas';

/** The `prevHash` of the very first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The envelope fields a hash covers; `globalPosition` is absent where the store assigns it only after the write. */
export type HashedEnvelope = Omit<RecordedEvent, 'hash' | 'globalPosition'> & { globalPosition?: bigint };

/**
 * SHA-256 over the RFC 8785 canonical JSON of the envelope without its own `hash`
 * (so it covers `prevHash`). `globalPosition` enters as a decimal string because JSON
 * has no 64-bit integers; it is left out when the envelope has none (EventStoreDB).
 */
export function computeEventHash(event: HashedEnvelope): string {
  const canonical = canonicalize({
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    ...(event.globalPosition === undefined ? {} : { globalPosition: event.globalPosition.toString() }),
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    prevHash: event.prevHash,
  });
  if (canonical === undefined) throw new Error('event envelope is not serializable');
  return createHash('sha256').update(canonical).digest('hex');
}

export type ChainBreak =
  | { kind: 'hash_mismatch'; position: bigint; expected: string; actual: string }
  | { kind: 'prev_hash_mismatch'; position: bigint; expected: string; actual: string }
  | { kind: 'position_not_increasing'; position: bigint; previousPosition: bigint }
  | { kind: 'head_mismatch'; position: bigint; expected: string; actual: string };

export interface ChainVerification {
  eventsChecked: number;
  headPosition: bigint | null;
  headHash: string;
  firstBreak: ChainBreak | null;
}

/**
 * Walks events in position order and reports the first place where the chain is broken:
 * an edited event (its hash no longer matches its content), a deleted or swapped event
 * (its `prevHash` no longer matches the event before it).
 */
export class ChainVerifier {
  private previousHash: string;
  private previousPosition: bigint | null;
  private eventsChecked = 0;
  private firstBreak: ChainBreak | null = null;

  /** `after`: the verified event the walk continues from (an incremental backup); absent: the genesis. */
  constructor(after?: { position: bigint; hash: string }) {
    this.previousHash = after?.hash ?? GENESIS_HASH;
    this.previousPosition = after === undefined || after.position === 0n ? null : after.position;
  }

  /** Feeds the next event; returns false once a break has been found. */
  check(event: RecordedEvent): boolean {
    if (this.firstBreak) return false;
    const position = event.globalPosition;
    if (this.previousPosition !== null && position <= this.previousPosition) {
      this.firstBreak = { kind: 'position_not_increasing', position, previousPosition: this.previousPosition };
      return false;
    }
    if (event.prevHash !== this.previousHash) {
      this.firstBreak = { kind: 'prev_hash_mismatch', position, expected: this.previousHash, actual: event.prevHash };
      return false;
    }
    const recomputed = computeEventHash(event);
    if (recomputed !== event.hash) {
      this.firstBreak = { kind: 'hash_mismatch', position, expected: recomputed, actual: event.hash };
      return false;
    }
    this.previousHash = event.hash;
    this.previousPosition = position;
    this.eventsChecked += 1;
    return true;
  }

  /** Compares the end of the walk with the head the store recorded (detects a cut-off tail). */
  checkHead(head: { position: bigint; hash: string } | null): void {
    if (this.firstBreak || head === null) return;
    const position = this.previousPosition ?? 0n;
    if (head.position !== position || head.hash !== this.previousHash) {
      this.firstBreak = {
        kind: 'head_mismatch',
        position: head.position,
        expected: `${head.position}:${head.hash}`,
        actual: `${position}:${this.previousHash}`,
      };
    }
  }

  result(): ChainVerification {
    return {
      eventsChecked: this.eventsChecked,
      headPosition: this.previousPosition,
      headHash: this.previousHash,
      firstBreak: this.firstBreak,
    };
  }
}
