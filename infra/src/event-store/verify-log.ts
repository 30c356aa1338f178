import type { RecordedEvent } from '@neuroerp/schemas';
import { ChainVerifier, type ChainVerification } from './hash-chain';
import type { EventStore } from './port';

/** Events read per page while verifying. */
export const VERIFY_PAGE_SIZE = 5_000;

export interface VerifyLogOptions {
  /** The head the store recorded; when given, a cut-off tail is detected too. */
  head?: { position: bigint; hash: string } | null;
  onProgress?(eventsChecked: number, lastPosition: bigint): void;
}

/**
 * Recomputes the hash chain over the whole global log, page by page, and reports the
 * first broken position (an edited, deleted or swapped event, or a missing tail).
 */
export async function verifyEventLog(store: Pick<EventStore, 'readAll'>, options: VerifyLogOptions = {}): Promise<ChainVerification> {
  const verifier = new ChainVerifier();
  let fromPosition: bigint | 'start' = 'start';
  let checked = 0;
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({ fromPosition, maxCount: VERIFY_PAGE_SIZE });
    if (page.length === 0) break;
    for (const event of page) {
      if (!verifier.check(event)) return verifier.result();
    }
    checked += page.length;
    fromPosition = (page[page.length - 1] as RecordedEvent).globalPosition;
    options.onProgress?.(checked, fromPosition);
  }
  verifier.checkHead(options.head ?? null);
  return verifier.result();
}

/** One line a person can act on. */
export function describeChainVerification(result: ChainVerification): string {
  const brk = result.firstBreak;
  if (!brk) {
    return `OK: ${result.eventsChecked} events, chain head ${result.headHash} at position ${result.headPosition ?? 0}`;
  }
  switch (brk.kind) {
    case 'hash_mismatch':
      return `BROKEN at position ${brk.position}: the event's content does not match its hash (edited event)`;
    case 'prev_hash_mismatch':
      return `BROKEN at position ${brk.position}: prevHash does not match the event before it (deleted, inserted or swapped events)`;
    case 'position_not_increasing':
      return `BROKEN at position ${brk.position}: positions do not increase (after ${brk.previousPosition})`;
    case 'head_mismatch':
      return `BROKEN at position ${brk.position}: the log ends at ${brk.actual} but the recorded chain head is ${brk.expected} (events missing at the end)`;
  }
}
