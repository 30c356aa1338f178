import { createHash } from 'node:crypto';

/**
 * Content-addressed file storage: a file's address is the SHA-256 of its bytes (lower-case
 * hex), so the same bytes are stored once and a stored file can be checked against the hash
 * an event recorded. Adapters: LocalFileStore (a directory) and S3FileStore (an
 * S3-compatible bucket); both run `describeFileStoreContract`.
 */
export interface FileStore {
  /** Which adapter, for logs: `local:<dir>` or `s3:<bucket>`. */
  readonly description: string;
  /**
   * Stores `bytes` under their SHA-256 and returns it. Idempotent: storing the same bytes
   * again changes nothing. A file is visible under its address only when complete.
   */
  put(bytes: Uint8Array): Promise<StoredFile>;
  /** The bytes stored under `sha256` as they are now (not verified here), or null when there are none. */
  get(sha256: string): Promise<Buffer | null>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

export interface StoredFile {
  sha256: string;
  sizeBytes: number;
}

export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `<sha[0:2]>/<sha>`: at most 256 entries in the top directory or prefix level. */
export function fileKey(sha256: string): string {
  if (!SHA256_HEX_PATTERN.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
  return `${sha256.slice(0, 2)}/${sha256}`;
}
