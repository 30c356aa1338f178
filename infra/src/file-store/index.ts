export * from './port';
export { LocalFileStore } from './local-file-store';
export { S3FileStore, S3_ATTEMPTS_MAX, type S3FileStoreOptions } from './s3-file-store';
