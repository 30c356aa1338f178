import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataKeyBackup, DataKeySnapshot } from '../backup/data-keys';
import { assertSchemaName, migrateSchema, type SchemaMigration } from '../postgres-migrations';
import { closePool, openPool } from '../postgres-pool';
import { PrivacyError } from './errors';
import { MASTER_KEYS_FILE, masterKeyFingerprint, PRIVACY_KEY_BYTES, type MasterKey, type MasterKeyRing } from './master-key-ring';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Data keys re-wrapped per transaction by `rewrapAll`. */
const REWRAP_BATCH = 500;

/** A subject's data key, or the fact that it was destroyed (`forgotten`) or never made (`missing`). */
export type DataKeyLookup = { state: 'key'; key: Buffer } | { state: 'forgotten' } | { state: 'missing' };

export interface DataKeyStatus {
  /** Live data keys per master key version that wraps them. */
  byMasterVersion: { version: number; dataKeys: number }[];
  forgottenSubjects: number;
  /** When each master key version was first used with this database. */
  masterVersions: { version: number; fingerprint: string; firstUsedAt: string }[];
}

const migrations: readonly SchemaMigration[] = [
  {
    name: '001_privacy_keys',
    async up(db, schema) {
      await db.raw(`
        create table "${schema}".privacy_master_keys (
          version integer primary key,
          fingerprint text not null,
          first_used_at timestamptz not null default now()
        );
        create table "${schema}".privacy_data_keys (
          subject_id text primary key,
          master_version integer not null,
          wrapped bytea,
          created_at timestamptz not null,
          rewrapped_at timestamptz,
          forgotten_at timestamptz,
          -- a destroyed key leaves only its tombstone: no wrapped bytes, a time of forgetting
          check ((wrapped is null) = (forgotten_at is not null))
        );
        create index on "${schema}".privacy_data_keys (master_version) where wrapped is not null;
      `);
    },
  },
];

export async function migrateDataKeyStore(connectionString: string, schema: string): Promise<void> {
  await migrateSchema(connectionString, schema, migrations, 'privacy_migrations');
}

function wrap(master: MasterKey, subjectId: string, dataKey: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.key, iv);
  cipher.setAAD(Buffer.from(`neuroerp-data-key|${subjectId}|v${master.version}`));
  const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function unwrap(master: MasterKey, subjectId: string, wrapped: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, wrapped.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`neuroerp-data-key|${subjectId}|v${master.version}`));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PrivacyError('PERSONAL_DATA_UNREADABLE', `the data key of ${subjectId} does not unwrap with master key version ${master.version}: wrong key, or the row was altered`);
  }
}

interface KeyRow {
  subject_id: string;
  master_version: number;
  wrapped: Buffer | null;
}

/**
 * The per-subject data keys (AES-256), wrapped by the master key ring, in PostgreSQL beside
 * the event store. Nothing is cached: a key destroyed by `forget` is unreadable to every
 * process from the moment that commits. Forgetting keeps a tombstone, so a forgotten
 * subject never gets a new key.
 */
export class PostgresDataKeyStore implements DataKeyBackup {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    readonly ring: MasterKeyRing,
  ) {}

  static async connect(options: { connectionString: string; schema: string; ring: MasterKeyRing; poolSizeMax?: number }): Promise<PostgresDataKeyStore> {
    assertSchemaName(options.schema);
    await migrateDataKeyStore(options.connectionString, options.schema);
    const pool = openPool({ connectionString: options.connectionString, max: options.poolSizeMax ?? 4 });
    const store = new PostgresDataKeyStore(pool, options.schema, options.ring);
    try {
      await store.recordMasterKeys();
    } catch (error) {
      await closePool(pool);
      throw error;
    }
    return store;
  }

  private get keysTable(): string {
    return `"${this.schema}".privacy_data_keys`;
  }

  /** Records each configured master key's fingerprint on first use; a different key under a known version is refused. */
  private async recordMasterKeys(): Promise<void> {
    for (const master of this.ring.versions) {
      const fingerprint = masterKeyFingerprint(master.key);
      const { rows } = await this.pool.query<{ fingerprint: string }>(
        `insert into "${this.schema}".privacy_master_keys (version, fingerprint) values ($1, $2)
         on conflict (version) do update set version = excluded.version returning fingerprint`,
        [master.version, fingerprint],
      );
      if (rows[0]?.fingerprint !== fingerprint) {
        throw new PrivacyError('PRIVACY_MASTER_KEY_MISMATCH', `master key version ${master.version} is not the key this database was used with (fingerprint ${fingerprint}, recorded ${rows[0]?.fingerprint ?? '?'})`);
      }
    }
  }

  /**
   * The data keys of `subjectIds`. With `create`, a subject without a key gets one, wrapped by
   * the current master key (two processes creating the same one agree on the first insert).
   */
  async lookup(subjectIds: readonly string[], options: { create: boolean }): Promise<Map<string, DataKeyLookup>> {
    const unique = [...new Set(subjectIds)];
    const found = new Map<string, DataKeyLookup>();
    if (unique.length === 0) return found;
    const rows = await this.readRows(unique);
    const missing = unique.filter((subjectId) => !rows.has(subjectId));
    if (options.create && missing.length > 0) {
      const master = this.ring.current;
      const wrapped = missing.map((subjectId) => wrap(master, subjectId, randomBytes(PRIVACY_KEY_BYTES)));
      await this.pool.query(
        `insert into ${this.keysTable} (subject_id, master_version, wrapped, created_at)
         select subject_id, $2, wrapped, now() from unnest($1::text[], $3::bytea[]) as new_key(subject_id, wrapped)
         on conflict (subject_id) do nothing`,
        [missing, master.version, wrapped],
      );
      for (const [subjectId, row] of await this.readRows(missing)) rows.set(subjectId, row);
    }
    for (const subjectId of unique) {
      const row = rows.get(subjectId);
      if (row === undefined) found.set(subjectId, { state: 'missing' });
      else if (row.wrapped === null) found.set(subjectId, { state: 'forgotten' });
      else found.set(subjectId, { state: 'key', key: unwrap(await this.ring.resolve(row.master_version), subjectId, row.wrapped) });
    }
    return found;
  }

  private async readRows(subjectIds: readonly string[]): Promise<Map<string, KeyRow>> {
    const { rows } = await this.pool.query<KeyRow>(`select subject_id, master_version, wrapped from ${this.keysTable} where subject_id = any($1::text[])`, [subjectIds]);
    return new Map(rows.map((row) => [row.subject_id, row]));
  }

  /**
   * Destroys the subject's data key (the wrapped bytes are overwritten by the update and the
   * row keeps only a tombstone). Idempotent; `existed` says whether there was a key to destroy.
   */
  async forget(subjectId: string, at: Date): Promise<{ existed: boolean; alreadyForgotten: boolean }> {
    const { rows } = await this.pool.query<{ had_key: boolean; was_forgotten: boolean }>(
      `with previous as (select wrapped is not null as had_key, forgotten_at is not null as was_forgotten from ${this.keysTable} where subject_id = $1 for update),
            upsert as (
              insert into ${this.keysTable} (subject_id, master_version, wrapped, created_at, forgotten_at) values ($1, $2, null, $3, $3)
              on conflict (subject_id) do update set wrapped = null, forgotten_at = coalesce(${this.keysTable}.forgotten_at, excluded.forgotten_at)
            )
       select coalesce((select had_key from previous), false) as had_key, coalesce((select was_forgotten from previous), false) as was_forgotten`,
      [subjectId, this.ring.current.version, at.toISOString()],
    );
    return { existed: rows[0]?.had_key === true, alreadyForgotten: rows[0]?.was_forgotten === true };
  }

  /** Whether a subject is forgotten (a tombstone exists). */
  async isForgotten(subjectId: string): Promise<boolean> {
    const { rows } = await this.pool.query(`select 1 from ${this.keysTable} where subject_id = $1 and wrapped is null`, [subjectId]);
    return rows.length > 0;
  }

  /**
   * Re-wraps every data key not yet under the current master key, in batches (each its own
   * transaction, so an interrupted run resumes where it stopped). The data keys themselves do
   * not change, so every ciphertext stays readable.
   */
  async rewrapAll(onProgress?: (done: number, total: number) => void): Promise<{ rewrapped: number }> {
    const master = this.ring.current;
    const { rows: counted } = await this.pool.query<{ n: string }>(`select count(*) as n from ${this.keysTable} where wrapped is not null and master_version <> $1`, [master.version]);
    const total = Number(counted[0]?.n ?? 0);
    let done = 0;
    onProgress?.(0, total);
    for (;;) {
      const client = await this.pool.connect();
      let moved = 0;
      try {
        await client.query('begin');
        const { rows } = await client.query<KeyRow>(
          `select subject_id, master_version, wrapped from ${this.keysTable} where wrapped is not null and master_version <> $1 order by subject_id limit ${REWRAP_BATCH} for update skip locked`,
          [master.version],
        );
        const rewrapped: Buffer[] = [];
        for (const row of rows) rewrapped.push(wrap(master, row.subject_id, unwrap(await this.ring.resolve(row.master_version), row.subject_id, row.wrapped as Buffer)));
        if (rows.length > 0) {
          await client.query(
            `update ${this.keysTable} as keys set wrapped = batch.wrapped, master_version = $3, rewrapped_at = now()
               from unnest($1::text[], $2::bytea[]) as batch(subject_id, wrapped)
              where keys.subject_id = batch.subject_id and keys.wrapped is not null`,
            [rows.map((row) => row.subject_id), rewrapped, master.version],
          );
        }
        await client.query('commit');
        moved = rows.length;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      if (moved === 0) break;
      done += moved;
      onProgress?.(done, total);
    }
    return { rewrapped: done };
  }

  /** Every data key (still wrapped) and tombstone, with the master key fingerprints: what a backup holds. */
  async exportSnapshot(): Promise<DataKeySnapshot> {
    const [masters, rows] = await Promise.all([
      this.pool.query<{ version: number; fingerprint: string }>(`select version, fingerprint from "${this.schema}".privacy_master_keys order by version`),
      this.pool.query<{ subject_id: string; master_version: number; wrapped: Buffer | null; created_at: Date; forgotten_at: Date | null }>(
        `select subject_id, master_version, wrapped, created_at, forgotten_at from ${this.keysTable} order by subject_id`,
      ),
    ]);
    return {
      masterKeys: masters.rows.map((row) => ({ version: row.version, fingerprint: row.fingerprint })),
      dataKeys: rows.rows.map((row) => ({
        subjectId: row.subject_id,
        masterVersion: row.master_version,
        wrapped: row.wrapped === null ? null : row.wrapped.toString('base64'),
        createdAt: row.created_at.toISOString(),
        forgottenAt: row.forgotten_at === null ? null : row.forgotten_at.toISOString(),
      })),
    };
  }

  /**
   * Imports a backup's data keys. Every master key version that wraps one must be configured
   * here with the same key (fingerprint), else nothing is imported: restore the master keys
   * (PRIVACY_MASTER_KEYS or the key file) from where they are kept first.
   */
  async importSnapshot(snapshot: DataKeySnapshot): Promise<void> {
    const needed = new Set(snapshot.dataKeys.filter((key) => key.wrapped !== null).map((key) => key.masterVersion));
    for (const version of [...needed].sort((a, b) => a - b)) {
      const recorded = snapshot.masterKeys.find((master) => master.version === version)?.fingerprint;
      const configured = this.ring.versions.find((master) => master.version === version);
      if (configured === undefined || recorded !== masterKeyFingerprint(configured.key)) {
        throw new PrivacyError(
          'PRIVACY_MASTER_KEY_MISMATCH',
          `the backed-up data keys are wrapped by master key version ${version} (fingerprint ${recorded ?? '?'}), which is ${configured === undefined ? 'not configured here' : `configured here with another key (${masterKeyFingerprint(configured.key)})`}: restore the master keys (PRIVACY_MASTER_KEYS or DATA_DIR/keys/${MASTER_KEYS_FILE}) first; nothing was restored`,
        );
      }
    }
    const keys = snapshot.dataKeys;
    await this.pool.query(
      `insert into ${this.keysTable} (subject_id, master_version, wrapped, created_at, forgotten_at)
       select * from unnest($1::text[], $2::int[], $3::bytea[], $4::timestamptz[], $5::timestamptz[])
       on conflict (subject_id) do nothing`,
      [
        keys.map((key) => key.subjectId),
        keys.map((key) => key.masterVersion),
        keys.map((key) => (key.wrapped === null ? null : Buffer.from(key.wrapped, 'base64'))),
        keys.map((key) => key.createdAt),
        keys.map((key) => key.forgottenAt),
      ],
    );
  }

  async forgetSubjects(subjectIds: readonly string[], at: Date): Promise<void> {
    for (const subjectId of new Set(subjectIds)) await this.forget(subjectId, at);
  }

  async status(): Promise<DataKeyStatus> {
    const [byVersion, forgotten, masters] = await Promise.all([
      this.pool.query<{ version: number; n: string }>(`select master_version as version, count(*) as n from ${this.keysTable} where wrapped is not null group by master_version order by master_version`),
      this.pool.query<{ n: string }>(`select count(*) as n from ${this.keysTable} where wrapped is null`),
      this.pool.query<{ version: number; fingerprint: string; first_used_at: Date }>(`select version, fingerprint, first_used_at from "${this.schema}".privacy_master_keys order by version`),
    ]);
    return {
      byMasterVersion: byVersion.rows.map((row) => ({ version: row.version, dataKeys: Number(row.n) })),
      forgottenSubjects: Number(forgotten.rows[0]?.n ?? 0),
      masterVersions: masters.rows.map((row) => ({ version: row.version, fingerprint: row.fingerprint, firstUsedAt: row.first_used_at.toISOString() })),
    };
  }

  async close(): Promise<void> {
    await closePool(this.pool);
  }
}
