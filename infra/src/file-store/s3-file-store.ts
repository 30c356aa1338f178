import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, isS3NotFound, type S3ConnectionOptions } from '../s3/client';
import { fileKey, sha256Hex, type FileStore, type StoredFile } from './port';

export interface S3FileStoreOptions extends S3ConnectionOptions {
  /** Object key prefix, e.g. `files/`; default none. */
  prefix?: string;
}

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
    this.description = `s3:${options.bucket}`;
    this.prefix = options.prefix ?? '';
    this.client = createS3Client(options);
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
      if (isS3NotFound(error)) return null;
      throw error;
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
