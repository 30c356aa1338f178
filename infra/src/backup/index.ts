export * from './backup';
export { BACKUP_KEY_BYTES, backupKeyId } from './chunk-codec';
export * from './errors';
export { listBackups, type BackupManifest } from './manifest';
export { DirectoryBackupTarget, MANIFEST_FILE, type BackupTarget } from './target';
export { S3BackupTarget, type S3BackupTargetOptions } from './s3-target';
export { DATA_KEYS_FILE, dataKeySnapshotSchema, type DataKeyBackup, type DataKeySnapshot } from './data-keys';
