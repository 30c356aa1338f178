export * from './port';
export { LocalFileStore } from './local-file-store';
export { S3FileStore, type S3FileStoreOptions } from './s3-file-store';
