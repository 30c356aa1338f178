import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BackupError } from './errors';
import { fileExists } from '../file-exists';

/** The object of a backup that publishes it: written last, so a backup without it is unfinished. */
export const MANIFEST_FILE = 'manifest.json';
/** `20261101T020000Z-full`: a backup id (ids sort chronologically). */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z-(full|incremental)$/;
/** Object names inside a backup: `chunk-000001.bin`, `manifest.json`. */
const OBJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,99}$/;
/** A backup not published a day after its last write is what a crashed run left behind. */
export const UNFINISHED_AGE_MIN_MS = 24 * 60 * 60 * 1000;

/**
 * Where backups are kept: objects addressed by backup id and name (`<id>/chunk-000001.bin`,
 * `<id>/manifest.json`). A backup is written object by object and then published, atomically:
 * until `publish` it is invisible to `listPublished` and `get`, so a crash leaves an
 * unfinished backup that `listUnfinished` finds and `delete` removes, never a half one that
 * a restore would read. Adapters: DirectoryBackupTarget (a folder) and S3BackupTarget (a
 * bucket and prefix); both run `describeBackupContract`.
 */
export interface BackupTarget {
  /** Where, for messages: the folder, or `s3://bucket/prefix`. */
  readonly description: string;
  /** Ids of the published backups, sorted (oldest first). */
  listPublished(): Promise<string[]>;
  /** Ids of unfinished backups (objects without a manifest) last written before `before`. */
  listUnfinished(before: Date): Promise<string[]>;
  /**
   * Starts writing backup `id`: refuses an id that is published (BACKUP_ALREADY_EXISTS) and
   * discards what an unfinished run with the same id left behind.
   */
  begin(id: string): Promise<void>;
  /** Writes object `name` of the backup `id` that is being written (after `begin`, before `publish`). */
  put(id: string, name: string, bytes: Buffer): Promise<void>;
  /** Writes the manifest and makes backup `id` visible with every object put so far. */
  publish(id: string, manifest: string): Promise<void>;
  /**
   * Object `name` of backup `id`, or null when there is none. Readers ask only for what a
   * published manifest lists (an adapter need not check that the backup is published).
   */
  get(id: string, name: string): Promise<Buffer | null>;
  /** Deletes backup `id`, published or not, manifest first: a half-deleted backup is unfinished, not broken. */
  delete(id: string): Promise<void>;
  /** Releases connections; the target is unusable afterwards. */
  close(): Promise<void>;
}

export function assertBackupObject(id: string, name: string): void {
  if (!BACKUP_ID_PATTERN.test(id)) throw new Error(`not a backup id: ${id.slice(0, 80)}`);
  if (!OBJECT_NAME_PATTERN.test(name)) throw new Error(`not a backup object name: ${name.slice(0, 80)}`);
}

/**
 * Backups in a local folder, one sub-folder per backup: `<root>/<id>/`. A backup is written
 * into `<root>/<id>.partial/`, and `publish` writes the manifest there and renames the folder;
 * a rename within one file system is atomic, so `<root>/<id>/` is always complete.
 */
export class DirectoryBackupTarget implements BackupTarget {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = root;
  }

  async listPublished(): Promise<string[]> {
    const ids: string[] = [];
    for (const id of await this.backupFolders()) {
      if (await fileExists(path.join(this.root, id, MANIFEST_FILE))) ids.push(id);
    }
    return ids.sort();
  }

  async listUnfinished(before: Date): Promise<string[]> {
    const ids = new Set<string>();
    const entries = await readdir(this.root, { withFileTypes: true }).catch(ignoreMissing([]));
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const id = entry.name.endsWith('.partial') ? entry.name.slice(0, -'.partial'.length) : entry.name;
      if (!BACKUP_ID_PATTERN.test(id)) continue;
      const folder = path.join(this.root, entry.name);
      if (id === entry.name && (await fileExists(path.join(folder, MANIFEST_FILE)))) continue;
      if ((await stat(folder)).mtimeMs < before.getTime()) ids.add(id);
    }
    return [...ids].sort();
  }

  async begin(id: string): Promise<void> {
    assertBackupObject(id, MANIFEST_FILE);
    if (await fileExists(path.join(this.root, id, MANIFEST_FILE))) throw new BackupError('BACKUP_ALREADY_EXISTS', `${this.root} already holds the backup ${id}.`);
    await this.delete(id);
    await mkdir(this.partialFolder(id), { recursive: true });
  }

  async put(id: string, name: string, bytes: Buffer): Promise<void> {
    assertBackupObject(id, name);
    await writeFile(path.join(this.partialFolder(id), name), bytes);
  }

  async publish(id: string, manifest: string): Promise<void> {
    await this.put(id, MANIFEST_FILE, Buffer.from(manifest, 'utf8'));
    await rename(this.partialFolder(id), path.join(this.root, id));
  }

  async get(id: string, name: string): Promise<Buffer | null> {
    assertBackupObject(id, name);
    return readFile(path.join(this.root, id, name)).catch(ignoreMissing(null));
  }

  async delete(id: string): Promise<void> {
    assertBackupObject(id, MANIFEST_FILE);
    await rm(path.join(this.root, id, MANIFEST_FILE), { force: true });
    await rm(path.join(this.root, id), { recursive: true, force: true });
    await rm(this.partialFolder(id), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    // Nothing to release: every operation opens and closes its own files.
  }

  private partialFolder(id: string): string {
    return path.join(this.root, `${id}.partial`);
  }

  /** Sub-folders named like a backup id; none when the root folder does not exist yet. */
  private async backupFolders(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(ignoreMissing([]));
    return entries.filter((entry) => entry.isDirectory() && BACKUP_ID_PATTERN.test(entry.name)).map((entry) => entry.name);
  }
}


/** A `.catch` handler: `fallback` for a missing file or folder, anything else rethrown. */
function ignoreMissing<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  };
}
