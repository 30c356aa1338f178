/** Stable codes of the expected failures of backup, restore and prune. */
export type BackupErrorCode =
  | 'BACKUP_KEY_INVALID'
  | 'BACKUP_KEY_MISMATCH'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_MANIFEST_INVALID'
  | 'BACKUP_CHUNK_CORRUPT'
  | 'BACKUP_CHAIN_BROKEN'
  | 'BACKUP_NOTHING_NEW'
  | 'BACKUP_ALREADY_EXISTS'
  /** The bucket (or endpoint path) of the backup target does not exist. */
  | 'BACKUP_TARGET_NOT_FOUND'
  /** The target refused the credentials, or there are none. */
  | 'BACKUP_TARGET_ACCESS_DENIED'
  /** The target's server does not answer. */
  | 'BACKUP_TARGET_UNREACHABLE'
  /** The target answered with an error other than the above (after the SDK's retries). */
  | 'BACKUP_TARGET_FAILED'
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
