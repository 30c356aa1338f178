import { z } from 'zod';

/**
 * The per-subject data keys of personal data as a backup holds them: still wrapped by their
 * master keys (which a backup never holds), with the tombstones of forgotten subjects and the
 * fingerprints of the master key versions, so that a restore with the wrong master keys is
 * refused before anything is written.
 */
export const dataKeySnapshotSchema = z
  .object({
    masterKeys: z.array(z.object({ version: z.number().int().min(1), fingerprint: z.string().regex(/^[0-9a-f]{16}$/) }).strict()),
    dataKeys: z.array(
      z
        .object({
          subjectId: z.string().min(1).max(200),
          masterVersion: z.number().int().min(1),
          /** base64; null for a forgotten subject (its tombstone). */
          wrapped: z.string().nullable(),
          createdAt: z.string().datetime({ offset: true }),
          forgottenAt: z.string().datetime({ offset: true }).nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type DataKeySnapshot = z.infer<typeof dataKeySnapshotSchema>;

/** Where a backup gets the data keys from and a restore puts them (PostgresDataKeyStore). */
export interface DataKeyBackup {
  exportSnapshot(): Promise<DataKeySnapshot>;
  /** Imports the keys into an empty key store; refuses a snapshot wrapped by other master keys than the configured ones. */
  importSnapshot(snapshot: DataKeySnapshot): Promise<void>;
  /** Destroys the keys of subjects whose erasure the restored log records (a backup may predate it). */
  forgetSubjects(subjectIds: readonly string[], at: Date): Promise<void>;
}

export const DATA_KEYS_FILE = 'data-keys.bin';
