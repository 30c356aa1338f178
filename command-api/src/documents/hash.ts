import { createHash } from 'node:crypto';
import { canonicalJson } from '@neuroerp/domains';

/**
 * The hash of a document version's content: SHA-256 (hex) over its canonical JSON (keys
 * sorted, so content read back from the store hashes the same). A review workflow carries it
 * as its subject hash, and the approval records it. The same hash the documents read model
 * keeps per version (`content_hash`). Computed here because the domain does no hashing.
 */
export function documentContentHash(content: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
