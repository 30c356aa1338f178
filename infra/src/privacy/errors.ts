/** Stable codes of the expected failures of the privacy layer (personal-data encryption and crypto-shredding). */
export type PrivacyErrorCode =
  | 'PRIVACY_MASTER_KEYS_INVALID'
  | 'PRIVACY_MASTER_KEY_MISSING'
  | 'PRIVACY_MASTER_KEY_MISMATCH'
  | 'PRIVACY_ROTATION_NEEDS_CONFIG'
  | 'PERSONAL_DATA_UNREADABLE'
  | 'SUBJECT_FORGOTTEN';

export class PrivacyError extends Error {
  constructor(
    readonly code: PrivacyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PrivacyError';
  }
}
