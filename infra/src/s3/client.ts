import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';

/** How to reach an S3-compatible bucket, shared by every S3 adapter (attachments, backups) so that MinIO, AWS and test servers are configured the same way everywhere. */
export interface S3ConnectionOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO: http://localhost:9000); absent: AWS. */
  endpoint?: string;
  /** Both or neither; neither uses the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path instead of the host name (MinIO needs it). */
  forcePathStyle?: boolean;
}

/** Attempts per S3 request, the SDK's retries with backoff included. */
export const S3_CLIENT_ATTEMPTS_MAX = 3;

/** An S3 client for `options`. The SDK's default checksums stay on: s3rver and MinIO accept them. */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    throw new Error('S3 access key id and secret access key go together');
  }
  return new S3Client({
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: S3_CLIENT_ATTEMPTS_MAX,
    ...(options.accessKeyId !== undefined && options.secretAccessKey !== undefined
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  });
}

/** True for "no such object" (GetObject answers NoSuchKey, HeadObject a bare 404). */
export function isS3NotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || (error.$metadata.httpStatusCode === 404 && error.name !== 'NoSuchBucket'));
}
