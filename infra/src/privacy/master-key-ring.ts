import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PrivacyError } from './errors';

/** AES-256: every master key and data key is 32 bytes. */
export const PRIVACY_KEY_BYTES = 32;
/** The seed's schedule: a new master key version every 30 days. */
export const MASTER_KEY_ROTATION_DAYS = 30;
export const MASTER_KEYS_FILE = 'privacy-master-keys.json';
const FILE_FORMAT = 'neuroerp-privacy-master-keys/1';

export interface MasterKey {
  version: number;
  key: Buffer;
  createdAt: string;
}

const keyEntrySchema = z
  .object({
    version: z.number().int().min(1).max(1_000_000),
    key: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'key must be base64')
      .refine((key) => Buffer.from(key, 'base64').length === PRIVACY_KEY_BYTES, `key must be ${PRIVACY_KEY_BYTES} bytes (base64 of 32 random bytes: openssl rand -base64 32)`),
    createdAt: z.string().datetime({ offset: true }),
  })
  .strict();
const keyListSchema = z
  .array(keyEntrySchema)
  .min(1)
  .refine((keys) => new Set(keys.map((key) => key.version)).size === keys.length, 'versions must be unique');
const keyFileSchema = z.object({ format: z.literal(FILE_FORMAT), keys: keyListSchema }).strict();

/** The short, non-secret fingerprint of a master key, recorded in the database to catch a wrong key early. */
export function masterKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update('neuroerp-privacy-master-key|').update(key).digest('hex').slice(0, 16);
}

export type MasterKeySource = { kind: 'configured' } | { kind: 'file'; file: string };

/**
 * The versioned master keys that wrap the per-subject data keys. The newest version wraps
 * new data keys; older versions stay until `keys rotate` has re-wrapped every data key.
 * Keys come from PRIVACY_MASTER_KEYS (production: a secret) or a file under the data
 * directory that is generated on first start (the embedded default).
 */
export class MasterKeyRing {
  private constructor(
    private keys: readonly MasterKey[],
    readonly source: MasterKeySource,
  ) {}

  static of(keys: readonly MasterKey[], source: MasterKeySource): MasterKeyRing {
    if (keys.length === 0) throw new PrivacyError('PRIVACY_MASTER_KEYS_INVALID', 'the master key ring is empty');
    return new MasterKeyRing([...keys].sort((a, b) => a.version - b.version), source);
  }

  get current(): MasterKey {
    return this.keys[this.keys.length - 1] as MasterKey;
  }

  get versions(): readonly MasterKey[] {
    return this.keys;
  }

  /** Re-reads a file-backed ring (another process may have added a version); a configured ring does not change. */
  async refresh(): Promise<void> {
    if (this.source.kind === 'file') this.keys = (await readKeyFile(this.source.file)).sort((a, b) => a.version - b.version);
  }

  /** The key of `version`; a file-backed ring re-reads its file once (another process may have rotated). */
  async resolve(version: number): Promise<MasterKey> {
    const known = this.keys.find((key) => key.version === version);
    if (known !== undefined) return known;
    if (this.source.kind === 'file') {
      await this.refresh();
      const reloaded = this.keys.find((key) => key.version === version);
      if (reloaded !== undefined) return reloaded;
    }
    throw new PrivacyError(
      'PRIVACY_MASTER_KEY_MISSING',
      `master key version ${version} wraps data keys in the database but is not configured (${describeSource(this.source)}); keep every version until \`neuroerp keys rotate\` has re-wrapped its data keys`,
    );
  }
}

function describeSource(source: MasterKeySource): string {
  return source.kind === 'configured' ? 'PRIVACY_MASTER_KEYS' : source.file;
}

/** Parses PRIVACY_MASTER_KEYS: a JSON array of `{ version, key (base64 of 32 bytes), createdAt }`. */
export function parseConfiguredMasterKeys(json: string): MasterKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new PrivacyError('PRIVACY_MASTER_KEYS_INVALID', 'PRIVACY_MASTER_KEYS is not JSON; expected [{"version":1,"key":"<base64 of 32 bytes>","createdAt":"<ISO time>"}]');
  }
  const result = keyListSchema.safeParse(parsed);
  if (!result.success) throw new PrivacyError('PRIVACY_MASTER_KEYS_INVALID', `PRIVACY_MASTER_KEYS: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return result.data.map((entry) => ({ version: entry.version, key: Buffer.from(entry.key, 'base64'), createdAt: entry.createdAt }));
}

async function readKeyFile(file: string): Promise<MasterKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new PrivacyError('PRIVACY_MASTER_KEYS_INVALID', `${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const result = keyFileSchema.safeParse(parsed);
  if (!result.success) throw new PrivacyError('PRIVACY_MASTER_KEYS_INVALID', `${file}: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return result.data.keys.map((entry) => ({ version: entry.version, key: Buffer.from(entry.key, 'base64'), createdAt: entry.createdAt }));
}

function keyFileText(keys: readonly MasterKey[]): string {
  return `${JSON.stringify({ format: FILE_FORMAT, keys: keys.map((key) => ({ version: key.version, key: key.key.toString('base64'), createdAt: key.createdAt })) }, null, 2)}\n`;
}

function newMasterKey(version: number, now: Date): MasterKey {
  return { version, key: randomBytes(PRIVACY_KEY_BYTES), createdAt: now.toISOString() };
}

/**
 * The master key ring: PRIVACY_MASTER_KEYS when configured; otherwise `<keysDir>/privacy-master-keys.json`,
 * generated with version 1 on first use (mode 0600, never overwritten).
 */
export async function loadMasterKeyRing(options: { configuredKeys?: string; keysDir: string; now?: Date }): Promise<MasterKeyRing> {
  if (options.configuredKeys !== undefined) return MasterKeyRing.of(parseConfiguredMasterKeys(options.configuredKeys), { kind: 'configured' });
  await mkdir(options.keysDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.keysDir, MASTER_KEYS_FILE);
  try {
    // 'wx': never overwrite; if two processes start at once, the second one reads the first one's file.
    await writeFile(file, keyFileText([newMasterKey(1, options.now ?? new Date())]), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const { mode } = await stat(file);
  if ((mode & (constants.S_IRWXG | constants.S_IRWXO)) !== 0) await chmod(file, 0o600);
  return MasterKeyRing.of(await readKeyFile(file), { kind: 'file', file });
}

/**
 * Adds the next master key version to a file-backed ring (written to a temporary file and
 * renamed: a crash leaves the old file). A configured ring cannot grow by itself: the
 * operator adds the version to PRIVACY_MASTER_KEYS and restarts every process first.
 */
export async function addMasterKeyVersion(ring: MasterKeyRing, now: Date): Promise<MasterKeyRing> {
  if (ring.source.kind !== 'file') {
    throw new PrivacyError(
      'PRIVACY_ROTATION_NEEDS_CONFIG',
      `the master keys come from PRIVACY_MASTER_KEYS: add {"version":${ring.current.version + 1},"key":"<openssl rand -base64 32>","createdAt":"${now.toISOString()}"} to it on every process, restart them, then run \`neuroerp keys rotate --rewrap-only\``,
    );
  }
  // The file, not this process's copy: another process may have rotated since this one loaded it.
  const existing = await readKeyFile(ring.source.file);
  const keys = [...existing, newMasterKey(Math.max(...existing.map((key) => key.version)) + 1, now)];
  const temporary = `${ring.source.file}.${process.pid}.tmp`;
  await writeFile(temporary, keyFileText(keys), { mode: 0o600 });
  await rename(temporary, ring.source.file);
  return MasterKeyRing.of(keys, ring.source);
}

/** Whole days since the current master key was created; rotation is due at MASTER_KEY_ROTATION_DAYS. */
export function masterKeyAgeDays(ring: MasterKeyRing, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(ring.current.createdAt)) / (24 * 60 * 60 * 1000));
}
