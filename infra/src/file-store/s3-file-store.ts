import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { fileKey, sha256Hex, type FileStore, type StoredFile } from './port';

export interface S3FileStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO: http://localhost:9000); absent: AWS. */
  endpoint?: string;
  /** Both or neither; neither uses the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path instead of the host name (MinIO needs it). */
  forcePathStyle?: boolean;
  /** Object key prefix, e.g. `files/`; default none. */
  prefix?: string;
}

/** Attempts per S3 request, the SDK's retries with backoff included. */
export const S3_ATTEMPTS_MAX = 3;

/**
 * A FileStore in an S3-compatible bucket, object key `<prefix><sha[0:2]>/<sha>`. A PUT of an
 * object is atomic in S3 (readers see the old or the whole new object), and the SDK sends
 * a checksum of the body, so a transfer error is refused by the server, not stored.
 */
export class S3FileStore implements FileStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3FileStoreOptions) {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new Error('S3 access key id and secret access key go together');
    }
    this.description = `s3:${options.bucket}`;
    this.prefix = options.prefix ?? '';
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: S3_ATTEMPTS_MAX,
      ...(options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
    });
  }

  private key(sha256: string): string {
    return `${this.prefix}${fileKey(sha256)}`;
  }

  async put(bytes: Uint8Array): Promise<StoredFile> {
    const sha256 = sha256Hex(bytes);
    const key = this.key(sha256);
    if (!(await this.exists(key))) {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
    }
    return { sha256, sizeBytes: bytes.byteLength };
  }

  async get(sha256: string): Promise<Buffer | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) }));
      if (answer.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);
}
