import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describeFileStoreContract } from './file-store.contract';
import { LocalFileStore } from './local-file-store';
import { S3FileStore } from './s3-file-store';

describeFileStoreContract('local directory', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-files-'));
  const store = await LocalFileStore.open(dir);
  return {
    store,
    dispose: async () => {
      // Nothing half-written stays behind: every temporary file was renamed into place.
      expect(await readdir(path.join(dir, '.tmp'))).toEqual([]);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// e.g. MinIO: S3_ENDPOINT=http://localhost:9000 S3_ACCESS_KEY_ID=minioadmin S3_SECRET_ACCESS_KEY=minioadmin
const endpoint = process.env.S3_ENDPOINT;
describeFileStoreContract(
  'S3-compatible bucket',
  async () => {
    const options = {
      bucket: process.env.S3_BUCKET ?? 'neuroerp-test',
      region: process.env.S3_REGION ?? 'us-east-1',
      endpoint,
      accessKeyId: process.env.S3_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: (process.env.S3_FORCE_PATH_STYLE ?? 'true') === 'true',
      prefix: `test-${Date.now().toString(36)}/`,
    };
    const admin = new S3Client({
      region: options.region,
      endpoint,
      forcePathStyle: options.forcePathStyle,
      ...(options.accessKeyId && options.secretAccessKey ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } } : {}),
    });
    try {
      await admin.send(new CreateBucketCommand({ Bucket: options.bucket }));
    } catch (error) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
    } finally {
      admin.destroy();
    }
    const store = new S3FileStore(options);
    return { store, dispose: () => store.close() };
  },
  { skipReason: endpoint ? undefined : 'S3_ENDPOINT is not set (no S3-compatible server such as MinIO on this machine)' },
);
