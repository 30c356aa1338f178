import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileKey, sha256Hex, type FileStore, type StoredFile } from './port';
import { fileExists } from '../file-exists';

/**
 * A FileStore in a local directory (`DATA_DIR/files` by default): `<dir>/<sha[0:2]>/<sha>`.
 * A file is written to `<dir>/.tmp/<random>`, flushed to disk, then renamed into place; a
 * rename within one file system is atomic, so a reader sees the whole file or none, and a
 * crash leaves at most a stray temporary file, never a half-written one under an address.
 */
export class LocalFileStore implements FileStore {
  readonly description: string;
  private readonly tempDir: string;

  private constructor(private readonly root: string) {
    this.description = `local:${root}`;
    this.tempDir = path.join(root, '.tmp');
  }

  static async open(root: string): Promise<LocalFileStore> {
    const store = new LocalFileStore(path.resolve(root));
    await mkdir(store.tempDir, { recursive: true });
    return store;
  }

  /** Where the file of `sha256` lives (tests tamper with it). */
  pathOf(sha256: string): string {
    return path.join(this.root, ...fileKey(sha256).split('/'));
  }

  async put(bytes: Uint8Array): Promise<StoredFile> {
    const sha256 = sha256Hex(bytes);
    const target = this.pathOf(sha256);
    if (await fileExists(target)) return { sha256, sizeBytes: bytes.byteLength };
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(this.tempDir, `${sha256}.${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { sha256, sizeBytes: bytes.byteLength };
  }

  async get(sha256: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async close(): Promise<void> {
    // Nothing to release: every operation opens and closes its own file handles.
  }
}
