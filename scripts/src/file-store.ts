import path from 'node:path';
import { LocalFileStore, S3FileStore, type FileStore } from '@neuroerp/infra';
import type { ServerConfig } from './config';

/**
 * The attachment store chosen by configuration, never by code edits: an S3-compatible bucket
 * when S3_BUCKET is set, else files under DATA_DIR/files.
 */
export async function openFileStore(config: ServerConfig): Promise<FileStore> {
  if (config.S3_BUCKET === undefined) return LocalFileStore.open(path.join(config.DATA_DIR, 'files'));
  return new S3FileStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true',
  });
}
