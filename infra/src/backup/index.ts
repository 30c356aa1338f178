export * from './backup';
export { BACKUP_KEY_BYTES, backupKeyId } from './chunk-codec';
export * from './errors';
export { listBackups, type BackupManifest } from './manifest';
