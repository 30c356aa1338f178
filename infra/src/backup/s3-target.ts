import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { BackupError } from './errors';
import { createS3Client, isS3NotFound, type S3ConnectionOptions } from '../s3/client';
import { assertBackupObject, BACKUP_ID_PATTERN, MANIFEST_FILE, type BackupTarget } from './target';

export interface S3BackupTargetOptions extends S3ConnectionOptions {
  /** Key prefix of the backups, e.g. `neuroerp/backups/`; a missing trailing `/` is added. Default none. */
  prefix?: string;
}

/** Keys per ListObjectsV2 page and per DeleteObjects request (both S3 maxima). */
const KEYS_PER_REQUEST_MAX = 1000;
/** Pages of one listing: 10 million objects, far beyond years of backups. */
const LIST_PAGES_MAX = 10_000;
/** Error names of refused or missing credentials. */
const ACCESS_DENIED_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError']);
/** Node's codes of a server that does not answer. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']);

interface ObjectEntry {
  key: string;
  lastModified: Date;
}

/**
 * Backups in an S3-compatible bucket: object `<prefix><id>/<name>`. A PUT is atomic per
 * object, not per backup, so the manifest is put last and a backup exists (is listed, can be
 * read) only once its manifest does: until then it is unfinished, and prune deletes it when
 * it is older than a day. Deletion removes the manifest first for the same reason.
 */
export class S3BackupTarget implements BackupTarget {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3BackupTargetOptions) {
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.description = `s3://${options.bucket}/${this.prefix}`;
    this.client = createS3Client(options);
  }

  async listPublished(): Promise<string[]> {
    const backups = await this.backups(this.prefix);
    return [...backups].filter(([, objects]) => objects.some((object) => object.key.endsWith(`/${MANIFEST_FILE}`))).map(([id]) => id).sort();
  }

  async listUnfinished(before: Date): Promise<string[]> {
    const backups = await this.backups(this.prefix);
    return [...backups]
      .filter(([, objects]) => !objects.some((object) => object.key.endsWith(`/${MANIFEST_FILE}`)) && objects.every((object) => object.lastModified < before))
      .map(([id]) => id)
      .sort();
  }

  async begin(id: string): Promise<void> {
    assertBackupObject(id, MANIFEST_FILE);
    const objects = (await this.backups(this.key(id, ''))).get(id) ?? [];
    if (objects.some((object) => object.key === this.key(id, MANIFEST_FILE))) throw new BackupError('BACKUP_ALREADY_EXISTS', `${this.description} already holds the backup ${id}.`);
    await this.deleteKeys(objects.map((object) => object.key));
  }

  async put(id: string, name: string, bytes: Buffer): Promise<void> {
    assertBackupObject(id, name);
    await this.call(`writing ${id}/${name}`, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(id, name), Body: bytes, ContentLength: bytes.length, ContentType: 'application/octet-stream' })),
    );
  }

  async publish(id: string, manifest: string): Promise<void> {
    assertBackupObject(id, MANIFEST_FILE);
    const bytes = Buffer.from(manifest, 'utf8');
    await this.call(`publishing ${id}`, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(id, MANIFEST_FILE), Body: bytes, ContentLength: bytes.length, ContentType: 'application/json' })),
    );
  }

  async get(id: string, name: string): Promise<Buffer | null> {
    assertBackupObject(id, name);
    return this.call(`reading ${id}/${name}`, async () => {
      try {
        const answer = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(id, name) }));
        return answer.Body === undefined ? Buffer.alloc(0) : Buffer.from(await answer.Body.transformToByteArray());
      } catch (error) {
        if (isS3NotFound(error)) return null;
        throw error;
      }
    });
  }

  async delete(id: string): Promise<void> {
    assertBackupObject(id, MANIFEST_FILE);
    await this.call(`deleting ${id}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(id, MANIFEST_FILE) })));
    const objects = (await this.backups(this.key(id, ''))).get(id) ?? [];
    await this.deleteKeys(objects.map((object) => object.key));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private key(id: string, name: string): string {
    return `${this.prefix}${id}/${name}`;
  }

  /** The objects under `keyPrefix` grouped by backup id; keys that are not `<prefix><id>/<name>` are not ours and ignored. */
  private async backups(keyPrefix: string): Promise<Map<string, ObjectEntry[]>> {
    const backups = new Map<string, ObjectEntry[]>();
    let continuationToken: string | undefined;
    for (let page = 0; page < LIST_PAGES_MAX; page += 1) {
      const answer = await this.call('listing backups', () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: keyPrefix, MaxKeys: KEYS_PER_REQUEST_MAX, ContinuationToken: continuationToken })),
      );
      for (const object of answer.Contents ?? []) {
        if (object.Key === undefined) continue;
        const [id, name, ...rest] = object.Key.slice(this.prefix.length).split('/');
        if (id === undefined || name === undefined || name === '' || rest.length > 0 || !BACKUP_ID_PATTERN.test(id)) continue;
        const entries = backups.get(id) ?? [];
        entries.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0) });
        backups.set(id, entries);
      }
      if (answer.IsTruncated !== true) return backups;
      continuationToken = answer.NextContinuationToken;
    }
    throw new Error(`${this.description} lists more than ${LIST_PAGES_MAX} pages of objects`);
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST_MAX) {
      const batch = keys.slice(start, start + KEYS_PER_REQUEST_MAX);
      const answer = await this.call('deleting backup objects', () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true } })),
      );
      const failed = answer.Errors?.[0];
      if (failed !== undefined) throw new BackupError('BACKUP_TARGET_FAILED', `${this.description}: deleting ${failed.Key ?? '?'} failed: ${failed.Code ?? ''} ${failed.Message ?? ''}`.trim());
    }
  }

  /** Runs one S3 request; expected failures (no bucket, refused credentials, no server) become BackupErrors with a code. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): unknown {
    // Not `instanceof Error`: errors of Node's own sockets may come from another realm (jest's sandbox).
    if (error instanceof BackupError || typeof error !== 'object' || error === null || !('name' in error) || !('message' in error)) return error;
    const { name, message } = error as { name: string; message: string };
    const where = `${this.description}${this.options.endpoint !== undefined ? ` at ${this.options.endpoint}` : ''}`;
    if (name === 'NoSuchBucket') return new BackupError('BACKUP_TARGET_NOT_FOUND', `${where}: the bucket ${this.options.bucket} does not exist (${what}).`);
    if (ACCESS_DENIED_NAMES.has(name) || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403)) {
      return new BackupError('BACKUP_TARGET_ACCESS_DENIED', `${where}: access denied while ${what}: ${name}: ${message}`);
    }
    const code = unreachableCode(error);
    if (code !== undefined || name === 'TimeoutError') {
      return new BackupError('BACKUP_TARGET_UNREACHABLE', `${where} does not answer (${what}): ${code ?? name}.`);
    }
    if (error instanceof S3ServiceException) {
      return new BackupError('BACKUP_TARGET_FAILED', `${where}: ${what} failed: ${name} (HTTP ${error.$metadata.httpStatusCode ?? '?'}): ${message}`);
    }
    return error;
  }
}

/**
 * ECONNREFUSED and the like, from the error, its cause, or the message of the SDK's wrapper
 * ("AWS SDK error wrapper for Error: connect ECONNREFUSED ...", which it uses when the socket
 * error comes from another realm, as under jest).
 */
function unreachableCode(error: object): string | undefined {
  for (const candidate of [error, (error as { cause?: unknown }).cause]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  }
  const message = String((error as { message?: unknown }).message ?? '');
  return [...UNREACHABLE_CODES].find((code) => message.includes(code));
}
