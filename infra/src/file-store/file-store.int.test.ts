import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configuredS3Server, startS3TestServer, type S3TestServer } from '../s3/test-server';
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

/** The bucket of S3_ENDPOINT when it is set (e.g. MinIO in CI), else of an s3rver started for this file. */
let s3rver: S3TestServer | null = null;
afterAll(async () => {
  await s3rver?.stop();
});

// e.g. MinIO: S3_ENDPOINT=http://localhost:9000 S3_ACCESS_KEY_ID=minioadmin S3_SECRET_ACCESS_KEY=minioadmin
describeFileStoreContract(process.env.S3_ENDPOINT ? `S3-compatible bucket at ${process.env.S3_ENDPOINT}` : 'S3-compatible bucket (in-test s3rver)', async () => {
  let connection = await configuredS3Server(process.env);
  if (connection === null) {
    s3rver = await startS3TestServer();
    connection = s3rver.connection;
  }
  const store = new S3FileStore({ ...connection, prefix: `test-${Date.now().toString(36)}/` });
  return { store, dispose: () => store.close() };
});
