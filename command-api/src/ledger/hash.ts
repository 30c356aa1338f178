import { createHash } from 'node:crypto';
import { canonicalJson } from '@neuroerp/domains';
import type { ledger as wire } from '@neuroerp/schemas';

/**
 * The hash of a transaction draft: SHA-256 (hex) over the canonical JSON of its
 * `ledger.transaction_drafted` data (keys sorted, so a draft read back from the store hashes
 * the same). A draft never changes, so the hash names exactly what an approver saw; the
 * approval records it (`approvedHash`), and a workflow carries it as its subject hash.
 * Computed here because the domain does no hashing (no node:crypto in `domains`).
 */
export function transactionDraftHash(draft: wire.TransactionDrafted): string {
  return createHash('sha256').update(canonicalJson(draft)).digest('hex');
}
