import canonicalize from 'canonicalize';

/**
 * RFC 8785 canonical JSON (object keys sorted, undefined members dropped), so that data read
 * back from a store (PostgreSQL jsonb reorders keys) compares equal to freshly decided data.
 * Used for idempotent creates (the same id with the same payload is no change), for the hashes
 * an approval records, and for request fingerprints.
 */
export function canonicalJson(value: unknown): string {
  const canonical = canonicalize(value);
  if (canonical === undefined) throw new Error('canonicalJson: the value is not serializable');
  return canonical;
}
