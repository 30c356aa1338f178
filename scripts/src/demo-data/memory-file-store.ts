import { sha256Hex, type FileStore } from '@neuroerp/infra';

type StoredFile = Awaited<ReturnType<FileStore['put']>>;

/**
 * Attachments kept in memory, for `seedDemoData(store)` called with a bare event store (tests
 * that need the events only): the events are the same as with a real store, the bytes are
 * gone when the process ends.
 */
export class MemoryFileStore implements FileStore {
  readonly description = 'memory (demo seed without an attachment store)';
  private readonly files = new Map<string, Buffer>();

  put(bytes: Uint8Array): Promise<StoredFile> {
    const copy = Buffer.from(bytes);
    const sha256 = sha256Hex(copy);
    this.files.set(sha256, copy);
    return Promise.resolve({ sha256, sizeBytes: copy.length });
  }

  get(sha256: string): Promise<Buffer | null> {
    return Promise.resolve(this.files.get(sha256) ?? null);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
