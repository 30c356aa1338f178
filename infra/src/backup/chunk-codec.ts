import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RecordedEvent } from '@neuroerp/schemas';
import { BackupError } from './errors';
import { dataKeySnapshotSchema, type DataKeySnapshot } from './data-keys';

/** AES-256-GCM: a 32-byte key, a fresh 12-byte nonce per chunk, a 16-byte tag. */
export const BACKUP_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A short public name of a key, recorded in manifests so that a wrong key is named, not guessed. */
export function backupKeyId(key: Buffer): string {
  return sha256Hex(Buffer.concat([Buffer.from('neuroerp-backup-key-id\0'), key])).slice(0, 16);
}

export function assertBackupKey(key: Buffer): void {
  if (key.length !== BACKUP_KEY_BYTES) throw new BackupError('BACKUP_KEY_INVALID', `A backup key is ${BACKUP_KEY_BYTES} bytes; this one has ${key.length}.`);
}

/** HMAC-SHA-256 with a key derived from the backup key: authenticates a manifest. */
export function manifestMac(key: Buffer, text: string): string {
  const macKey = createHmac('sha256', key).update('neuroerp-backup-manifest').digest();
  return createHmac('sha256', macKey).update(text).digest('hex');
}

/** Gzip, then AES-256-GCM with the object's name authenticated too, so that objects cannot be swapped between places. */
function sealObject(key: Buffer, plaintext: string, name: string): Buffer {
  const compressed = gzipSync(Buffer.from(plaintext, 'utf8'));
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const sealed = Buffer.concat([cipher.update(compressed), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), sealed]);
}

function openObject(key: Buffer, bytes: Buffer, name: string): string {
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} is too short to be a backup object.`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
  let compressed: Buffer;
  try {
    compressed = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} does not decrypt with this key: it was altered, or the key is not the one it was written with.`);
  }
  return gunzipSync(compressed).toString('utf8');
}

/** Events as newline-delimited JSON (positions as decimal strings), gzip-compressed, then sealed with AES-256-GCM. */
export function encodeChunk(key: Buffer, events: readonly RecordedEvent[], chunkName: string): Buffer {
  const lines = events.map((event) => JSON.stringify({ ...event, globalPosition: event.globalPosition.toString() }));
  return sealObject(key, `${lines.join('\n')}\n`, chunkName);
}

export function decodeChunk(key: Buffer, bytes: Buffer, chunkName: string): RecordedEvent[] {
  return openObject(key, bytes, chunkName)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const parsed = JSON.parse(line) as Omit<RecordedEvent, 'globalPosition'> & { globalPosition: string };
      return { ...parsed, globalPosition: BigInt(parsed.globalPosition) };
    });
}

/** The data keys of personal data (still wrapped by their master keys) as one sealed object. */
export function encodeDataKeys(key: Buffer, snapshot: DataKeySnapshot, name: string): Buffer {
  return sealObject(key, JSON.stringify(snapshot), name);
}

export function decodeDataKeys(key: Buffer, bytes: Buffer, name: string): DataKeySnapshot {
  const parsed = dataKeySnapshotSchema.safeParse(JSON.parse(openObject(key, bytes, name)));
  if (!parsed.success) throw new BackupError('BACKUP_CHUNK_CORRUPT', `${name} does not hold data keys.`);
  return parsed.data;
}
