/**
 * The idempotency-key store port: remembers, per caller and key, which request was made
 * (its fingerprint) and the response it got, so that a retried POST gets the same answer
 * instead of a second execution. The command API's middleware is its only user.
 */

/** How long a key is remembered after its first use. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A key whose request has not completed after this long is considered abandoned (the process
 * died mid-request) and may be taken over. Longer than any request may run (REQUEST_TIMEOUT_MS).
 */
export const IDEMPOTENCY_IN_PROGRESS_TIMEOUT_MS = 60_000;

/** The response remembered for a completed request. */
export interface StoredResponse {
  status: number;
  /** Only the headers worth replaying (content type, ETag, Location). */
  headers: Record<string, string>;
  body: unknown;
}

export type IdempotencyBeginResult =
  /** The key is new (or expired, or abandoned): the caller executes the request and then completes or releases the key. */
  | { outcome: 'started' }
  /** The key is in use: by this request (same fingerprint) or another one. */
  | { outcome: 'in_progress'; fingerprint: string }
  | { outcome: 'completed'; fingerprint: string; response: StoredResponse };

export interface IdempotencyStore {
  /** Claims `key` for `scope` (the caller) with the request's fingerprint, or reports who holds it. */
  begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBeginResult>;
  /** Records the response of a started request. */
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets a started request that did not complete (a server error): the client may retry it. */
  release(scope: string, key: string): Promise<void>;
  /** Deletes expired keys; returns how many. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}
