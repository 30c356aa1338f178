import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client, type S3ConnectionOptions } from './client';

/** s3rver's fixed credentials: it refuses any other access key. */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3TestServer {
  /** How to reach the server's bucket (path style, s3rver's credentials). */
  connection: S3ConnectionOptions;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * For tests: an in-process S3-compatible server (s3rver, a root devDependency) on a free
 * port of 127.0.0.1, keeping its objects in a temporary directory, with `bucket` created
 * through the AWS SDK. s3rver is loaded only when this runs, so production never needs it.
 */
export async function startS3TestServer(bucket = 'neuroerp-test'): Promise<S3TestServer> {
  // Required here, not imported at the top: production installs have no s3rver.
  const S3rver = createRequire(__filename)('s3rver') as typeof import('s3rver');
  const directory = await mkdtemp(path.join(tmpdir(), 'neuroerp-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const connection: S3ConnectionOptions = { bucket, region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, ...S3RVER_CREDENTIALS };
  const client = createS3Client(connection);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return {
    connection,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The S3 server named by S3_ENDPOINT (e.g. MinIO in CI) with S3_BUCKET (default
 * neuroerp-test) created if missing, or null when S3_ENDPOINT is not set.
 */
export async function configuredS3Server(env: Readonly<Record<string, string | undefined>>): Promise<S3ConnectionOptions | null> {
  if (env.S3_ENDPOINT === undefined || env.S3_ENDPOINT === '') return null;
  const connection: S3ConnectionOptions = {
    bucket: env.S3_BUCKET ?? 'neuroerp-test',
    region: env.S3_REGION ?? 'us-east-1',
    endpoint: env.S3_ENDPOINT,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? 'true') === 'true',
  };
  const client = createS3Client(connection);
  try {
    await client.send(new CreateBucketCommand({ Bucket: connection.bucket }));
  } catch (error) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
  } finally {
    client.destroy();
  }
  return connection;
}
