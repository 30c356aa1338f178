import canonicalize from 'canonicalize';
import { z } from 'zod';
import { backupKeyId, manifestMac } from './chunk-codec';
import { BackupError } from './errors';
import { BACKUP_ID_PATTERN, DirectoryBackupTarget, MANIFEST_FILE, type BackupTarget } from './target';

export { MANIFEST_FILE } from './target';
export const BACKUP_FORMAT = 'neuroerp-backup/1';

const positionSchema = z.string().regex(/^[0-9]{1,19}$/);
const hashSchema = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  backupId: z.string().regex(BACKUP_ID_PATTERN),
  kind: z.enum(['full', 'incremental']),
  createdAt: z.string().datetime(),
  /** The backup this one continues (null for a full backup). */
  basedOn: z.string().nullable(),
  /** The log before this backup's first event: position 0 and the genesis hash for a full backup. */
  after: z.object({ position: positionSchema, hash: hashSchema }),
  /** The log's head this backup ends at. */
  head: z.object({ position: positionSchema, hash: hashSchema }),
  eventCount: z.number().int().nonnegative(),
  keyId: z.string(),
  /** The data keys of personal data at the time of the backup (absent: none were backed up). */
  dataKeys: z.object({ file: z.literal('data-keys.bin'), count: z.number().int().nonnegative(), sha256: hashSchema }).optional(),
  chunks: z.array(
    z.object({
      file: z.string().regex(/^chunk-[0-9]{6}\.bin$/),
      firstPosition: positionSchema,
      lastPosition: positionSchema,
      eventCount: z.number().int().positive(),
      sha256: hashSchema,
    }),
  ),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

/** The manifest as written: its fields plus an HMAC over their canonical JSON. */
export function sealManifest(key: Buffer, manifest: BackupManifest): string {
  return `${JSON.stringify({ ...manifest, mac: manifestMac(key, canonicalize(manifest) ?? '') }, null, 2)}\n`;
}

/** A backup target, or a folder path for a DirectoryBackupTarget (the original form of the API). */
export function backupTargetOf(where: BackupTarget | string): BackupTarget {
  return typeof where === 'string' ? new DirectoryBackupTarget(where) : where;
}

/** Reads and authenticates the manifest of the published backup `backupId`. */
export async function readManifest(key: Buffer, target: BackupTarget, backupId: string): Promise<BackupManifest> {
  const where = `${target.description}: ${backupId}/${MANIFEST_FILE}`;
  const bytes = await target.get(backupId, MANIFEST_FILE);
  if (bytes === null) throw new BackupError('BACKUP_NOT_FOUND', `${target.description} has no ${backupId}/${MANIFEST_FILE}.`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BackupError('BACKUP_MANIFEST_INVALID', `${where} is not JSON.`);
  }
  const { mac, ...fields } = (raw ?? {}) as { mac?: unknown };
  const parsed = manifestSchema.safeParse(fields);
  if (!parsed.success) throw new BackupError('BACKUP_MANIFEST_INVALID', `${where} is not a backup manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  if (parsed.data.backupId !== backupId) throw new BackupError('BACKUP_MANIFEST_INVALID', `${where} is the manifest of ${parsed.data.backupId}.`);
  if (parsed.data.keyId !== backupKeyId(key)) {
    throw new BackupError('BACKUP_KEY_MISMATCH', `${parsed.data.backupId} was written with key ${parsed.data.keyId}; the configured key is ${backupKeyId(key)}.`);
  }
  if (mac !== manifestMac(key, canonicalize(parsed.data) ?? '')) {
    throw new BackupError('BACKUP_MANIFEST_INVALID', `The manifest of ${parsed.data.backupId} was altered (its MAC does not match).`);
  }
  return parsed.data;
}

/**
 * Every published backup in `where` (a BackupTarget, or a folder), oldest first. Unfinished
 * backups (no manifest yet: a run in progress or one that crashed) are not listed.
 */
export async function listBackups(key: Buffer, where: BackupTarget | string): Promise<BackupManifest[]> {
  const target = backupTargetOf(where);
  const manifests: BackupManifest[] = [];
  for (const id of await target.listPublished()) manifests.push(await readManifest(key, target, id));
  return manifests;
}

/** A backup id from its time and kind; ids sort chronologically. */
export function backupIdAt(now: Date, kind: BackupManifest['kind']): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '')}-${kind}`;
}
