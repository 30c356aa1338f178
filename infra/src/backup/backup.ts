import type { RecordedEvent } from '@neuroerp/schemas';
import { ChainVerifier, GENESIS_HASH } from '../event-store/hash-chain';
import type { EventStore } from '../event-store/port';
import { privacy } from '@neuroerp/schemas';
import { assertBackupKey, backupKeyId, decodeChunk, decodeDataKeys, encodeChunk, encodeDataKeys, sha256Hex } from './chunk-codec';
import { DATA_KEYS_FILE, type DataKeyBackup } from './data-keys';
import { BackupError } from './errors';
import { backupIdAt, backupTargetOf, listBackups, sealManifest, type BackupManifest } from './manifest';
import { UNFINISHED_AGE_MIN_MS, type BackupTarget } from './target';

/** Events per chunk file (about 1–5 MB compressed for ledger events). */
export const CHUNK_EVENTS_MAX = 10_000;
/** Retention of the seed's schedule: weekly full backups kept 30 days, daily incrementals 7 days. */
export const FULL_RETENTION_DAYS = 30;
export const INCREMENTAL_RETENTION_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface BackupSource extends Pick<EventStore, 'readAll'> {
  readHead(): Promise<{ position: bigint; hash: string }>;
}

export interface RestoreTarget {
  readHead(): Promise<{ position: bigint; hash: string }>;
  importRecorded(events: readonly RecordedEvent[]): Promise<{ head: { position: bigint; hash: string } }>;
}

export interface Progress {
  (eventsDone: number, eventsTotal: number): void;
}

export interface CreateBackupOptions {
  source: BackupSource;
  /** Where backups are kept: a BackupTarget (a folder, an S3 bucket), or a folder path. */
  root: BackupTarget | string;
  kind: BackupManifest['kind'];
  key: Buffer;
  now: Date;
  chunkEventsMax?: number;
  onProgress?: Progress;
  /** The data keys of personal data, backed up beside the log (without them a restored log reads every personal field as erased). */
  dataKeys?: Pick<DataKeyBackup, 'exportSnapshot'>;
}

/**
 * Writes the event log (full) or what was appended since the newest backup (incremental)
 * as encrypted chunks plus an authenticated manifest. The chain is verified while reading,
 * so a backup of a tampered log fails instead of preserving the damage. The backup is
 * published (its manifest written last) only when complete: a crash leaves an unfinished
 * backup that nothing reads and prune deletes, never a half one.
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  assertBackupKey(options.key);
  const target = backupTargetOf(options.root);
  const chunkEventsMax = options.chunkEventsMax ?? CHUNK_EVENTS_MAX;
  let basedOn: BackupManifest | null = null;
  if (options.kind === 'incremental') {
    basedOn = newest(await listBackups(options.key, target));
    if (basedOn === null) throw new BackupError('BACKUP_NOT_FOUND', `${target.description} holds no backup to continue; make a full backup first.`);
  }
  const after = basedOn === null ? { position: 0n, hash: GENESIS_HASH } : { position: BigInt(basedOn.head.position), hash: basedOn.head.hash };
  const head = await options.source.readHead();
  if (head.position < after.position) {
    throw new BackupError('BACKUP_CHAIN_BROKEN', `The log ends at ${head.position}, before the newest backup's head ${after.position}: this is not the log that was backed up.`);
  }

  const backupId = backupIdAt(options.now, options.kind);
  await target.begin(backupId);

  const total = Number(head.position - after.position);
  const verifier = new ChainVerifier(after);
  const chunks: BackupManifest['chunks'] = [];
  let fromPosition = after.position;
  let done = 0;
  options.onProgress?.(0, total);
  while (fromPosition < head.position) {
    const page = await options.source.readAll({ fromPosition: fromPosition === 0n ? 'start' : fromPosition, maxCount: chunkEventsMax });
    const events = page.filter((event) => event.globalPosition <= head.position);
    if (events.length === 0) break;
    for (const event of events) {
      if (!verifier.check(event)) {
        await target.delete(backupId);
        throw new BackupError('BACKUP_CHAIN_BROKEN', `The log's hash chain breaks at position ${event.globalPosition}; run \`neuroerp verify\`. Nothing was written.`);
      }
    }
    const file = `chunk-${String(chunks.length + 1).padStart(6, '0')}.bin`;
    const bytes = encodeChunk(options.key, events, `${backupId}/${file}`);
    await target.put(backupId, file, bytes);
    const first = events[0] as RecordedEvent;
    const last = events[events.length - 1] as RecordedEvent;
    chunks.push({ file, firstPosition: first.globalPosition.toString(), lastPosition: last.globalPosition.toString(), eventCount: events.length, sha256: sha256Hex(bytes) });
    fromPosition = last.globalPosition;
    done += events.length;
    options.onProgress?.(done, total);
  }
  const verified = verifier.result();
  if (fromPosition !== head.position || (head.position > after.position && verified.headHash !== head.hash)) {
    await target.delete(backupId);
    throw new BackupError('BACKUP_CHAIN_BROKEN', `The log read ended at ${fromPosition} with hash ${verified.headHash}, but its head is ${head.position} with hash ${head.hash}.`);
  }

  let dataKeys: BackupManifest['dataKeys'];
  if (options.dataKeys !== undefined) {
    const snapshot = await options.dataKeys.exportSnapshot();
    const bytes = encodeDataKeys(options.key, snapshot, `${backupId}/${DATA_KEYS_FILE}`);
    await target.put(backupId, DATA_KEYS_FILE, bytes);
    dataKeys = { file: DATA_KEYS_FILE, count: snapshot.dataKeys.length, sha256: sha256Hex(bytes) };
  }

  const manifest: BackupManifest = {
    format: 'neuroerp-backup/1',
    backupId,
    kind: options.kind,
    createdAt: options.now.toISOString(),
    basedOn: basedOn?.backupId ?? null,
    after: { position: after.position.toString(), hash: after.hash },
    head: { position: head.position.toString(), hash: head.hash },
    eventCount: done,
    keyId: backupKeyId(options.key),
    ...(dataKeys === undefined ? {} : { dataKeys }),
    chunks,
  };
  await target.publish(backupId, sealManifest(options.key, manifest));
  return manifest;
}

export interface RestoreOptions {
  /** Where backups are kept: a BackupTarget, or a folder path. */
  root: BackupTarget | string;
  key: Buffer;
  target: RestoreTarget;
  onProgress?: Progress;
  /** Where the backed-up data keys go (imported before the first event, so that wrong master keys stop the restore before it writes). */
  dataKeys?: Pick<DataKeyBackup, 'importSnapshot' | 'forgetSubjects'>;
}

export interface RestoreResult {
  backupIds: string[];
  eventCount: number;
  head: { position: bigint; hash: string };
}

/**
 * Restores the newest backup chain (its full backup, then each incremental in order) into
 * an empty store. Every chunk's checksum is checked before it is decrypted, and the store
 * re-verifies the hash chain of every event it imports; the restored head must equal the
 * head the newest manifest recorded.
 */
export async function restoreBackups(options: RestoreOptions): Promise<RestoreResult> {
  assertBackupKey(options.key);
  const source = backupTargetOf(options.root);
  const chain = restoreChain(await listBackups(options.key, source), source.description);
  const targetHead = await options.target.readHead();
  if (targetHead.position !== 0n) {
    throw new BackupError('RESTORE_TARGET_NOT_EMPTY', `The target store already holds ${targetHead.position} events; restore only into an empty store.`);
  }
  const withKeys = [...chain].reverse().find((manifest) => manifest.dataKeys !== undefined);
  if (options.dataKeys !== undefined && withKeys?.dataKeys !== undefined) {
    const name = `${withKeys.backupId}/${withKeys.dataKeys.file}`;
    const bytes = await source.get(withKeys.backupId, withKeys.dataKeys.file);
    if (bytes === null) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} is missing.`);
    if (sha256Hex(bytes) !== withKeys.dataKeys.sha256) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} does not match its checksum in the manifest.`);
    await options.dataKeys.importSnapshot(decodeDataKeys(options.key, bytes, name));
  }
  const forgotten: string[] = [];
  const total = chain.reduce((sum, manifest) => sum + manifest.eventCount, 0);
  let done = 0;
  let head = targetHead;
  options.onProgress?.(0, total);
  for (const manifest of chain) {
    if (BigInt(manifest.after.position) !== head.position || manifest.after.hash !== head.hash) {
      throw new BackupError('BACKUP_CHAIN_BROKEN', `${manifest.backupId} continues position ${manifest.after.position}, but the restore is at ${head.position}.`);
    }
    for (const chunk of manifest.chunks) {
      const name = `${manifest.backupId}/${chunk.file}`;
      const bytes = await source.get(manifest.backupId, chunk.file);
      if (bytes === null) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} is missing.`);
      if (sha256Hex(bytes) !== chunk.sha256) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} does not match its checksum in the manifest.`);
      const events = decodeChunk(options.key, bytes, name);
      if (events.length !== chunk.eventCount || events[0]?.globalPosition.toString() !== chunk.firstPosition) {
        throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} does not hold the events its manifest lists.`);
      }
      head = (await options.target.importRecorded(events)).head;
      for (const event of events) if (event.type === privacy.SUBJECT_FORGOTTEN) forgotten.push((event.data as { subjectId: string }).subjectId);
      done += events.length;
      options.onProgress?.(done, total);
    }
    if (head.position.toString() !== manifest.head.position || head.hash !== manifest.head.hash) {
      throw new BackupError('BACKUP_CHAIN_BROKEN', `After ${manifest.backupId} the restored head is ${head.position}, its manifest says ${manifest.head.position}.`);
    }
  }
  // An erasure recorded after the newest key snapshot must win over the key that snapshot still held.
  if (options.dataKeys !== undefined && forgotten.length > 0) await options.dataKeys.forgetSubjects(forgotten, new Date());
  return { backupIds: chain.map((manifest) => manifest.backupId), eventCount: done, head };
}

/** The newest backup and the ones it builds on, oldest (the full backup) first. */
function restoreChain(manifests: readonly BackupManifest[], where: string): BackupManifest[] {
  const latest = newest(manifests);
  if (latest === null) throw new BackupError('BACKUP_NOT_FOUND', `${where} holds no backup.`);
  const byId = new Map(manifests.map((manifest) => [manifest.backupId, manifest]));
  const chain: BackupManifest[] = [];
  for (let current: BackupManifest | undefined = latest; current !== undefined; current = current.basedOn === null ? undefined : byId.get(current.basedOn)) {
    chain.unshift(current);
    if (current.basedOn !== null && !byId.has(current.basedOn)) {
      throw new BackupError('BACKUP_CHAIN_BROKEN', `${current.backupId} continues ${current.basedOn}, which is not in ${where}.`);
    }
  }
  return chain;
}

function newest(manifests: readonly BackupManifest[]): BackupManifest | null {
  return manifests.reduce<BackupManifest | null>(
    (best, manifest) => (best === null || BigInt(manifest.head.position) > BigInt(best.head.position) || (manifest.head.position === best.head.position && manifest.backupId > best.backupId) ? manifest : best),
    null,
  );
}

export interface PruneOptions {
  /** Where backups are kept: a BackupTarget, or a folder path. */
  root: BackupTarget | string;
  key: Buffer;
  now: Date;
  fullRetentionDays?: number;
  incrementalRetentionDays?: number;
}

/**
 * Applies the retention policy: incrementals older than 7 days and full backups older than
 * 30 days are deleted, except the newest full backup and everything the newest chain needs
 * (a restore must always remain possible); incrementals whose base is gone are deleted too.
 * Unfinished backups (no manifest) whose last write is more than a day old are what a
 * crashed run left behind and are deleted as well (`discarded`); younger ones may still be
 * being written and stay.
 */
export async function pruneBackups(options: PruneOptions): Promise<{ deleted: string[]; kept: string[]; discarded: string[] }> {
  const target = backupTargetOf(options.root);
  const discarded = await target.listUnfinished(new Date(options.now.getTime() - UNFINISHED_AGE_MIN_MS));
  for (const id of discarded) await target.delete(id);
  const manifests = await listBackups(options.key, target);
  if (manifests.length === 0) return { deleted: [], kept: [], discarded };
  const fullCutoff = options.now.getTime() - (options.fullRetentionDays ?? FULL_RETENTION_DAYS) * DAY_MS;
  const incrementalCutoff = options.now.getTime() - (options.incrementalRetentionDays ?? INCREMENTAL_RETENTION_DAYS) * DAY_MS;
  const protectedIds = new Set(restoreChain(manifests, target.description).map((manifest) => manifest.backupId));
  const keep = new Set<string>();
  for (const manifest of manifests) {
    const createdMs = Date.parse(manifest.createdAt);
    const fresh = manifest.kind === 'full' ? createdMs >= fullCutoff : createdMs >= incrementalCutoff;
    if (fresh || protectedIds.has(manifest.backupId)) keep.add(manifest.backupId);
  }
  // An incremental is only useful while everything it continues is kept (manifests are oldest first).
  for (const manifest of manifests) {
    if (manifest.basedOn !== null && !keep.has(manifest.basedOn)) keep.delete(manifest.backupId);
  }
  const deleted = manifests.filter((manifest) => !keep.has(manifest.backupId)).map((manifest) => manifest.backupId);
  for (const id of deleted) await target.delete(id);
  return { deleted, kept: manifests.filter((manifest) => keep.has(manifest.backupId)).map((manifest) => manifest.backupId), discarded };
}
