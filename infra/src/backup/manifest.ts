import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { backupKeyId, manifestMac } from './chunk-codec';
import { BackupError } from './errors';

export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_FORMAT = 'neuroerp-backup/1';

const positionSchema = z.string().regex(/^[0-9]{1,19}$/);
const hashSchema = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  backupId: z.string().regex(/^[0-9]{8}T[0-9]{6}Z-(full|incremental)$/),
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

/** Reads and authenticates one backup's manifest. */
export async function readManifest(key: Buffer, backupDir: string): Promise<BackupManifest> {
  const text = await readFile(path.join(backupDir, MANIFEST_FILE), 'utf8').catch(() => null);
  if (text === null) throw new BackupError('BACKUP_NOT_FOUND', `${backupDir} has no ${MANIFEST_FILE}.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BackupError('BACKUP_MANIFEST_INVALID', `${path.join(backupDir, MANIFEST_FILE)} is not JSON.`);
  }
  const { mac, ...fields } = (raw ?? {}) as { mac?: unknown };
  const parsed = manifestSchema.safeParse(fields);
  if (!parsed.success) throw new BackupError('BACKUP_MANIFEST_INVALID', `${path.join(backupDir, MANIFEST_FILE)} is not a backup manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  if (parsed.data.keyId !== backupKeyId(key)) {
    throw new BackupError('BACKUP_KEY_MISMATCH', `${parsed.data.backupId} was written with key ${parsed.data.keyId}; the configured key is ${backupKeyId(key)}.`);
  }
  if (mac !== manifestMac(key, canonicalize(parsed.data) ?? '')) {
    throw new BackupError('BACKUP_MANIFEST_INVALID', `The manifest of ${parsed.data.backupId} was altered (its MAC does not match).`);
  }
  return parsed.data;
}

/** Every complete backup under `root` (folders with a manifest; unfinished `.partial` folders are ignored), oldest first. */
export async function listBackups(key: Buffer, root: string): Promise<BackupManifest[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const ids = entries
    .filter((entry) => entry.isDirectory() && manifestSchema.shape.backupId.safeParse(entry.name).success)
    .map((entry) => entry.name)
    .sort();
  const manifests: BackupManifest[] = [];
  for (const id of ids) manifests.push(await readManifest(key, path.join(root, id)));
  return manifests;
}

/** A backup id from its time and kind; ids sort chronologically. */
export function backupIdAt(now: Date, kind: BackupManifest['kind']): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '')}-${kind}`;
}
