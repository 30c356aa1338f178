/** Stable codes of the expected failures of backup, restore and prune. */
export type BackupErrorCode =
  | 'BACKUP_KEY_INVALID'
  | 'BACKUP_KEY_MISMATCH'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_MANIFEST_INVALID'
  | 'BACKUP_CHUNK_CORRUPT'
  | 'BACKUP_CHAIN_BROKEN'
  | 'BACKUP_NOTHING_NEW'
  | 'RESTORE_TARGET_NOT_EMPTY';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}
